package io.failback.contracts.site;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which 4 KiB pages of some blocks are meant, for blocks of which only some pages changed or need to travel. Bit
 * {@code i} of a block's mask (least significant bit = page 0) stands for the block's bytes {@code i × 4096 ..
 * (i + 1) × 4096}; a block of {@code blockSize} bytes has {@code blockSize / 4096} pages, at most 64. A block not
 * listed is meant whole: this is an annotation on a list of block ranges, never a list of blocks by itself.
 * <p>
 * On the wire (JSON) it is {@code [[block, mask], ...]} in increasing block order, each mask non-zero and not
 * covering every page (a block meant whole is simply not listed). Immutable.
 */
public final class PageMasks {
    /** The page: the unit of change tracking and of a partial block on the wire (the block stream's page). */
    public static final int PAGE_BYTES = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
    /** No block is partial: every block of the ranges is meant whole. */
    public static final PageMasks NONE = new PageMasks(new long[0], new long[0]);

    private final long[] blocks;
    private final long[] masks;

    private PageMasks(long[] blocks, long[] masks) {
        this.blocks = blocks;
        this.masks = masks;
    }

    /** Pages per block, or 1 when the block size is not a whole number of pages (such a disk has no partial blocks). */
    public static int pagesPerBlock(int blockSize) {
        return blockSize % PAGE_BYTES == 0 && blockSize / PAGE_BYTES <= 64 ? blockSize / PAGE_BYTES : 1;
    }

    /** The mask of every page of a block of {@code blockSize}. */
    public static long fullMask(int blockSize) {
        return run(0, pagesPerBlock(blockSize));
    }

    /** The mask of {@code count} adjacent pages from {@code firstPage} (1..64 pages in all). */
    public static long run(int firstPage, int count) {
        return (count == 64 ? -1L : (1L << count) - 1) << firstPage;
    }

    /**
     * Reads {@code [[block, mask], ...]} (null or empty: {@link #NONE}) for blocks of {@code blockSize} bytes.
     *
     * @throws IllegalArgumentException when blocks do not increase, or a mask is zero, whole, or names pages past the block
     */
    public static PageMasks of(List<long[]> pairs, int blockSize) {
        if (pairs == null || pairs.isEmpty()) {
            return NONE;
        }
        Builder builder = new Builder(blockSize);
        for (long[] pair : pairs) {
            if (pair == null || pair.length != 2) {
                throw new IllegalArgumentException("a page mask is [block, mask], got " + Arrays.toString(pair));
            }
            builder.add(pair[0], pair[1]);
        }
        return builder.build();
    }

    /** Builds masks in increasing block order, checking each. */
    public static final class Builder {
        private final long fullMask;
        private long[] blocks = new long[16];
        private long[] masks = new long[16];
        private int size;

        public Builder(int blockSize) {
            this.fullMask = fullMask(blockSize);
        }

        public Builder add(long block, long mask) {
            if (block < 0 || (size > 0 && block <= blocks[size - 1])) {
                throw new IllegalArgumentException("page masks must name blocks in increasing order; block " + block
                        + " follows " + (size > 0 ? blocks[size - 1] : "nothing"));
            }
            if (mask == 0 || mask == fullMask || (mask & ~fullMask) != 0) {
                throw new IllegalArgumentException("block " + block + ": mask " + Long.toHexString(mask)
                        + " must name some but not all of the block's pages (all pages: " + Long.toHexString(fullMask) + ")");
            }
            if (size == blocks.length) {
                blocks = Arrays.copyOf(blocks, size * 2);
                masks = Arrays.copyOf(masks, size * 2);
            }
            blocks[size] = block;
            masks[size] = mask;
            size++;
            return this;
        }

        public PageMasks build() {
            return size == 0 ? NONE : new PageMasks(Arrays.copyOf(blocks, size), Arrays.copyOf(masks, size));
        }
    }

    /** How many blocks are partial. */
    public int size() {
        return blocks.length;
    }

    public boolean isEmpty() {
        return blocks.length == 0;
    }

    /** The i-th partial block, in increasing order. */
    public long block(int i) {
        return blocks[i];
    }

    /** The i-th partial block's mask. */
    public long mask(int i) {
        return masks[i];
    }

    /** The block's mask, or {@code fullMask} when it is not partial. */
    public long maskOf(long block, long fullMask) {
        int at = Arrays.binarySearch(blocks, block);
        return at >= 0 ? masks[at] : fullMask;
    }

    /** The pairs as they travel: {@code [[block, mask], ...]}. */
    public List<long[]> pairs() {
        List<long[]> pairs = new ArrayList<>(blocks.length);
        for (int i = 0; i < blocks.length; i++) {
            pairs.add(new long[] {blocks[i], masks[i]});
        }
        return pairs;
    }

    /** Only the masks of blocks inside {@code ranges} (sorted, disjoint {@code [first, count]} runs). */
    public PageMasks within(List<long[]> ranges, int blockSize) {
        Builder inside = new Builder(blockSize);
        int i = 0;
        for (long[] range : ranges) {
            long end = range[0] + range[1];
            while (i < blocks.length && blocks[i] < range[0]) {
                i++;
            }
            for (; i < blocks.length && blocks[i] < end; i++) {
                inside.add(blocks[i], masks[i]);
            }
        }
        return inside.build();
    }

    /**
     * The bytes that travel for the blocks of {@code ranges} when partial blocks send only their pages: a whole block
     * for every block not listed, 4096 per page for those listed. Masks of blocks outside the ranges do not count.
     */
    public long bytesOf(List<long[]> ranges, int blockSize) {
        long bytes = 0;
        for (long[] range : ranges) {
            bytes += range[1] * blockSize;
        }
        PageMasks inside = within(ranges, blockSize);
        for (int i = 0; i < inside.blocks.length; i++) {
            bytes -= blockSize - (long) Long.bitCount(inside.masks[i]) * PAGE_BYTES;
        }
        return bytes;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PageMasks that && Arrays.equals(blocks, that.blocks) && Arrays.equals(masks, that.masks);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(blocks) + Arrays.hashCode(masks);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < blocks.length; i++) {
            text.append(i == 0 ? "" : ", ").append(blocks[i]).append(":").append(Long.toHexString(masks[i]));
        }
        return text.append("]").toString();
    }
}
