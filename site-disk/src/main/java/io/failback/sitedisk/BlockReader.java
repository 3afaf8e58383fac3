package io.failback.sitedisk;

import java.nio.ByteBuffer;

/** Reads whole blocks into the remaining space of a buffer: a live disk, or a snapshot's view of it. Blocking. */
@FunctionalInterface
public interface BlockReader {
    void read(long firstBlock, ByteBuffer dst);

    /**
     * Reads at least the pages {@code mask} names of block {@code block} into their places in {@code dst}, whose
     * remaining space is one block (its position does not move); whether the block's other pages are read as well is
     * the reader's choice, so only the named pages may be relied on. The default reads the whole block; a reader that
     * can read part of a block in place overrides it: a stream of a guest's scattered 4 KiB writes, or an undo journal
     * saving the pages they replace, then reads 4 KiB per page instead of the 64 KiB block.
     */
    default void readPages(long block, long mask, ByteBuffer dst) {
        read(block, dst.duplicate());
    }

    /**
     * Whether the block is known to hold only zeros without reading it: never written since the disk was created or
     * reset, the way a real disk knows its unallocated ranges (a managed disk's page ranges, a VHDX's block allocation
     * table). A sender sends such blocks as zero runs without reading them. The default knows nothing; false is always
     * correct.
     */
    default boolean knownZero(long block) {
        return false;
    }
}
