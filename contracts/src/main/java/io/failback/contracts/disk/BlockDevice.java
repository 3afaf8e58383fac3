package io.failback.contracts.disk;

import java.nio.ByteBuffer;

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

    /** Resets every block to zeros, before a full copy into the device. */
    void zeroAll();

    /** Makes every write so far durable. */
    void force();

    /** SHA-256 of the whole content, lowercase hex. */
    String digest();
}
