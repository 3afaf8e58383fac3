package io.failback.contracts.blockstream;

/** The first 40 bytes of a block stream: which disk geometry and which block range the frames belong to. */
public record StreamHeader(int blockSize, long diskSizeBytes, long firstBlock, long blockCount) {
    public StreamHeader {
        if (blockSize <= 0 || blockSize > BlockStreamFormat.MAX_BLOCK_SIZE) {
            throw new BlockStreamException("block size " + blockSize + " is outside 1.." + BlockStreamFormat.MAX_BLOCK_SIZE);
        }
        if (diskSizeBytes < 0 || diskSizeBytes % blockSize != 0) {
            throw new BlockStreamException("disk size " + diskSizeBytes + " is not a multiple of the block size " + blockSize);
        }
        long diskBlocks = diskSizeBytes / blockSize;
        if (firstBlock < 0 || blockCount < 0 || firstBlock > diskBlocks || blockCount > diskBlocks - firstBlock) {
            throw new BlockStreamException("block range [" + firstBlock + ", +" + blockCount + ") lies outside a disk of "
                    + diskBlocks + " blocks");
        }
    }

    public long endBlock() {
        return firstBlock + blockCount;
    }
}
