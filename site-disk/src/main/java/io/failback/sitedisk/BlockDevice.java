package io.failback.sitedisk;

import java.nio.ByteBuffer;
import java.util.List;

/** Whole-block storage that a block stream can be read from and written into. Blocking. */
public interface BlockDevice extends BlockReader {
    String diskId();

    int blockSize();

    long sizeBytes();

    default long blockCount() {
        return sizeBytes() / blockSize();
    }

    /** Reads whole blocks from {@code firstBlock} into {@code dst}'s remaining space. */
    void read(long firstBlock, ByteBuffer dst);

    /** Writes {@code blocks}' remaining bytes (whole blocks) from {@code firstBlock}. */
    void writeBlocks(long firstBlock, ByteBuffer blocks);

    /** A run of whole blocks to write: {@code blocks}' remaining bytes, from {@code firstBlock}. */
    record Run(long firstBlock, ByteBuffer blocks) {
    }

    /**
     * Writes runs of blocks handed over together (a batch of a block stream, a chunk of a local copy). The default
     * writes them one by one; a device that must make something durable before it overwrites blocks (an undo
     * journal) overrides this to do it once per batch instead of once per run.
     */
    default void writeRuns(List<Run> runs) {
        for (Run run : runs) {
            writeBlocks(run.firstBlock(), run.blocks());
        }
    }

    /**
     * Some pages of a block to write (block stream version 2): page {@code i} (bytes {@code i × 4096 .. (i + 1) ×
     * 4096} of the block) is in {@code pages} when bit {@code i} of {@code mask} is set, in page order.
     */
    record Pages(long block, long mask, ByteBuffer pages) {
    }

    /**
     * Writes only the pages {@code mask} names of block {@code block} from {@code pages}' remaining bytes (4096 per
     * page, in page order); the block's other pages keep their content. The default reads the block, lays the pages
     * over it and writes it whole: correct for any device (a sealed one reseals the whole block); a device that can
     * write part of a block in place overrides it.
     */
    default void writePages(long block, long mask, ByteBuffer pages) {
        ByteBuffer whole = ByteBuffer.allocate(blockSize());
        read(block, whole);
        overlayPages(whole.clear(), mask, pages);
        writeBlocks(block, whole.clear());
    }

    /**
     * A batch of a block stream: runs of whole blocks and blocks of which only some pages arrived, none of them twice.
     * The default writes the runs together, then the pages block by block; a device that must make something durable
     * before it overwrites blocks (an undo journal) overrides this to do it once for all of them.
     */
    default void writeBatch(List<Run> runs, List<Pages> pages) {
        if (!runs.isEmpty()) {
            writeRuns(runs);
        }
        for (Pages some : pages) {
            writePages(some.block(), some.mask(), some.pages());
        }
    }

    /**
     * How many batches ({@link #writeBatch}) may be written at once, from different threads; they never share a block.
     * One unless the device is thread-safe for writes and gains from it: a batch's hashing then overlaps another's
     * write.
     */
    default int concurrentBatches() {
        return 1;
    }

    /** Copies the pages {@code mask} names from {@code pages} (in page order) to their places in {@code block}. */
    static void overlayPages(ByteBuffer block, long mask, ByteBuffer pages) {
        int pageBytes = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
        int[] runs = io.failback.contracts.blockstream.BlockStreamEncoder.pageRuns(mask);
        int from = pages.position();
        for (int i = 0; i < runs.length; i += 2) {
            int bytes = runs[i + 1] * pageBytes;
            block.put(block.position() + runs[i] * pageBytes, pages, from, bytes);
            from += bytes;
        }
    }

    /** Resets every block to zeros, before a full copy into the device. */
    void zeroAll();

    /** Makes every write so far durable. */
    void force();

    /** SHA-256 of the whole content, lowercase hex. */
    String digest();

    /**
     * The SHA-256 of each of {@code count} blocks from {@code firstBlock}, 32 bytes each, in block order: the hashes
     * {@link #digest()} is made of. The default reads and hashes them all; a device that keeps its blocks' hashes
     * answers from those and reads only the blocks whose hash it does not know.
     */
    default byte[] blockHashes(long firstBlock, int count) {
        return DiskFile.blockHashes(this::read, blockSize(), firstBlock, count);
    }
}
