package io.failback.sitedisk;

import com.sun.nio.file.ExtendedOpenOption;
import io.failback.contracts.site.PageTreeHash;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A virtual disk as both sites keep it: a raw image file of whole blocks, sparse where nothing was written.
 * Positional I/O only, so one open file serves concurrent readers. Every method blocks: call from a worker thread.
 * <p>
 * Large reads and writes into and from aligned direct memory (a block stream's batches) bypass the page cache
 * ({@code O_DIRECT}). Once the page cache fills the machine's memory, as it does on a host that has run a while, every
 * page it takes in must first be reclaimed from another file: on this machine a buffered write of 2.4 GB into a sparse
 * image cost 2.6–4.7 s of kernel time, and reading 2.4 GB that was not cached 4.2 s; the same bytes written directly
 * took 0.1–0.24 s (at 1.7–1.9 GB/s, in writes of 256 KiB to 1 MiB), read directly 0.14 s (at 1.4 GB/s). Small I/O (a
 * guest's pages, scattered blocks, hash reads) stays buffered: each direct call waits for the device, and 6,500
 * scattered 64 KiB writes took 0.52 s direct against 0.34 s buffered with the force after them. Linux keeps the two
 * coherent: a direct read or write first writes back the cached dirty pages of its range, and a write drops them.
 */
public final class DiskFile implements Closeable {
    /** SHA-256 of the list of the blocks' page-tree hashes (see {@link #digest}). */
    public static final String DIGEST_ALGORITHM = PageTreeHash.DIGEST_ALGORITHM;
    private static final int DIGEST_READ_BYTES = 1 << 20;
    /** What {@link #isAllZero} compares with: small enough to stay in the cache. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(16 << 10).asReadOnlyBuffer();
    /** The smallest read or write that goes around the page cache (see above). */
    static final int DIRECT_IO_MIN_BYTES = 256 << 10;
    /**
     * What a direct write's memory address, file position and length must be multiples of: the page size, which
     * covers every logical block size a Linux block device has (512 to 4096 bytes).
     */
    public static final int DIRECT_ALIGNMENT = 4096;

    private final Path path;
    private final FileChannel channel;
    private final int blockSize;
    private final long sizeBytes;
    /** Opened at the first read or write that can use it; null where the file system refuses it (tmpfs). */
    private FileChannel directChannel;
    private boolean directChannelTried;

    private DiskFile(Path path, FileChannel channel, int blockSize, long sizeBytes) {
        this.path = path;
        this.channel = channel;
        this.blockSize = blockSize;
        this.sizeBytes = sizeBytes;
    }

    /** Creates (or resets to all zeros) a sparse image of {@code sizeBytes}. */
    public static void createZeroed(Path path, long sizeBytes) {
        try {
            Files.createDirectories(path.getParent());
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                channel.truncate(0);
                // Writing the last byte gives the file its length without allocating the blocks before it.
                if (sizeBytes > 0) {
                    channel.write(ByteBuffer.allocate(1), sizeBytes - 1);
                }
                channel.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create disk image " + path, e);
        }
    }

    public static DiskFile open(Path path, int blockSize) {
        try {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long size = channel.size();
            if (size % blockSize != 0) {
                channel.close();
                throw new IllegalStateException("disk image " + path + " has " + size
                        + " bytes, not a multiple of its block size " + blockSize);
            }
            return new DiskFile(path, channel, blockSize, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open disk image " + path, e);
        }
    }

    public Path path() {
        return path;
    }

    public int blockSize() {
        return blockSize;
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public long blockCount() {
        return sizeBytes / blockSize;
    }

    /**
     * Reads whole blocks from {@code firstBlock} into {@code dst}'s remaining space (a multiple of the block size);
     * around the page cache when that is at least {@link #DIRECT_IO_MIN_BYTES} of aligned direct memory.
     */
    public void read(long firstBlock, ByteBuffer dst) {
        long position = firstBlock * blockSize;
        try {
            FileChannel direct = canUseDirectIo(dst, position) ? directChannel() : null;
            if (!SiteFiles.readFully(direct != null ? direct : channel, dst, position)) {
                throw new IllegalStateException("read past the end of " + path + " at " + position);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** Reads {@code dst}'s remaining bytes from byte {@code offset} (part of a block: some of its pages). */
    public void readAt(long offset, ByteBuffer dst) {
        try {
            if (offset < 0 || !SiteFiles.readFully(channel, dst, offset)) {
                throw new IllegalStateException("read past the end of " + path + " at " + offset);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /**
     * Writes {@code src}'s remaining bytes at the start of block {@code firstBlock}; around the page cache when they
     * are at least {@link #DIRECT_IO_MIN_BYTES} of direct memory aligned to {@link #DIRECT_ALIGNMENT}.
     */
    public void write(long firstBlock, ByteBuffer src) {
        long position = firstBlock * blockSize;
        if (position + src.remaining() > sizeBytes) {
            throw new IllegalArgumentException("write of " + src.remaining() + " bytes at block " + firstBlock
                    + " runs past the end of a " + sizeBytes + "-byte disk");
        }
        try {
            FileChannel direct = canUseDirectIo(src, position) ? directChannel() : null;
            SiteFiles.writeFully(direct != null ? direct : channel, src, position);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    private static boolean canUseDirectIo(ByteBuffer memory, long position) {
        return memory.isDirect() && memory.remaining() >= DIRECT_IO_MIN_BYTES && memory.remaining() % DIRECT_ALIGNMENT == 0
                && position % DIRECT_ALIGNMENT == 0 && memory.alignmentOffset(memory.position(), DIRECT_ALIGNMENT) == 0;
    }

    /** The image opened with {@code O_DIRECT}, or null where that is refused. */
    private synchronized FileChannel directChannel() {
        if (!directChannelTried) {
            directChannelTried = true;
            try {
                if (Files.getFileStore(path).getBlockSize() <= DIRECT_ALIGNMENT) {
                    directChannel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // No direct channel: buffered I/O stays correct, it only costs more.
            }
        }
        return directChannel;
    }

    /**
     * A direct buffer of {@code capacity} bytes whose address is a multiple of {@link #DIRECT_ALIGNMENT}, so that
     * reads into it and writes from it can go around the page cache.
     */
    public static ByteBuffer allocateAligned(int capacity) {
        return ByteBuffer.allocateDirect(capacity + DIRECT_ALIGNMENT).alignedSlice(DIRECT_ALIGNMENT).limit(capacity).slice();
    }

    /** Writes {@code src}'s remaining bytes at byte {@code offset} (part of a block: some of its pages). */
    public void writeAt(long offset, ByteBuffer src) {
        if (offset < 0 || offset + src.remaining() > sizeBytes) {
            throw new IllegalArgumentException("write of " + src.remaining() + " bytes at " + offset
                    + " runs past the end of a " + sizeBytes + "-byte disk");
        }
        long position = offset;
        try {
            SiteFiles.writeFully(channel, src, position);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /** Makes every write so far durable. */
    public void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot flush " + path, e);
        }
    }

    /**
     * The whole-disk digest ({@link #DIGEST_ALGORITHM}): SHA-256 over the concatenated hash of every block
     * ({@link PageTreeHash}), in order. A hash list is as collision-resistant as SHA-256 itself, and lets a disk keep
     * its blocks' hashes and rehash only the blocks written since ({@link io.failback.sitedisk.VirtualDisk#digest()}),
     * so proving a disk after a small change costs what changed, not the disk's size. Reads 1 MiB at a time.
     */
    public static String digest(BlockReader reader, int blockSize, long blockCount) {
        return digestOfBlockHashes(blockHashes(reader, blockSize, 0, Math.toIntExact(blockCount)));
    }

    /** The hash ({@link PageTreeHash}) of each of {@code count} blocks from {@code firstBlock}, read 1 MiB at a time. */
    public static byte[] blockHashes(BlockReader reader, int blockSize, long firstBlock, int count) {
        MessageDigest sha256 = sha256();
        byte[] list = new byte[count * 32];
        byte[] pageHashes = new byte[PageTreeHash.pagesPerBlock(blockSize) * 32];
        int blocksPerRead = Math.max(1, DIGEST_READ_BYTES / blockSize);
        ByteBuffer buffer = ByteBuffer.allocate(blocksPerRead * blockSize);
        for (int done = 0; done < count; done += blocksPerRead) {
            int blocks = Math.min(blocksPerRead, count - done);
            buffer.clear().limit(blocks * blockSize);
            reader.read(firstBlock + done, buffer);
            for (int i = 0; i < blocks; i++) {
                PageTreeHash.hashBlock(buffer.slice(i * blockSize, blockSize), sha256, pageHashes, 0, list, (done + i) * 32);
            }
        }
        return list;
    }

    /** The digest of a disk whose blocks' hashes are {@code blockHashes}, concatenated in block order. */
    public static String digestOfBlockHashes(byte[] blockHashes) {
        return HexFormat.of().formatHex(sha256().digest(blockHashes));
    }

    public static MessageDigest sha256() {
        return PageTreeHash.sha256();
    }

    private synchronized FileChannel directChannelIfOpen() {
        return directChannel;
    }

    /** Whether some read or write went around the page cache (for tests). */
    boolean usedDirectIo() {
        return directChannelIfOpen() != null;
    }

    /** Whether {@code block}'s remaining bytes are all zero; compares against zeros a vector at a time. */
    public static boolean isAllZero(ByteBuffer block) {
        for (int at = block.position(); at < block.limit(); at += ZEROS.capacity()) {
            int length = Math.min(ZEROS.capacity(), block.limit() - at);
            if (block.slice(at, length).mismatch(ZEROS.slice(0, length)) >= 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        try (FileChannel direct = directChannelIfOpen()) {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
