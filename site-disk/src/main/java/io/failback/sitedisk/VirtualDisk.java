package io.failback.sitedisk;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.ProblemException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

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

    private final String diskId;
    private final Path dir;
    private final DiskFile base;
    private final ObjectMapper json;
    private final Object[] stripes = new Object[STRIPES];
    private final AtomicLong sequence;
    /**
     * Each block's SHA-256 (32 bytes per block) and the write stamp of the content it was computed from (-1: none
     * yet): a digest rehashes only the blocks written since. Allocated by the first digest; guarded by {@code this}.
     */
    private byte[] blockHashes;
    private long[] hashedAt;
    private final AtomicLongArray lastWrite;
    /** The same tracking per 4 KiB page: which pages of a block were written after a point (see {@link PageStamps}). */
    private final PageStamps pageStamps;
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    private final boolean recoveredFromCrash;

    /** What {@code <diskId>.state.json} holds. */
    record State(long sequence, boolean open, List<String> snapshots) {
    }

    private VirtualDisk(String diskId, Path dir, DiskFile base, ObjectMapper json) {
        this.diskId = diskId;
        this.dir = dir;
        this.base = base;
        this.json = json;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
        lastWrite = new AtomicLongArray((int) base.blockCount());
        pageStamps = new PageStamps(base.blockSize(), base.blockCount());
        State state = readState();
        if (state == null) {
            sequence = new AtomicLong(0);
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
            recoveredFromCrash = true;
        } else {
            sequence = new AtomicLong(state.sequence());
            loadTracking();
            pageStamps.restore(pagesPath(dir, diskId), lastWrite::get);
            for (String snapshotId : state.snapshots()) {
                snapshots.put(snapshotId, Snapshot.load(dir, diskId, snapshotId, base.blockSize(), base.blockCount()));
            }
            recoveredFromCrash = false;
        }
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
            return open(json, dir, diskId, blockSize);
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
        return new VirtualDisk(diskId, dir, DiskFile.open(imagePath(dir, diskId), blockSize), json);
    }

    public static Path imagePath(Path dir, String diskId) {
        return dir.resolve(diskId + ".img");
    }

    private static Path pagesPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".pages");
    }

    /** Removes the image and every file of its tracking and snapshots. */
    public static void deleteFiles(Path dir, String diskId) {
        try {
            Files.deleteIfExists(imagePath(dir, diskId));
            Files.deleteIfExists(dir.resolve(diskId + ".state.json"));
            Files.deleteIfExists(dir.resolve(diskId + ".cbt"));
            Files.deleteIfExists(pagesPath(dir, diskId));
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

    /** The current tracking point: blocks written from now on are "changed since" it. */
    public long trackingPoint() {
        return sequence.get();
    }

    /**
     * Writes {@code data} at byte {@code offset} (any size, any alignment inside the disk): preserves each touched
     * block for snapshots that still share it, writes, and stamps the blocks with a new sequence number.
     */
    public void write(long offset, ByteBuffer data) {
        if (offset < 0 || offset + data.remaining() > base.sizeBytes()) {
            throw new IllegalArgumentException("write of " + data.remaining() + " bytes at " + offset + " is outside disk " + diskId);
        }
        writeStamped(offset, data, sequence.incrementAndGet());
    }

    private void writeStamped(long offset, ByteBuffer data, long stamp) {
        int blockSize = base.blockSize();
        ByteBuffer block = ByteBuffer.allocate(blockSize);
        while (data.hasRemaining()) {
            long blockIndex = offset / blockSize;
            int within = (int) (offset % blockSize);
            int length = Math.min(blockSize - within, data.remaining());
            synchronized (stripe(blockIndex)) {
                preserveForSnapshots(blockIndex, block);
                if (within == 0 && length == blockSize) {
                    base.write(blockIndex, data.slice(data.position(), length));
                } else {
                    // A partial block: read, modify, write back whole.
                    base.read(blockIndex, block.clear());
                    block.put(within, data, data.position(), length);
                    base.write(blockIndex, block.clear());
                }
                // Pages first: whoever sees the block's stamp finds its pages' stamps too.
                pageStamps.stamp(offset, length, stamp);
                lastWrite.set((int) blockIndex, stamp);
            }
            data.position(data.position() + length);
            offset += length;
        }
    }

    /** Writes whole blocks from {@code firstBlock} (a block stream arriving). */
    @Override
    public void writeBlocks(long firstBlock, ByteBuffer blocks) {
        write(firstBlock * base.blockSize(), blocks);
    }

    /** Resets every block to zeros (before a full copy into this disk); every block counts as changed. */
    @Override
    public void zeroAll() {
        if (!snapshots.isEmpty()) {
            throw ProblemException.conflict("DiskHasSnapshots", "disk '" + diskId + "' has snapshots; delete them before resetting it");
        }
        long stamp = sequence.incrementAndGet();
        DiskFile.createZeroed(base.path(), base.sizeBytes());
        pageStamps.markAll(stamp);
        for (int b = 0; b < lastWrite.length(); b++) {
            lastWrite.set(b, stamp);
        }
    }

    /** Reads whole blocks of the current content (a live read: no promise while writes go on). */
    @Override
    public void read(long firstBlock, ByteBuffer dst) {
        base.read(firstBlock, dst);
    }

    @Override
    public void force() {
        base.force();
    }

    /**
     * The digest of the current content ({@link DiskFile#digest}). Only blocks written since the last digest are read
     * and hashed again: each block is read under its stripe lock together with its write stamp, so a hash always
     * belongs to the stamp it is filed under, even while the VM writes. One digest at a time per disk; a second caller
     * finds the first one's work done.
     */
    @Override
    public synchronized String digest() {
        int blockSize = base.blockSize();
        int blocks = lastWrite.length();
        if (blockHashes == null) {
            blockHashes = new byte[blocks * 32];
            hashedAt = new long[blocks];
            java.util.Arrays.fill(hashedAt, -1);
        }
        java.security.MessageDigest sha256 = DiskFile.sha256();
        ByteBuffer block = ByteBuffer.allocate(blockSize);
        for (int b = 0; b < blocks; b++) {
            long stamp;
            synchronized (stripe(b)) {
                stamp = lastWrite.get(b);
                if (hashedAt[b] == stamp) {
                    continue;
                }
                base.read(b, block.clear());
            }
            sha256.update(block.flip());
            try {
                sha256.digest(blockHashes, b * 32, 32);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
            hashedAt[b] = stamp;
        }
        return DiskFile.digestOfBlockHashes(blockHashes);
    }

    /** The digest of the content the snapshot shows (read whole). */
    public String snapshotDigest(String snapshotId) {
        return DiskFile.digest((first, dst) -> readSnapshot(snapshotId, first, dst), base.blockSize(), base.blockCount());
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

    public void deleteSnapshot(String snapshotId) {
        Snapshot removed = snapshots.remove(snapshotId);
        if (removed != null) {
            removed.close();
            Snapshot.delete(dir, diskId, snapshotId);
            saveState(true);
        }
    }

    public List<String> snapshotIds() {
        return new ArrayList<>(snapshots.keySet());
    }

    /** Reads whole blocks as they were when the snapshot was taken, whatever was written since. */
    public void readSnapshot(String snapshotId, long firstBlock, ByteBuffer dst) {
        Snapshot snapshot = snapshots.get(snapshotId);
        if (snapshot == null) {
            throw ProblemException.notFound("SnapshotNotFound", "disk '" + diskId + "' has no snapshot '" + snapshotId + "'");
        }
        int blockSize = base.blockSize();
        long block = firstBlock;
        while (dst.hasRemaining()) {
            ByteBuffer one = dst.slice(dst.position(), blockSize);
            synchronized (stripe(block)) {
                if (snapshot.holds(block)) {
                    snapshot.read(block, one);
                } else {
                    base.read(block, one);
                }
            }
            dst.position(dst.position() + blockSize);
            block++;
        }
    }

    private void preserveForSnapshots(long blockIndex, ByteBuffer scratch) {
        boolean read = false;
        for (Snapshot snapshot : snapshots.values()) {
            if (!snapshot.holds(blockIndex)) {
                if (!read) {
                    base.read(blockIndex, scratch.clear());
                    read = true;
                }
                snapshot.preserve(blockIndex, scratch.flip());
            }
        }
    }

    private Object stripe(long blockIndex) {
        return stripes[(int) (blockIndex % STRIPES)];
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
                new State(sequence.get(), open, new ArrayList<>(snapshots.keySet())));
    }

    private void loadTracking() {
        Path file = dir.resolve(diskId + ".cbt");
        if (!Files.exists(file)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer bytes = ByteBuffer.allocate((int) channel.size());
            while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
                // read it all
            }
            LongBuffer stamps = bytes.flip().asLongBuffer();
            for (int b = 0; b < lastWrite.length() && stamps.hasRemaining(); b++) {
                lastWrite.set(b, stamps.get());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void saveTracking() {
        ByteBuffer bytes = ByteBuffer.allocate(lastWrite.length() * Long.BYTES);
        for (int b = 0; b < lastWrite.length(); b++) {
            bytes.putLong(lastWrite.get(b));
        }
        Path file = dir.resolve(diskId + ".cbt");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            bytes.flip();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** One snapshot of one disk: the blocks it had to keep, in a sparse file at their own offsets, and which they are. */
    private static final class Snapshot {
        private final Path bitmapFile;
        private final DiskFile store;
        private final BitSet held;

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

        void preserve(long block, ByteBuffer content) {
            store.write(block, content);
            synchronized (held) {
                held.set((int) block);
            }
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
