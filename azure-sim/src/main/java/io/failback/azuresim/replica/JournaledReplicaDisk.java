package io.failback.azuresim.replica;

import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.DiskFile;
import io.failback.sitedisk.EncryptedReplicaDisk;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A replica disk that can always go back to exactly its latest recovery point, however a replication cycle into it
 * ended. Replication overwrites the replica in place, and a cycle cut off half-way (the host died — exactly when an
 * unplanned failover is needed — or sync-service crashed) leaves a mix of two states that the source never was in.
 * <p>
 * <b>Design: an undo journal per disk.</b> Before a block is overwritten for the first time since the recovery point,
 * its old content is appended to the disk's journal ({@link UndoLog}, {@code <disk>.undo}) and the journal is forced;
 * only then is the new content written (where the disk keeps blocks in the clear, a write of some 4 KiB pages saves
 * only those pages: Reverse Replicate of a guest's small writes journals their size, not 16 times it). Recording a
 * recovery point forces the disk and starts an empty journal (the
 * disk is consistent now); {@link #rollBack()} writes the saved blocks back, forces, and starts an empty journal, and
 * {@link #atRecoveryPoint()} reads the recovery point's content without changing anything (saved blocks from the
 * journal, the others from the disk). Rolling back is always safe: the next cycle sends every block changed since the
 * recovery point's tracking points again. A replica without a recovery point keeps no journal: nothing to go back to.
 * <p>
 * Why this and not the alternatives:
 * <ul>
 * <li>A <b>redo log</b> (a cycle writes beside the replica; recording the point applies it) would keep failover free,
 * but every read of the replica — sync-service's digest proving a cycle, which comes before the point is recorded —
 * would have to overlay the log, each recovery point would copy the whole delta a second time while the cycle waits
 * for it, and the disk's incremental digest would be lost. The undo journal costs the same extra write, spread over
 * the cycle, and leaves reads alone; only a failover (rare) pays for the rollback.</li>
 * <li>Saving blocks <b>in their stored form</b> (for a sealed replica: nonce, ciphertext and tag, see
 * {@link EncryptedReplicaDisk#readStored}) rather than in a second sealed device: the journal never holds
 * plaintext, no block is decrypted and sealed again, and putting a block back restores the exact bytes that
 * authenticated at that place before.</li>
 * <li>One <b>append-only file</b> rather than a sparse copy plus a set of saved block numbers: saving a batch is one
 * sequential write and one force, where a sparse sealed device and a separate set would need three forces, and a
 * torn append is recognised by its checksum.</li>
 * <li><b>Group commit</b>: forcing the journal before each write would cost a force per block stream batch (1 MiB;
 * the batch reaches the disk as one {@link #writeRuns} call, so at least not one per block) — that force, not the
 * extra bytes, was most of the journal's cost. So a write's old content is appended at once, but the write itself is
 * held back (copied, at most {@link #HELD_BYTES} of them) until one force covers the records of all held writes;
 * then they go to the disk. Nothing acknowledged is at risk: the block API answers a stream only after
 * {@link #force()}, which releases what is held, and reads, rollbacks, resets and recovery points release first.</li>
 * </ul>
 * A full copy into a replica that has a recovery point ({@link #zeroAll()}) first saves every block that holds data
 * — as costly as the copy itself, and the only way the point survives a full copy that does not finish.
 * <p>
 * After a restart the journal is read back (a torn last append is cut off); a journal whose tag is not the replica's
 * recovery point any more is left from before a point was recorded, when the disk was already consistent and forced,
 * and is dropped. A rollback cut off by a crash leaves the journal as it was, so the next one simply does it again.
 * <p>
 * Thread-safe: writes, rollbacks and reads of the recovery point are serialized; live reads release held writes,
 * then go straight to the disk.
 */
final class JournaledReplicaDisk implements BlockDevice, Closeable {
    private static final int BATCH_BYTES = 1 << 20;
    /** How much a writer may have written before the journal records of its blocks are forced (group commit). */
    static final int HELD_BYTES = 8 << 20;

    private final BlockDevice disk;
    private final StoredForm stored;
    private final Path journalFile;
    /** Null while the replica has no recovery point. */
    private UndoLog journal;
    /**
     * The blocks saved in the journal (overwritten since the recovery point): a whole block's one entry, or the entries
     * of the pages saved so far, which cover disjoint pages.
     */
    private final Map<Long, List<UndoLog.Entry>> saved = new HashMap<>();
    /** Whether a write of some pages saves only those (the stored form is the block itself), or the whole block. */
    private final boolean savesPages;
    /**
     * Writes (copies, in order: {@link Run}s and {@link Pages}) whose blocks' records are appended but not forced yet:
     * they wait for the force.
     */
    private final List<Record> held = new ArrayList<>();
    private long heldBytes;

    private JournaledReplicaDisk(BlockDevice disk, Path journalFile) {
        this.disk = disk;
        this.stored = StoredForm.of(disk);
        this.journalFile = journalFile;
        this.savesPages = stored.bytes() == disk.blockSize() && io.failback.contracts.site.PageMasks.pagesPerBlock(disk.blockSize()) > 1;
    }

    /**
     * @param recoveryPoint the tag of the replica's latest recovery point ({@link #tag}), null when it has none yet
     */
    static JournaledReplicaDisk open(BlockDevice disk, Path dir, String recoveryPoint) {
        JournaledReplicaDisk journaled = new JournaledReplicaDisk(disk, UndoLog.path(dir, disk.diskId()));
        if (recoveryPoint == null) {
            UndoLog.delete(journaled.journalFile);
            return journaled;
        }
        UndoLog found = UndoLog.open(journaled.journalFile);
        if (found != null && found.tag().equals(recoveryPoint) && found.storedBlockBytes() == journaled.stored.bytes()) {
            journaled.journal = found;
            found.loaded().forEach(journaled::remember);
        } else {
            if (found != null) {
                found.close();
            }
            journaled.startJournal(recoveryPoint);
        }
        return journaled;
    }

    /** What names a recovery point in a journal's header. */
    static String tag(Replica.RecoveryPoint point) {
        Map<String, Long> points = point.sourceTrackingPoints() == null ? Map.of() : point.sourceTrackingPoints();
        return point.consistentAt() + " " + new java.util.TreeMap<>(points);
    }

    /** The replica now holds the recovery point {@code tag}: makes that durable and starts an empty journal. */
    synchronized void recoveryPointRecorded(String tag) {
        release();
        disk.force();
        startJournal(tag);
    }

    /** Blocks written since the recovery point (what a rollback puts back). */
    synchronized int journaledBlocks() {
        return saved.size();
    }

    /** Bytes of the journal file. */
    synchronized long journalBytes() {
        return journal == null ? 0 : journal.sizeBytes();
    }

    /**
     * Puts every block written since the recovery point back as it was, durably; the disk then holds exactly the
     * recovery point. Returns how many blocks it put back.
     */
    synchronized int rollBack() {
        release();
        if (journal == null || saved.isEmpty()) {
            return 0;
        }
        List<UndoLog.Entry> entries = new ArrayList<>(saved.values().stream().flatMap(List::stream).toList());
        entries.sort(Comparator.comparingLong(UndoLog.Entry::payloadAt));
        ByteBuffer block = ByteBuffer.allocate(Math.max(stored.bytes(), blockSize()));
        ByteBuffer zeros = ByteBuffer.allocate(stored.bytes());
        for (UndoLog.Entry entry : entries) {
            if (entry.zeros()) {
                stored.write(entry.block(), zeros.clear());
            } else if (entry.whole()) {
                journal.read(entry, block.clear());
                stored.write(entry.block(), block.flip());
            } else {
                journal.read(entry, block.clear());
                disk.writePages(entry.block(), entry.pageMask(), block.flip());
            }
        }
        disk.force();
        int restored = saved.size();
        startJournal(journal.tag());
        return restored;
    }

    /**
     * The disk as it was at the recovery point, read-only, whatever is written meanwhile: what a failover copies.
     * Valid until the next recovery point is recorded.
     */
    BlockDevice atRecoveryPoint() {
        return new RecoveryPointView();
    }

    @Override
    public String diskId() {
        return disk.diskId();
    }

    @Override
    public int blockSize() {
        return disk.blockSize();
    }

    @Override
    public long sizeBytes() {
        return disk.sizeBytes();
    }

    @Override
    public long blockCount() {
        return disk.blockCount();
    }

    /** The current content (a cycle's blocks included): what sync-service's verification hashes. */
    @Override
    public void read(long firstBlock, ByteBuffer dst) {
        synchronized (this) {
            release();
        }
        disk.read(firstBlock, dst);
    }

    @Override
    public void writeBlocks(long firstBlock, ByteBuffer blocks) {
        writeRuns(List.of(new Run(firstBlock, blocks)));
    }

    /**
     * Without a recovery point, writes the runs. With one, appends the old content of the blocks not saved yet to the
     * journal (one append) and holds the runs back until the journal is forced: once {@link #HELD_BYTES} are held, or
     * at {@link #force()} (which the block API calls before it answers), or before anything reads or resets the disk.
     */
    @Override
    public void writeRuns(List<Run> runs) {
        writeBatch(runs, List.of());
    }

    /** As {@link #writeRuns}: the block's old content is journaled whole, then only the pages are written. */
    @Override
    public void writePages(long block, long mask, ByteBuffer pages) {
        writeBatch(List.of(), List.of(new Pages(block, mask, pages)));
    }

    /** As {@link #writeRuns}, for whole blocks and pages of blocks together: one journal append for all of them. */
    @Override
    public synchronized void writeBatch(List<Run> runs, List<Pages> pages) {
        if (journal == null) {
            disk.writeBatch(runs, pages);
            return;
        }
        long fullMask = io.failback.contracts.site.PageMasks.fullMask(blockSize());
        List<long[]> first = new ArrayList<>();
        for (Run run : runs) {
            long count = run.blocks().remaining() / blockSize();
            for (long block = run.firstBlock(); block < run.firstBlock() + count; block++) {
                long unsaved = fullMask & ~savedPages(block);
                if (unsaved != 0) {
                    first.add(new long[] {block, unsaved});
                }
            }
        }
        for (Pages some : pages) {
            long unsaved = (savesPages ? some.mask() : fullMask) & ~savedPages(some.block());
            if (unsaved != 0) {
                first.add(new long[] {some.block(), unsaved});
            }
        }
        save(first, false, false);
        for (Run run : runs) {
            ByteBuffer copy = ByteBuffer.allocate(run.blocks().remaining()).put(run.blocks().duplicate()).flip();
            held.add(new Run(run.firstBlock(), copy));
            heldBytes += copy.remaining();
        }
        for (Pages some : pages) {
            ByteBuffer copy = ByteBuffer.allocate(some.pages().remaining()).put(some.pages().duplicate()).flip();
            held.add(new Pages(some.block(), some.mask(), copy));
            heldBytes += copy.remaining();
        }
        if (heldBytes >= HELD_BYTES) {
            release();
        }
    }

    /** A full copy begins: with a recovery point, every block holding data is saved first. */
    @Override
    public synchronized void zeroAll() {
        release();
        if (journal != null) {
            long fullMask = io.failback.contracts.site.PageMasks.fullMask(blockSize());
            List<long[]> unsaved = new ArrayList<>();
            for (long block = 0; block < blockCount(); block++) {
                long pages = fullMask & ~savedPages(block);
                if (pages != 0) {
                    unsaved.add(new long[] {block, pages});
                }
            }
            save(unsaved, true, true);
        }
        disk.zeroAll();
    }

    @Override
    public void force() {
        synchronized (this) {
            release();
        }
        disk.force();
    }

    @Override
    public String digest() {
        synchronized (this) {
            release();
        }
        return disk.digest();
    }

    @Override
    public byte[] blockHashes(long firstBlock, int count) {
        synchronized (this) {
            release();
        }
        return disk.blockHashes(firstBlock, count);
    }

    @Override
    public synchronized void close() {
        release();
        if (journal != null) {
            journal.close();
        }
        if (disk instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Appends the blocks' current stored form to the journal, about 1 MiB per write, forced at the end with
     * {@code force}; the blocks may be overwritten only once it is. Each item is a block and the pages of it not saved
     * yet: all of them save the whole block, some (only where {@link #savesPages}) only those pages. With
     * {@code skipZeros} whole blocks holding zeros are left out (a full copy's reset: they read as zeros afterwards
     * anyway, and are saved if the copy writes them).
     */
    private void save(List<long[]> blocks, boolean skipZeros, boolean force) {
        if (blocks.isEmpty()) {
            return;
        }
        long fullMask = io.failback.contracts.site.PageMasks.fullMask(blockSize());
        int perAppend = Math.max(1, BATCH_BYTES / stored.bytes());
        ByteBuffer forms = ByteBuffer.allocate(Math.min(perAppend, blocks.size()) * stored.bytes());
        ByteBuffer whole = savesPages ? ByteBuffer.allocate(blockSize()) : null;
        List<UndoLog.Saved> batch = new ArrayList<>(perAppend);
        boolean appended = false;
        for (int i = 0; i < blocks.size(); i++) {
            long block = blocks.get(i)[0];
            long pages = blocks.get(i)[1];
            ByteBuffer form = forms.slice(batch.size() * stored.bytes(), stored.bytes());
            if (pages == fullMask || !savesPages) {
                stored.read(block, form);
                boolean zeros = DiskFile.isAllZero(form.flip());
                if (!(zeros && skipZeros)) {
                    batch.add(new UndoLog.Saved(block, zeros ? null : form));
                }
            } else {
                // Only the pages about to be overwritten, read alone: a 4 KiB write reads and journals 4 KiB, not its block.
                disk.readPages(block, pages, whole.clear());
                gatherPages(whole, pages, form.clear());
                batch.add(new UndoLog.Saved(block, form.flip(), pages));
            }
            if (batch.size() == perAppend || i == blocks.size() - 1) {
                if (!batch.isEmpty()) {
                    journal.append(batch).forEach(this::remember);
                    appended = true;
                }
                batch.clear();
            }
        }
        if (appended && force) {
            journal.force();
        }
    }

    /** Copies the pages {@code mask} names out of {@code block}, in page order, to {@code dst}. */
    private static void gatherPages(ByteBuffer block, long mask, ByteBuffer dst) {
        for (long rest = mask; rest != 0; rest &= rest - 1) {
            int page = Long.numberOfTrailingZeros(rest);
            dst.put(block.slice(page * UndoLog.PAGE_BYTES, UndoLog.PAGE_BYTES));
        }
    }

    private void remember(UndoLog.Entry entry) {
        saved.computeIfAbsent(entry.block(), b -> new ArrayList<>(1)).add(entry);
    }

    /** The pages of {@code block} saved in the journal: all of them for a block saved whole. */
    private long savedPages(long block) {
        List<UndoLog.Entry> entries = saved.get(block);
        if (entries == null) {
            return 0;
        }
        long mask = 0;
        for (UndoLog.Entry entry : entries) {
            mask |= entry.whole() ? -1L : entry.pageMask();
        }
        return mask;
    }

    /** Forces the journal, then writes what was held back for it (in order: a later write of a block wins). */
    private void release() {
        if (held.isEmpty()) {
            return;
        }
        journal.force();
        List<Run> runs = new ArrayList<>();
        for (Record write : held) {
            if (write instanceof Run run) {
                runs.add(run);
            } else {
                // In order: runs held before these pages may hold the same block.
                if (!runs.isEmpty()) {
                    disk.writeRuns(runs);
                    runs = new ArrayList<>();
                }
                Pages some = (Pages) write;
                disk.writePages(some.block(), some.mask(), some.pages());
            }
        }
        if (!runs.isEmpty()) {
            disk.writeRuns(runs);
        }
        held.clear();
        heldBytes = 0;
    }

    private void startJournal(String tag) {
        if (journal != null) {
            journal.close();
        }
        journal = UndoLog.create(journalFile, tag, stored.bytes());
        saved.clear();
    }

    /** Reads whole blocks as they were at the recovery point. */
    private synchronized void readAtRecoveryPoint(long firstBlock, ByteBuffer dst) {
        int blockSize = blockSize();
        ByteBuffer form = ByteBuffer.allocate(stored.bytes());
        long block = firstBlock;
        long end = firstBlock + dst.remaining() / blockSize;
        while (block < end) {
            List<UndoLog.Entry> entries = saved.get(block);
            if (entries == null) {
                long unchanged = block + 1;
                while (unchanged < end && !saved.containsKey(unchanged)) {
                    unchanged++;
                }
                int bytes = (int) (unchanged - block) * blockSize;
                disk.read(block, dst.slice(dst.position(), bytes));
                dst.position(dst.position() + bytes);
                block = unchanged;
                continue;
            }
            ByteBuffer out = dst.slice(dst.position(), blockSize);
            UndoLog.Entry first = entries.get(0);
            if (first.whole() && first.zeros()) {
                out.put(new byte[blockSize]);
            } else if (first.whole()) {
                journal.read(first, form.clear());
                stored.open(block, form.flip(), out);
            } else {
                // Saved page by page: the pages not saved were not written since the point.
                disk.read(block, out.duplicate());
                for (UndoLog.Entry pages : entries) {
                    journal.read(pages, form.clear());
                    BlockDevice.overlayPages(out.duplicate(), pages.pageMask(), form.flip());
                }
            }
            dst.position(dst.position() + blockSize);
            block++;
        }
    }

    /** {@link #atRecoveryPoint()}. */
    private final class RecoveryPointView implements BlockDevice {
        @Override
        public String diskId() {
            return JournaledReplicaDisk.this.diskId();
        }

        @Override
        public int blockSize() {
            return JournaledReplicaDisk.this.blockSize();
        }

        @Override
        public long sizeBytes() {
            return JournaledReplicaDisk.this.sizeBytes();
        }

        @Override
        public void read(long firstBlock, ByteBuffer dst) {
            readAtRecoveryPoint(firstBlock, dst);
        }

        @Override
        public void writeBlocks(long firstBlock, ByteBuffer blocks) {
            throw new UnsupportedOperationException("the recovery point of replica disk '" + diskId() + "' is read-only");
        }

        @Override
        public void zeroAll() {
            throw new UnsupportedOperationException("the recovery point of replica disk '" + diskId() + "' is read-only");
        }

        @Override
        public void force() {
            // nothing written
        }

        @Override
        public String digest() {
            return DiskFile.digest(this::read, blockSize(), blockCount());
        }
    }

    /**
     * A block as its disk keeps it at rest: for a sealed replica nonce, ciphertext and tag (never opened to be
     * saved), otherwise the block itself. All zeros when the block holds zeros.
     */
    private interface StoredForm {
        int bytes();

        void read(long block, ByteBuffer dst);

        void write(long block, ByteBuffer src);

        void open(long block, ByteBuffer form, ByteBuffer dst);

        static StoredForm of(BlockDevice disk) {
            if (disk instanceof EncryptedReplicaDisk sealed) {
                return new StoredForm() {
                    @Override
                    public int bytes() {
                        return sealed.storedBlockBytes();
                    }

                    @Override
                    public void read(long block, ByteBuffer dst) {
                        sealed.readStored(block, dst);
                    }

                    @Override
                    public void write(long block, ByteBuffer src) {
                        sealed.writeStored(block, src);
                    }

                    @Override
                    public void open(long block, ByteBuffer form, ByteBuffer dst) {
                        sealed.openStored(block, form, dst);
                    }
                };
            }
            int blockSize = disk.blockSize();
            return new StoredForm() {
                @Override
                public int bytes() {
                    return blockSize;
                }

                @Override
                public void read(long block, ByteBuffer dst) {
                    disk.read(block, dst.slice(dst.position(), blockSize));
                    dst.position(dst.position() + blockSize);
                }

                @Override
                public void write(long block, ByteBuffer src) {
                    disk.writeBlocks(block, src.slice(src.position(), blockSize));
                    src.position(src.position() + blockSize);
                }

                @Override
                public void open(long block, ByteBuffer form, ByteBuffer dst) {
                    dst.put(form.slice(form.position(), blockSize));
                    form.position(form.position() + blockSize);
                }
            };
        }
    }
}
