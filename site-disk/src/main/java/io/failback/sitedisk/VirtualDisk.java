package io.failback.sitedisk;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.PageMasks;
import io.failback.contracts.site.PageTreeHash;
import io.failback.contracts.site.ProblemException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A virtual disk as both sites simulate it: a sparse image of fixed-size blocks, with
 * <ul>
 * <li><b>changed-block tracking</b>: every write takes the next sequence number and stamps it on each block it
 * touches, so "which blocks changed since tracking point P" is exactly the blocks stamped after P, for any P;</li>
 * <li><b>snapshots</b> by copy-on-write: the first write to a block after a snapshot copies the old block into the
 * snapshot's store, so the snapshot keeps reading the content of the moment it was taken, without a full copy.</li>
 * </ul>
 * Thread-safe. Every method blocks on file I/O: call from worker threads.
 * <p>
 * Tracking state and snapshots are saved on {@link #close()}. After a crash (the state file still says "open"),
 * nothing can be trusted about which blocks changed: every block counts as changed since any earlier point, and
 * snapshots are dropped — conservative, never wrong.
 */
public final class VirtualDisk implements BlockDevice, Closeable {
    private static final int STRIPES = 1024;
    /**
     * The most blocks written under one set of stripe locks, with one positional write: 256 KiB. Measured on this
     * machine (host-agent receiving 4 GiB, 2.45 GB of data): writes of up to 1 MiB cost about 1.7 s more kernel time
     * (the copy into the page cache) than writes of 64 or 256 KiB, which cost the same.
     */
    private static final int MAX_LOCKED_BLOCKS = 4;
    /** Blocks a digest's worker claims at a time. */
    private static final int HASH_CLAIM_BLOCKS = 64;
    /** From this many blocks on, a digest hashes on two threads (the machine's two cores). */
    private static final int PARALLEL_HASH_BLOCKS = 256;
    /** What {@link HashSource#lookup} answers when it filled in the hash itself. */
    private static final long KNOWN = -2;
    /** The lookup token of a block a snapshot holds (its own copy, not the live block). */
    private static final long HELD = Long.MIN_VALUE;
    private static final int HELPER_PENDING = 0;
    private static final int HELPER_RUNNING = 1;
    private static final int HELPER_NOT_NEEDED = 2;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(DiskFile::sha256);
    /** The second thread of a digest; a daemon, shared by every disk of the process. */
    private static final ExecutorService HASH_HELPER = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "disk-hash-helper");
        thread.setDaemon(true);
        return thread;
    });

    private final String diskId;
    private final Path dir;
    private final DiskFile base;
    private final ObjectMapper json;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final AtomicLong sequence;
    /**
     * The stamp every block got when the whole disk was last set to zeros (created, or {@link #zeroAll()}); -1 when
     * unknown. A block still stamped with it holds zeros, and its hash is the constant {@link #zeroBlockHash}.
     */
    private volatile long zeroedAt;
    private final byte[] zeroBlockHash;
    /** The page hashes of a block of zeros ({@link PageTreeHash#zeroPages}). */
    private final byte[] zeroPageHashes;
    private final int pagesPerBlock;
    /** Each written block's hash ({@link PageTreeHash}) under the stamp it belongs to; created on first use. */
    private volatile HashCache hashes;
    /** Each hashed block's page hashes under the stamp they belong to: a write of some pages rehashes only those. */
    private final PageHashStore pageHashes;
    private final AtomicLongArray lastWrite;
    /** The same tracking per 4 KiB page: which pages of a block were written after a point (see {@link PageStamps}). */
    private final PageStamps pageStamps;
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    private final boolean recoveredFromCrash;
    /** Blocks that digests had to read because their hash was not known: what proving the disk cost. */
    private final AtomicLong blocksReadForDigests = new AtomicLong();

    /** What {@code <diskId>.state.json} holds; {@code zeroedAt} null in files of older versions (unknown). */
    record State(long sequence, boolean open, List<String> snapshots, Long zeroedAt) {
    }

    private VirtualDisk(String diskId, Path dir, DiskFile base, ObjectMapper json, boolean freshlyZeroed) {
        this.diskId = diskId;
        this.dir = dir;
        this.base = base;
        this.json = json;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        zeroBlockHash = PageTreeHash.zeroBlock(base.blockSize());
        zeroPageHashes = PageTreeHash.zeroPages(base.blockSize());
        pagesPerBlock = PageTreeHash.pagesPerBlock(base.blockSize());
        lastWrite = new AtomicLongArray((int) base.blockCount());
        pageStamps = new PageStamps(base.blockSize(), base.blockCount());
        State state = readState();
        deleteIfExists(olderVersionsHashFile(dir, diskId));
        if (state == null) {
            sequence = new AtomicLong(0);
            zeroedAt = freshlyZeroed ? 0 : -1;
            recoveredFromCrash = false;
        } else if (state.open()) {
            // Unknown writes may have happened after the last save: every block changed since any earlier point.
            sequence = new AtomicLong(state.sequence() + 1);
            for (int b = 0; b < lastWrite.length(); b++) {
                lastWrite.set(b, sequence.get());
            }
            pageStamps.markAll(sequence.get());
            for (String snapshotId : state.snapshots()) {
                Snapshot.delete(dir, diskId, snapshotId);
            }
            zeroedAt = -1;
            deleteIfExists(hashFile(dir, diskId));
            recoveredFromCrash = true;
        } else {
            sequence = new AtomicLong(state.sequence());
            zeroedAt = state.zeroedAt() == null ? -1 : state.zeroedAt();
            loadTracking();
            pageStamps.restore(pagesPath(dir, diskId), lastWrite::get);
            loadHashes();
            for (String snapshotId : state.snapshots()) {
                snapshots.put(snapshotId, Snapshot.load(dir, diskId, snapshotId, base.blockSize(), base.blockCount()));
            }
            recoveredFromCrash = false;
        }
        pageHashes = PageHashStore.open(pageHashesPath(dir, diskId), pageHashStampsPath(dir, diskId), pagesPerBlock,
                lastWrite.length(), state != null && !state.open());
        saveState(true);
    }

    /**
     * Creates a zeroed disk image of {@code sizeBytes} in {@code dir}; if that fails half-way, the files it wrote are
     * deleted again.
     */
    public static VirtualDisk create(ObjectMapper json, Path dir, String diskId, long sizeBytes, int blockSize) {
        // Tracking keeps one entry per block in an int-indexed array.
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0 || sizeBytes / blockSize > Integer.MAX_VALUE) {
            throw ProblemException.badRequest("InvalidDiskSize", "disk '" + diskId + "' must be a positive whole number of "
                    + blockSize + "-byte blocks, at most " + Integer.MAX_VALUE + " of them, got " + sizeBytes + " bytes");
        }
        try {
            DiskFile.createZeroed(imagePath(dir, diskId), sizeBytes);
            return new VirtualDisk(diskId, dir, DiskFile.open(imagePath(dir, diskId), blockSize), json, true);
        } catch (RuntimeException | Error e) {
            try {
                deleteFiles(dir, diskId);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    public static VirtualDisk open(ObjectMapper json, Path dir, String diskId, int blockSize) {
        return new VirtualDisk(diskId, dir, DiskFile.open(imagePath(dir, diskId), blockSize), json, false);
    }

    public static Path imagePath(Path dir, String diskId) {
        return dir.resolve(diskId + ".img");
    }

    private static Path pagesPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".pages");
    }

    private static Path hashFile(Path dir, String diskId) {
        return dir.resolve(diskId + ".block-hashes");
    }

    /** Where versions whose block hash was one SHA-256 of the block kept theirs: never this version's hashes. */
    private static Path olderVersionsHashFile(Path dir, String diskId) {
        return dir.resolve(diskId + ".hashes");
    }

    private static Path pageHashesPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".page-hashes");
    }

    private static Path pageHashStampsPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".page-stamps");
    }

    /** Removes the image and every file of its tracking and snapshots. */
    public static void deleteFiles(Path dir, String diskId) {
        try {
            Files.deleteIfExists(imagePath(dir, diskId));
            Files.deleteIfExists(dir.resolve(diskId + ".state.json"));
            Files.deleteIfExists(dir.resolve(diskId + ".cbt"));
            Files.deleteIfExists(pagesPath(dir, diskId));
            Files.deleteIfExists(hashFile(dir, diskId));
            Files.deleteIfExists(olderVersionsHashFile(dir, diskId));
            PageHashStore.delete(pageHashesPath(dir, diskId), pageHashStampsPath(dir, diskId));
            try (var files = Files.list(dir)) {
                for (Path file : files.filter(f -> f.getFileName().toString().startsWith(diskId + ".snap-")).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete disk " + diskId + " in " + dir, e);
        }
    }

    @Override
    public String diskId() {
        return diskId;
    }

    @Override
    public int blockSize() {
        return base.blockSize();
    }

    @Override
    public long sizeBytes() {
        return base.sizeBytes();
    }

    @Override
    public long blockCount() {
        return base.blockCount();
    }

    public boolean recoveredFromCrash() {
        return recoveredFromCrash;
    }

    /** How many blocks digests (live or of snapshots) have read since the disk was opened. */
    public long blocksReadForDigests() {
        return blocksReadForDigests.get();
    }

    /** The current tracking point: blocks written from now on are "changed since" it. */
    public long trackingPoint() {
        return sequence.get();
    }

    /**
     * Writes {@code data} at byte {@code offset} (any size, any alignment inside the disk): preserves each touched
     * block for snapshots that still share it, writes, and stamps the blocks with a new sequence number. Whole blocks
     * are written as one run and hashed on the way. Of a partial block, whole pages whose neighbours' hashes the disk
     * keeps are written as pages (only they are hashed: a guest's 4 KiB write costs one page of SHA-256, not sixteen);
     * any other partial block is read, modified, written back and hashed whole, which makes its page hashes known.
     */
    public void write(long offset, ByteBuffer data) {
        if (offset < 0 || offset + data.remaining() > base.sizeBytes()) {
            throw new IllegalArgumentException("write of " + data.remaining() + " bytes at " + offset + " is outside disk " + diskId);
        }
        long stamp = sequence.incrementAndGet();
        int blockSize = base.blockSize();
        ByteBuffer block = null;
        while (data.hasRemaining()) {
            long blockIndex = offset / blockSize;
            int within = (int) (offset % blockSize);
            if (within == 0 && data.remaining() >= blockSize) {
                int whole = data.remaining() / blockSize * blockSize;
                writeWholeBlocks(blockIndex, data.slice(data.position(), whole), stamp);
                data.position(data.position() + whole);
                offset += whole;
                continue;
            }
            int length = Math.min(blockSize - within, data.remaining());
            ReentrantLock lock = stripe(blockIndex);
            lock.lock();
            try {
                long mask = pageMask(within, length);
                byte[] blockPages = mask == 0 ? null : knownPageHashes((int) blockIndex);
                if (blockPages != null) {
                    ByteBuffer pages = data.slice(data.position(), length);
                    putPages(blockIndex, mask, pages, hashPages(pages, Long.bitCount(mask)), stamp, blockPages);
                    data.position(data.position() + length);
                    offset += length;
                    continue;
                }
                if (block == null) {
                    block = ByteBuffer.allocate(blockSize);
                }
                preserveForSnapshots(blockIndex, block);
                // A partial block: read, modify, write back whole, and hash it while it is at hand, so that hash
                // lists and digests need not read it again (a guest writing 4 KiB pages would otherwise leave every
                // block it touched to be reread by the next proof).
                base.read(blockIndex, block.clear());
                block.put(within, data, data.position(), length);
                base.write(blockIndex, block.clear());
                BlockSums sums = hashBlocks(block.clear(), 1);
                // Pages first: whoever sees the block's stamp finds its pages' stamps too.
                pageStamps.stamp(offset, length, stamp);
                lastWrite.set((int) blockIndex, stamp);
                fileHashes((int) blockIndex, stamp, sums, 0);
            } finally {
                lock.unlock();
            }
            data.position(data.position() + length);
            offset += length;
        }
    }

    /** Writes whole blocks from {@code firstBlock} (a block stream arriving). */
    @Override
    public void writeBlocks(long firstBlock, ByteBuffer blocks) {
        requireWholeBlocks(firstBlock, blocks);
        writeWholeBlocks(firstBlock, blocks.slice(), sequence.incrementAndGet());
        blocks.position(blocks.limit());
    }

    /** Each run with one positional write, all of them under one stamp; every block's hash is filed on the way. */
    @Override
    public void writeRuns(List<Run> runs) {
        for (Run run : runs) {
            requireWholeBlocks(run.firstBlock(), run.blocks());
        }
        long stamp = sequence.incrementAndGet();
        for (Run run : runs) {
            writeWholeBlocks(run.firstBlock(), run.blocks().slice(), stamp);
        }
    }

    /**
     * Writes only the pages {@code mask} names (block stream version 2), each run of adjacent pages with one
     * positional write: the block is preserved for snapshots that still share it first (whole, as for any write),
     * then stamped, and exactly those pages get the stamp. The block's new hash is filed from the written pages' hashes
     * and the others' kept ones; where those are not known, its next digest reads the block once.
     */
    @Override
    public void writePages(long block, long mask, ByteBuffer pages) {
        int blockSize = base.blockSize();
        int pageBytes = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
        int pagesPerBlock = pageStamps.pagesPerBlock();
        if (block < 0 || block >= base.blockCount() || blockSize != pagesPerBlock * pageBytes || mask == 0
                || (pagesPerBlock < 64 && mask >>> pagesPerBlock != 0) || pages.remaining() != Long.bitCount(mask) * pageBytes) {
            throw new IllegalArgumentException("a write of " + pages.remaining() + " bytes as pages " + Long.toHexString(mask)
                    + " of block " + block + " does not fit disk " + diskId);
        }
        // The written pages' hashes, outside the lock; the block's others come from the page hash store.
        byte[] written = hashPages(pages, Long.bitCount(mask));
        long stamp = sequence.incrementAndGet();
        ReentrantLock lock = stripe(block);
        lock.lock();
        try {
            putPages(block, mask, pages, written, stamp, knownPageHashes((int) block));
        } finally {
            lock.unlock();
        }
        pages.position(pages.limit());
    }

    /** The SHA-256 of each of the first {@code count} pages of {@code pages}, concatenated; leaves its position. */
    private static byte[] hashPages(ByteBuffer pages, int count) {
        int pageBytes = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
        byte[] hashes = new byte[count * 32];
        MessageDigest sha256 = SHA256.get();
        for (int i = 0; i < count; i++) {
            PageTreeHash.hashPage(pages.slice(pages.position() + i * pageBytes, pageBytes), sha256, hashes, i * 32);
        }
        return hashes;
    }

    /**
     * The mask of the whole pages {@code length} bytes from {@code within} a block cover, or 0 when they are not whole
     * pages of a disk whose blocks are made of pages.
     */
    private long pageMask(int within, int length) {
        int pageBytes = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
        if (base.blockSize() != pageStamps.pagesPerBlock() * pageBytes || within % pageBytes != 0 || length % pageBytes != 0) {
            return 0;
        }
        return PageMasks.run(within / pageBytes, length / pageBytes);
    }

    /**
     * Called under the block's stripe lock: preserves the block for snapshots that still share it, writes the pages
     * {@code mask} names (each run of adjacent pages with one positional write) and stamps exactly them, then files the
     * block's new hash from the written pages' hashes ({@code written}) and the others' ({@code blockPages}, null when
     * not known: then its next digest reads the block once).
     */
    private void putPages(long block, long mask, ByteBuffer pages, byte[] written, long stamp, byte[] blockPages) {
        int blockSize = base.blockSize();
        int pageBytes = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
        if (!snapshots.isEmpty()) {
            preserveForSnapshots(block, ByteBuffer.allocate(blockSize));
        }
        int[] runs = io.failback.contracts.blockstream.BlockStreamEncoder.pageRuns(mask);
        int from = pages.position();
        for (int i = 0; i < runs.length; i += 2) {
            long offset = block * blockSize + (long) runs[i] * pageBytes;
            int bytes = runs[i + 1] * pageBytes;
            base.writeAt(offset, pages.slice(from, bytes));
            // Pages first: whoever sees the block's stamp finds its pages' stamps too.
            pageStamps.stamp(offset, bytes, stamp);
            from += bytes;
        }
        lastWrite.set((int) block, stamp);
        if (blockPages != null) {
            int i = 0;
            for (long rest = mask; rest != 0; rest &= rest - 1, i++) {
                System.arraycopy(written, i * 32, blockPages, Long.numberOfTrailingZeros(rest) * 32, 32);
            }
            byte[] sum = new byte[32];
            PageTreeHash.ofPages(blockPages, 0, pagesPerBlock, SHA256.get(), sum, 0);
            fileHashes((int) block, stamp, new BlockSums(sum, blockPages), 0);
        }
    }

    /**
     * Called under the block's stripe lock: the page hashes of its current content, or null when they are not known
     * (it was written as pages before, or not hashed since a restart): then its next digest reads it once.
     */
    private byte[] knownPageHashes(int block) {
        long stamp = lastWrite.get(block);
        if (stamp == zeroedAt) {
            return zeroPageHashes.clone();
        }
        byte[] known = new byte[pagesPerBlock * 32];
        return pageHashes.copyIfAt(block, stamp, known, 0) ? known : null;
    }

    /** Called under the block's stripe lock: files its hash and page hashes (entry {@code index} of {@code sums}). */
    private void fileHashes(int block, long stamp, BlockSums sums, int index) {
        hashCache().file(block, stamp, sums.blocks(), index * 32);
        pageHashes.file(block, stamp, sums.pages(), index * pagesPerBlock * 32);
    }

    private void requireWholeBlocks(long firstBlock, ByteBuffer blocks) {
        if (firstBlock < 0 || blocks.remaining() % base.blockSize() != 0
                || firstBlock + blocks.remaining() / base.blockSize() > base.blockCount()) {
            throw new IllegalArgumentException("a write of " + blocks.remaining() + " bytes at block " + firstBlock
                    + " is not whole blocks inside disk " + diskId);
        }
    }

    /**
     * Hashes the blocks (outside any lock), then, at most {@link #MAX_LOCKED_BLOCKS} at a time under their stripe
     * locks, preserves them for snapshots, writes them with one positional write, stamps them and files their hashes
     * under the stamp: a hash is always filed together with the content it belongs to.
     */
    private void writeWholeBlocks(long firstBlock, ByteBuffer data, long stamp) {
        int blockSize = base.blockSize();
        int blocks = data.remaining() / blockSize;
        BlockSums sums = hashBlocks(data, blocks);
        ByteBuffer scratch = null;
        for (int done = 0; done < blocks;) {
            int n = Math.min(MAX_LOCKED_BLOCKS, blocks - done);
            long first = firstBlock + done;
            lockRun(first, n);
            try {
                if (!snapshots.isEmpty()) {
                    if (scratch == null) {
                        scratch = ByteBuffer.allocate(blockSize);
                    }
                    for (int i = 0; i < n; i++) {
                        preserveForSnapshots(first + i, scratch);
                    }
                }
                base.write(first, data.slice(data.position() + done * blockSize, n * blockSize));
                // Pages first: whoever sees a block's stamp finds its pages' stamps too.
                pageStamps.stamp(first * blockSize, (long) n * blockSize, stamp);
                for (int i = 0; i < n; i++) {
                    lastWrite.set((int) (first + i), stamp);
                    fileHashes((int) (first + i), stamp, sums, done + i);
                }
            } finally {
                unlockRun(first, n);
            }
            done += n;
        }
    }

    /** Blocks' hashes (32 bytes each) and their pages' hashes ({@link #pagesPerBlock} × 32 bytes each), in block order. */
    private record BlockSums(byte[] blocks, byte[] pages) {
    }

    /** The hash of each block and of its pages; all-zero blocks get the constants without being hashed. */
    private BlockSums hashBlocks(ByteBuffer data, int blocks) {
        int blockSize = base.blockSize();
        int pageSumBytes = pagesPerBlock * 32;
        BlockSums sums = new BlockSums(new byte[blocks * 32], new byte[blocks * pageSumBytes]);
        MessageDigest sha256 = SHA256.get();
        for (int i = 0; i < blocks; i++) {
            ByteBuffer block = data.slice(data.position() + i * blockSize, blockSize);
            if (DiskFile.isAllZero(block)) {
                System.arraycopy(zeroBlockHash, 0, sums.blocks(), i * 32, 32);
                System.arraycopy(zeroPageHashes, 0, sums.pages(), i * pageSumBytes, pageSumBytes);
            } else {
                PageTreeHash.hashBlock(block, sha256, sums.pages(), i * pageSumBytes, sums.blocks(), i * 32);
            }
        }
        return sums;
    }

    /**
     * Two: each batch hashes its blocks (on the CPU) and then writes them (waiting on the device, around the page
     * cache for long runs), so two batches at once keep both busy. Writes are thread-safe (stripe locks).
     */
    @Override
    public int concurrentBatches() {
        return 2;
    }

    /** Resets every block to zeros (before a full copy into this disk); every block counts as changed. */
    @Override
    public void zeroAll() {
        if (!snapshots.isEmpty()) {
            throw ProblemException.conflict("DiskHasSnapshots", "disk '" + diskId + "' has snapshots; delete them before resetting it");
        }
        long stamp = sequence.incrementAndGet();
        zeroedAt = -1;
        DiskFile.createZeroed(base.path(), base.sizeBytes());
        pageStamps.markAll(stamp);
        for (int b = 0; b < lastWrite.length(); b++) {
            lastWrite.set(b, stamp);
        }
        zeroedAt = stamp;
    }

    /** Reads whole blocks of the current content (a live read: no promise while writes go on). */
    @Override
    public void read(long firstBlock, ByteBuffer dst) {
        base.read(firstBlock, dst);
    }

    /**
     * Whether the block holds data (is not all zeros), from what the disk keeps where it can: a block not written since
     * the disk was zeroed holds none, and one whose hash is kept holds data unless that is the hash of zeros. Only a
     * block whose hash is not known is read, into {@code scratch} (room for a block).
     */
    public boolean holdsData(long block, ByteBuffer scratch) {
        byte[] hash = new byte[32];
        ReentrantLock lock = stripe(block);
        lock.lock();
        try {
            if (knownHash((int) block, lastWrite.get((int) block), hash, 0)) {
                return !java.util.Arrays.equals(hash, zeroBlockHash);
            }
        } finally {
            lock.unlock();
        }
        base.read(block, scratch.clear().limit(base.blockSize()));
        return !DiskFile.isAllZero(scratch.flip());
    }

    /** A block still stamped when the disk was zeroed has not been written since (a live answer, like a live read). */
    @Override
    public boolean knownZero(long block) {
        long zeroed = zeroedAt;
        return zeroed >= 0 && lastWrite.get((int) block) == zeroed;
    }

    /** Reads just those pages of the current content into their places, a positional read per run of adjacent pages. */
    @Override
    public void readPages(long block, long mask, ByteBuffer dst) {
        readPageRuns(base, block, mask, dst);
    }

    private static void readPageRuns(DiskFile file, long block, long mask, ByteBuffer dst) {
        int pageBytes = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
        int[] runs = io.failback.contracts.blockstream.BlockStreamEncoder.pageRuns(mask);
        for (int i = 0; i < runs.length; i += 2) {
            int offset = runs[i] * pageBytes;
            file.readAt(block * file.blockSize() + offset, dst.slice(dst.position() + offset, runs[i + 1] * pageBytes));
        }
    }

    @Override
    public void force() {
        base.force();
    }

    /**
     * The digest of the current content ({@link DiskFile#digest}). Only blocks whose hash is not known for their
     * current write stamp are read and hashed: those written as some of their pages (a block stream's PAGES), or never
     * hashed since a crash. A block is read under its stripe lock together with its stamp, so a hash always belongs to
     * the stamp it is filed under, even while the VM writes. One digest at a time per disk.
     */
    @Override
    public synchronized String digest() {
        byte[] list = new byte[lastWrite.length() * 32];
        collectHashes(list, new LiveHashes(), 0, lastWrite.length());
        return DiskFile.digestOfBlockHashes(list);
    }

    /**
     * The SHA-256 of the current content of each block in the range, as {@link #digest()} finds them: known hashes
     * are copied, the others read, hashed and filed (so the next digest need not read them again).
     */
    @Override
    public byte[] blockHashes(long firstBlock, int count) {
        requireRange(firstBlock, count);
        byte[] list = new byte[count * 32];
        collectHashes(list, new LiveHashes(), (int) firstBlock, count);
        return list;
    }

    /** {@link #blockHashes} of the content the snapshot shows (see {@link #snapshotDigest}). */
    public byte[] snapshotBlockHashes(String snapshotId, long firstBlock, int count) {
        Snapshot snapshot = existingSnapshot(snapshotId);
        requireRange(firstBlock, count);
        byte[] list = new byte[count * 32];
        collectHashes(list, new SnapshotHashes(snapshot), (int) firstBlock, count);
        return list;
    }

    private void requireRange(long firstBlock, int count) {
        if (firstBlock < 0 || count < 0 || firstBlock + count > lastWrite.length()) {
            throw new IllegalArgumentException("blocks " + firstBlock + " + " + count + " are outside disk " + diskId);
        }
    }

    /**
     * The digest of the content the snapshot shows. A block written since the snapshot is the snapshot's own copy,
     * hashed once (or carrying the hash the live block had when it was preserved); every other block is the live one,
     * whose hash is usually known: the digest costs what changed, not the disk's size.
     */
    public String snapshotDigest(String snapshotId) {
        Snapshot snapshot = existingSnapshot(snapshotId);
        byte[] list = new byte[lastWrite.length() * 32];
        collectHashes(list, new SnapshotHashes(snapshot), 0, lastWrite.length());
        return DiskFile.digestOfBlockHashes(list);
    }

    /** Where a digest finds a block's hash or content; every call is made under the block's stripe lock. */
    private interface HashSource {
        /** Puts the block's hash into {@code list} at {@code at} and answers {@link #KNOWN}, or answers a token. */
        long lookup(int block, byte[] list, int at);

        void read(int block, long token, ByteBuffer dst);

        /** Files the hash computed from what {@link #read} gave for {@code token}, with its pages' hashes. */
        void file(int block, long token, byte[] list, int at, byte[] pages);
    }

    private final class LiveHashes implements HashSource {
        @Override
        public long lookup(int block, byte[] list, int at) {
            long stamp = lastWrite.get(block);
            return knownHash(block, stamp, list, at) ? KNOWN : stamp;
        }

        @Override
        public void read(int block, long token, ByteBuffer dst) {
            base.read(block, dst);
        }

        @Override
        public void file(int block, long token, byte[] list, int at, byte[] pages) {
            hashCache().file(block, token, list, at);
            pageHashes.file(block, token, pages, 0);
        }
    }

    private final class SnapshotHashes implements HashSource {
        private final Snapshot snapshot;
        private final LiveHashes live = new LiveHashes();

        SnapshotHashes(Snapshot snapshot) {
            this.snapshot = snapshot;
        }

        @Override
        public long lookup(int block, byte[] list, int at) {
            if (!snapshot.holds(block)) {
                // Not written since the snapshot: the live block is the snapshot's.
                return live.lookup(block, list, at);
            }
            byte[] hash = snapshot.hash(block);
            if (hash == null) {
                return HELD;
            }
            System.arraycopy(hash, 0, list, at, 32);
            return KNOWN;
        }

        @Override
        public void read(int block, long token, ByteBuffer dst) {
            if (token == HELD) {
                snapshot.read(block, dst);
            } else {
                live.read(block, token, dst);
            }
        }

        @Override
        public void file(int block, long token, byte[] list, int at, byte[] pages) {
            if (token == HELD) {
                snapshot.fileHash(block, java.util.Arrays.copyOfRange(list, at, at + 32));
            } else {
                live.file(block, token, list, at, pages);
            }
        }
    }

    /**
     * Fills {@code list} with the hashes of {@code count} blocks from {@code firstBlock} from {@code source}, reading
     * and hashing only the blocks whose hash is not known; with many blocks, on this thread and a helper at once, both
     * claiming blocks as they go (so a busy helper only means this thread does it all).
     */
    private void collectHashes(byte[] list, HashSource source, int firstBlock, int count) {
        int blocks = count;
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            MessageDigest sha256 = DiskFile.sha256();
            ByteBuffer block = ByteBuffer.allocate(base.blockSize());
            byte[] pages = new byte[pagesPerBlock * 32];
            int first;
            while ((first = next.getAndAdd(HASH_CLAIM_BLOCKS)) < blocks) {
                for (int i = first; i < Math.min(blocks, first + HASH_CLAIM_BLOCKS); i++) {
                    hashOne(firstBlock + i, i * 32, source, list, sha256, block, pages);
                }
            }
        };
        if (blocks < PARALLEL_HASH_BLOCKS) {
            worker.run();
            return;
        }
        // The helper joins only if it gets to the task before this thread is done; a Future's cancel would not tell
        // a task that is running from one that never started.
        AtomicInteger helper = new AtomicInteger(HELPER_PENDING);
        java.util.concurrent.CompletableFuture<Void> helped = new java.util.concurrent.CompletableFuture<>();
        HASH_HELPER.execute(() -> {
            if (!helper.compareAndSet(HELPER_PENDING, HELPER_RUNNING)) {
                return;
            }
            try {
                worker.run();
                helped.complete(null);
            } catch (RuntimeException | Error e) {
                helped.completeExceptionally(e);
            }
        });
        worker.run();
        if (helper.compareAndSet(HELPER_PENDING, HELPER_NOT_NEEDED)) {
            return;
        }
        try {
            helped.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while hashing disk " + diskId, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    private void hashOne(int b, int at, HashSource source, byte[] list, MessageDigest sha256, ByteBuffer block, byte[] pages) {
        long token;
        ReentrantLock lock = stripe(b);
        lock.lock();
        try {
            token = source.lookup(b, list, at);
            if (token == KNOWN) {
                return;
            }
            source.read(b, token, block.clear());
            blocksReadForDigests.incrementAndGet();
        } finally {
            lock.unlock();
        }
        block.flip();
        if (DiskFile.isAllZero(block)) {
            System.arraycopy(zeroBlockHash, 0, list, at, 32);
            System.arraycopy(zeroPageHashes, 0, pages, 0, pages.length);
        } else {
            PageTreeHash.hashBlock(block, sha256, pages, 0, list, at);
        }
        lock.lock();
        try {
            source.file(b, token, list, at, pages);
        } finally {
            lock.unlock();
        }
    }

    /** Called under the block's stripe lock: the hash of the block's content at {@code stamp}, if known. */
    private boolean knownHash(int block, long stamp, byte[] dst, int at) {
        if (stamp == zeroedAt) {
            System.arraycopy(zeroBlockHash, 0, dst, at, 32);
            return true;
        }
        HashCache cache = hashes;
        return cache != null && cache.copyIfAt(block, stamp, dst, at);
    }

    private HashCache hashCache() {
        HashCache cache = hashes;
        if (cache == null) {
            synchronized (stripes) {
                cache = hashes;
                if (cache == null) {
                    cache = new HashCache(lastWrite.length());
                    hashes = cache;
                }
            }
        }
        return cache;
    }

    /**
     * Each block's SHA-256 and the write stamp of the content it was computed from (-1: none). An entry is read and
     * written under its block's stripe lock; a hash filed for an older stamp never replaces a newer one.
     */
    private static final class HashCache {
        private final byte[] hashes;
        private final long[] stamps;

        HashCache(int blocks) {
            hashes = new byte[blocks * 32];
            stamps = new long[blocks];
            java.util.Arrays.fill(stamps, -1);
        }

        boolean copyIfAt(int block, long stamp, byte[] dst, int at) {
            if (stamps[block] != stamp) {
                return false;
            }
            System.arraycopy(hashes, block * 32, dst, at, 32);
            return true;
        }

        /** The hash of the block's content at {@code stamp}, or null. */
        byte[] at(int block, long stamp) {
            return stamps[block] == stamp ? java.util.Arrays.copyOfRange(hashes, block * 32, block * 32 + 32) : null;
        }

        void file(int block, long stamp, byte[] src, int at) {
            if (stamp > stamps[block]) {
                System.arraycopy(src, at, hashes, block * 32, 32);
                stamps[block] = stamp;
            }
        }
    }

    /** Blocks stamped after {@code since}: exactly those written after that tracking point (plus, after a crash, all). */
    public BlockRanges changedSince(long since) {
        if (since < 0 || since > sequence.get()) {
            throw ProblemException.badRequest("InvalidTrackingPoint", "tracking point " + since + " of disk '" + diskId
                    + "' is not between 0 and the current " + sequence.get());
        }
        BlockRanges.Builder changed = new BlockRanges.Builder();
        for (int b = 0; b < lastWrite.length(); b++) {
            if (lastWrite.get(b) > since) {
                changed.add(b);
            }
        }
        return changed.build();
    }

    /**
     * What was written after {@code since}, per 4 KiB page: the same blocks as {@link #changedSince}, and of them those
     * only partly written since, with the pages that were.
     */
    public PageStamps.Changes changedPagesSince(long since) {
        if (since < 0 || since > sequence.get()) {
            throw ProblemException.badRequest("InvalidTrackingPoint", "tracking point " + since + " of disk '" + diskId
                    + "' is not between 0 and the current " + sequence.get());
        }
        return pageStamps.changedSince(since);
    }

    /** Takes a snapshot; the caller keeps writes to the VM's disks out while it takes one on each disk. */
    public long snapshot(String snapshotId) {
        if (snapshots.containsKey(snapshotId)) {
            throw ProblemException.conflict("SnapshotExists", "disk '" + diskId + "' already has snapshot '" + snapshotId + "'");
        }
        snapshots.put(snapshotId, Snapshot.create(dir, diskId, snapshotId, base.blockSize(), base.blockCount()));
        saveState(true);
        return sequence.get();
    }

    /**
     * Deletes a snapshot. A write copies a block's old content into every snapshot it finds while it holds the block's
     * stripe lock, so the snapshot leaves and closes only while every stripe is held (taken in the order writers take
     * theirs): no write of the VM ever meets it closed, which failed the write (and stopped a workload for good) when
     * catch-up rounds deleted one snapshot after another under a writing VM. Its files go after, outside the locks:
     * deleting a large copy-on-write file takes a while, and the VM's writes need not wait for that.
     */
    public void deleteSnapshot(String snapshotId) {
        Snapshot removed;
        lockRun(0, STRIPES);
        try {
            removed = snapshots.remove(snapshotId);
            if (removed != null) {
                removed.close();
            }
        } finally {
            unlockRun(0, STRIPES);
        }
        if (removed != null) {
            Snapshot.delete(dir, diskId, snapshotId);
            saveState(true);
        }
    }

    public List<String> snapshotIds() {
        return new ArrayList<>(snapshots.keySet());
    }

    private Snapshot existingSnapshot(String snapshotId) {
        Snapshot snapshot = snapshots.get(snapshotId);
        if (snapshot == null) {
            throw ProblemException.notFound("SnapshotNotFound", "disk '" + diskId + "' has no snapshot '" + snapshotId + "'");
        }
        return snapshot;
    }

    /** {@link #readPages} of the content the snapshot shows. */
    public void readSnapshotPages(String snapshotId, long block, long mask, ByteBuffer dst) {
        Snapshot snapshot = existingSnapshot(snapshotId);
        ReentrantLock lock = stripe(block);
        lock.lock();
        try {
            readPageRuns(snapshot.holds(block) ? snapshot.store : base, block, mask, dst);
        } finally {
            lock.unlock();
        }
    }

    /** Reads whole blocks as they were when the snapshot was taken, whatever was written since. */
    public void readSnapshot(String snapshotId, long firstBlock, ByteBuffer dst) {
        Snapshot snapshot = existingSnapshot(snapshotId);
        int blockSize = base.blockSize();
        long block = firstBlock;
        while (dst.hasRemaining()) {
            ByteBuffer one = dst.slice(dst.position(), blockSize);
            ReentrantLock lock = stripe(block);
            lock.lock();
            try {
                if (snapshot.holds(block)) {
                    snapshot.read(block, one);
                } else {
                    base.read(block, one);
                }
            } finally {
                lock.unlock();
            }
            dst.position(dst.position() + blockSize);
            block++;
        }
    }

    /**
     * Called under the block's stripe lock before it is overwritten: every snapshot that still shares the block gets
     * its own copy, with the hash the live block had if it was known. A block known to hold zeros is not copied: a
     * snapshot's store reads as zeros where nothing was put.
     */
    private void preserveForSnapshots(long blockIndex, ByteBuffer scratch) {
        boolean looked = false;
        boolean zeros = false;
        byte[] hash = null;
        for (Snapshot snapshot : snapshots.values()) {
            if (snapshot.holds(blockIndex)) {
                continue;
            }
            if (!looked) {
                long stamp = lastWrite.get((int) blockIndex);
                zeros = stamp == zeroedAt;
                HashCache cache = hashes;
                hash = zeros ? zeroBlockHash : cache == null ? null : cache.at((int) blockIndex, stamp);
                if (!zeros) {
                    base.read(blockIndex, scratch.clear());
                    scratch.flip();
                }
                looked = true;
            }
            snapshot.preserve(blockIndex, zeros ? null : scratch.duplicate(), hash);
        }
    }

    private ReentrantLock stripe(long blockIndex) {
        return stripes[(int) (blockIndex % STRIPES)];
    }

    /** Locks the stripes of {@code count} (at most {@link #STRIPES}) blocks from {@code first}, in stripe order. */
    private void lockRun(long first, int count) {
        int from = (int) (first % STRIPES);
        int wrapped = from + count - STRIPES;
        for (int s = 0; s < wrapped; s++) {
            stripes[s].lock();
        }
        for (int s = from; s < Math.min(STRIPES, from + count); s++) {
            stripes[s].lock();
        }
    }

    private void unlockRun(long first, int count) {
        int from = (int) (first % STRIPES);
        int wrapped = from + count - STRIPES;
        for (int s = 0; s < wrapped; s++) {
            stripes[s].unlock();
        }
        for (int s = from; s < Math.min(STRIPES, from + count); s++) {
            stripes[s].unlock();
        }
    }

    @Override
    public void close() {
        base.force();
        for (Snapshot snapshot : snapshots.values()) {
            snapshot.save();
            snapshot.close();
        }
        saveTracking();
        pageStamps.save(pagesPath(dir, diskId));
        saveHashes();
        pageHashes.save();
        saveState(false);
        base.close();
    }

    private State readState() {
        Path file = dir.resolve(diskId + ".state.json");
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return json.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void saveState(boolean open) {
        SiteFiles.writeAtomically(json, dir.resolve(diskId + ".state.json"),
                new State(sequence.get(), open, new ArrayList<>(snapshots.keySet()), zeroedAt < 0 ? null : zeroedAt));
    }

    private void loadTracking() {
        Path file = dir.resolve(diskId + ".cbt");
        if (!Files.exists(file)) {
            return;
        }
        LongBuffer stamps = SiteFiles.readFile(file).asLongBuffer();
        for (int b = 0; b < lastWrite.length() && stamps.hasRemaining(); b++) {
            lastWrite.set(b, stamps.get());
        }
    }

    private void saveTracking() {
        ByteBuffer bytes = ByteBuffer.allocate(lastWrite.length() * Long.BYTES);
        for (int b = 0; b < lastWrite.length(); b++) {
            bytes.putLong(lastWrite.get(b));
        }
        SiteFiles.writeFile(dir.resolve(diskId + ".cbt"), bytes.flip());
    }

    /**
     * The block hashes as they were at a clean close: each entry is used only while its block's stamp still equals the
     * entry's, so after a clean restart nothing is rehashed, and nothing stale can count.
     */
    private void loadHashes() {
        Path file = hashFile(dir, diskId);
        int blocks = lastWrite.length();
        try {
            if (!Files.exists(file) || Files.size(file) != blocks * 40L) {
                return;
            }
            ByteBuffer bytes = SiteFiles.readFile(file);
            HashCache cache = new HashCache(blocks);
            for (int b = 0; b < blocks; b++) {
                cache.stamps[b] = bytes.getLong();
                bytes.get(cache.hashes, b * 32, 32);
            }
            hashes = cache;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void saveHashes() {
        HashCache cache = hashes;
        if (cache == null) {
            return;
        }
        int blocks = lastWrite.length();
        ByteBuffer bytes = ByteBuffer.allocate(blocks * 40);
        for (int b = 0; b < blocks; b++) {
            bytes.putLong(cache.stamps[b]).put(cache.hashes, b * 32, 32);
        }
        SiteFiles.writeFile(hashFile(dir, diskId), bytes.flip());
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }

    /**
     * One snapshot of one disk: the blocks it had to keep, in a sparse file at their own offsets, and which they are;
     * and the hashes of those blocks once known (in memory only: after a restart they are hashed again, once).
     */
    private static final class Snapshot {
        private final Path bitmapFile;
        private final DiskFile store;
        private final BitSet held;
        private final Map<Long, byte[]> hashes = new ConcurrentHashMap<>();

        private Snapshot(Path bitmapFile, DiskFile store, BitSet held) {
            this.bitmapFile = bitmapFile;
            this.store = store;
            this.held = held;
        }

        static Snapshot create(Path dir, String diskId, String snapshotId, int blockSize, long blockCount) {
            Path storePath = dir.resolve(diskId + ".snap-" + snapshotId + ".cow");
            DiskFile.createZeroed(storePath, blockCount * blockSize);
            return new Snapshot(dir.resolve(diskId + ".snap-" + snapshotId + ".held"), DiskFile.open(storePath, blockSize), new BitSet());
        }

        static Snapshot load(Path dir, String diskId, String snapshotId, int blockSize, long blockCount) {
            Path bitmap = dir.resolve(diskId + ".snap-" + snapshotId + ".held");
            try {
                BitSet held = Files.exists(bitmap) ? BitSet.valueOf(Files.readAllBytes(bitmap)) : new BitSet();
                return new Snapshot(bitmap, DiskFile.open(dir.resolve(diskId + ".snap-" + snapshotId + ".cow"), blockSize), held);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load snapshot " + snapshotId + " of " + diskId, e);
            }
        }

        static void delete(Path dir, String diskId, String snapshotId) {
            try {
                Files.deleteIfExists(dir.resolve(diskId + ".snap-" + snapshotId + ".cow"));
                Files.deleteIfExists(dir.resolve(diskId + ".snap-" + snapshotId + ".held"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete snapshot " + snapshotId + " of " + diskId, e);
            }
        }

        /** Called under the block's stripe lock. */
        boolean holds(long block) {
            synchronized (held) {
                return held.get((int) block);
            }
        }

        /**
         * Keeps {@code content} (null: the block held zeros, which the sparse store already reads as) and its hash
         * when known. Called under the block's stripe lock.
         */
        void preserve(long block, ByteBuffer content, byte[] hash) {
            if (content != null) {
                store.write(block, content);
            }
            if (hash != null) {
                hashes.put(block, hash);
            }
            synchronized (held) {
                held.set((int) block);
            }
        }

        byte[] hash(long block) {
            return hashes.get(block);
        }

        void fileHash(long block, byte[] hash) {
            hashes.put(block, hash);
        }

        void read(long block, ByteBuffer dst) {
            store.read(block, dst);
        }

        void save() {
            store.force();
            byte[] bits;
            synchronized (held) {
                bits = held.toByteArray();
            }
            try {
                Files.write(bitmapFile, bits);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save " + bitmapFile, e);
            }
        }

        void close() {
            store.close();
        }
    }
}
