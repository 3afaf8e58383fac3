package io.failback.sitedisk;

import java.nio.ByteBuffer;
import java.util.List;

/** Whole-block storage that a block stream can be read from and written into. Blocking. */
public interface BlockDevice {
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

    /** Resets every block to zeros, before a full copy into the device. */
    void zeroAll();

    /** Makes every write so far durable. */
    void force();

    /** SHA-256 of the whole content, lowercase hex. */
    String digest();
}
