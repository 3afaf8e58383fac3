package io.failback.sitedisk;

import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.PageMasks;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntToLongFunction;
import java.util.zip.CRC32C;

/**
 * Changed-page tracking: the write stamp of every 4 KiB page of a disk, so that "what was written after tracking point
 * P" can be answered as blocks plus, for blocks only partly written since, which pages were. Random 4 KiB writes then
 * cost 4 KiB on the wire, not the 64 KiB block around them.
 * <p>
 * <b>Exact for any P, in little memory.</b> Each block keeps its newest stamp (8 bytes); only a block whose pages
 * carry different stamps keeps, besides, each page's age below that newest stamp (a 4-byte int per page, allocated
 * when a partial write first splits the block, dropped when a whole-block write makes it uniform again). A full copy
 * or a sequential workload leaves blocks uniform (12 bytes per block: 3 MiB for 16 GiB); random small writes cost
 * 80 more bytes for each block they split, at most ~20 MiB more for 16 GiB, against 32 MiB for a flat stamp per page.
 * An age is saturated at {@link Integer#MAX_VALUE}: a page written more than 2^31 − 1 writes before its block's newest
 * write reads as written that many writes before it, i.e. later than it was. So a page is reported changed after P
 * exactly when it was, except that a page so old can be reported for a P older than 2^31 writes before the block's
 * newest write: conservative, never wrong (an unreported page is always unchanged since P).
 * <p>
 * Thread-safe (striped locks, like {@link VirtualDisk}'s blocks). A write's stamp is applied as the maximum of the
 * page's and the new one, so writes applied out of stamp order keep the newest. Saved with {@link #save} on a clean
 * stop; {@link #restore} reads it back and reconciles it with the disk's per-block tracking, so a missing, unreadable
 * or stale file only loses page detail (those blocks count as written whole), never a change. After a crash the disk
 * calls {@link #markAll}: every page counts as written.
 */
public final class PageStamps {
    private static final int STRIPES = 256;
    private static final int MAGIC = 0x46425047; // "FBPG"
    private static final short VERSION = 1;
    private static final int HEADER_BYTES = 4 + 2 + 2 + 8 + 4;

    private final int blockSize;
    private final int pageBytes;
    private final int pagesPerBlock;
    private final long fullMask;
    /** Each block's newest page stamp. */
    private final long[] newest;
    /** Null: every page of the block carries {@code newest}; otherwise each page's stamp is {@code newest - age}. */
    private final int[][] ages;
    private final Object[] stripes = new Object[STRIPES];

    /** What was written after a tracking point: blocks, and of them the ones only partly written, with their pages. */
    public record Changes(BlockRanges blocks, PageMasks partial) {
    }

    /** A disk of {@code blockCount} blocks never written: every page at stamp 0. */
    public PageStamps(int blockSize, long blockCount) {
        if (blockCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("at most " + Integer.MAX_VALUE + " blocks, got " + blockCount);
        }
        this.blockSize = blockSize;
        this.pagesPerBlock = PageMasks.pagesPerBlock(blockSize);
        this.pageBytes = blockSize / pagesPerBlock;
        this.fullMask = PageMasks.fullMask(blockSize);
        this.newest = new long[(int) blockCount];
        this.ages = new int[(int) blockCount][];
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    public int pagesPerBlock() {
        return pagesPerBlock;
    }

    /** Stamps every page that bytes {@code offsetBytes .. offsetBytes + lengthBytes} touch (a page touched at all counts). */
    public void stamp(long offsetBytes, long lengthBytes, long stamp) {
        if (lengthBytes <= 0) {
            return;
        }
        long firstPage = offsetBytes / pageBytes;
        long lastPage = (offsetBytes + lengthBytes - 1) / pageBytes;
        for (long block = firstPage / pagesPerBlock; block <= lastPage / pagesPerBlock; block++) {
            long blockFirstPage = block * pagesPerBlock;
            int from = (int) (Math.max(firstPage, blockFirstPage) - blockFirstPage);
            int to = (int) (Math.min(lastPage, blockFirstPage + pagesPerBlock - 1) - blockFirstPage);
            long mask = PageMasks.run(from, to - from + 1);
            stampPages((int) block, mask, stamp);
        }
    }

    /** Every page of every block written at {@code stamp} (a reset to zeros; a crash, after which nothing is known). */
    public void markAll(long stamp) {
        for (int block = 0; block < newest.length; block++) {
            synchronized (stripe(block)) {
                newest[block] = Math.max(newest[block], stamp);
                ages[block] = null;
            }
        }
    }

    private void stampPages(int block, long mask, long stamp) {
        synchronized (stripe(block)) {
            long before = newest[block];
            int[] pageAges = ages[block];
            if (mask == fullMask && stamp >= before) {
                newest[block] = stamp;
                ages[block] = null;
                return;
            }
            long after = Math.max(before, stamp);
            int[] next = pageAges != null ? pageAges : new int[pagesPerBlock];
            boolean uniform = true;
            for (int page = 0; page < pagesPerBlock; page++) {
                long pageStamp = before - (pageAges == null ? 0 : pageAges[page]);
                if ((mask >>> page & 1) != 0) {
                    pageStamp = Math.max(pageStamp, stamp);
                }
                next[page] = (int) Math.min(after - pageStamp, Integer.MAX_VALUE);
                uniform &= next[page] == 0;
            }
            newest[block] = after;
            ages[block] = uniform ? null : next;
        }
    }

    /** The pages of {@code block} stamped after {@code since}, as a mask (0: none). */
    public long pagesWrittenAfter(long block, long since) {
        synchronized (stripe((int) block)) {
            return maskAfter((int) block, since);
        }
    }

    private long maskAfter(int block, long since) {
        long blockNewest = newest[block];
        if (blockNewest <= since) {
            return 0;
        }
        int[] pageAges = ages[block];
        if (pageAges == null) {
            return fullMask;
        }
        long mask = 0;
        for (int page = 0; page < pagesPerBlock; page++) {
            if (blockNewest - pageAges[page] > since) {
                mask |= 1L << page;
            }
        }
        return mask;
    }

    /** Blocks with a page stamped after {@code since}, and of them those with only some pages so, with their masks. */
    public Changes changedSince(long since) {
        BlockRanges.Builder blocks = new BlockRanges.Builder();
        PageMasks.Builder partial = new PageMasks.Builder(blockSize);
        for (int block = 0; block < newest.length; block++) {
            long mask;
            synchronized (stripe(block)) {
                mask = maskAfter(block, since);
            }
            if (mask != 0) {
                blocks.add(block);
                if (mask != fullMask) {
                    partial.add(block, mask);
                }
            }
        }
        return new Changes(blocks.build(), partial.build());
    }

    /** How many blocks keep per-page ages (their pages carry different stamps): what the tracking costs beyond 12 bytes a block. */
    public int splitBlocks() {
        int split = 0;
        for (int block = 0; block < newest.length; block++) {
            synchronized (stripe(block)) {
                split += ages[block] == null ? 0 : 1;
            }
        }
        return split;
    }

    /**
     * Writes the stamps to {@code file} and forces it: header (magic "FBPG", version, pages per block, block count,
     * split blocks), every block's newest stamp, then each split block's index and page ages, and a CRC32C of it all.
     */
    public void save(Path file) {
        int split = splitBlocks();
        int size = HEADER_BYTES + newest.length * Long.BYTES + split * (4 + pagesPerBlock * 4) + 4;
        ByteBuffer bytes = ByteBuffer.allocate(size);
        bytes.putInt(MAGIC).putShort(VERSION).putShort((short) pagesPerBlock).putLong(newest.length).putInt(split);
        int splitAt = HEADER_BYTES + newest.length * Long.BYTES;
        int written = 0;
        for (int block = 0; block < newest.length; block++) {
            synchronized (stripe(block)) {
                bytes.putLong(HEADER_BYTES + block * Long.BYTES, newest[block]);
                int[] pageAges = ages[block];
                if (pageAges != null && written < split) {
                    // Split after splitBlocks() counted (a save while writes go on) would not fit: saved as uniform,
                    // which counts its pages as all written then — conservative.
                    int at = splitAt + written * (4 + pagesPerBlock * 4);
                    bytes.putInt(at, block);
                    for (int page = 0; page < pagesPerBlock; page++) {
                        bytes.putInt(at + 4 + page * 4, pageAges[page]);
                    }
                    written++;
                }
            }
        }
        bytes.putInt(16, written);
        int end = splitAt + written * (4 + pagesPerBlock * 4);
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(0, end));
        bytes.putInt(end, (int) crc.getValue());
        bytes.position(0).limit(end + 4);
        SiteFiles.writeFile(file, bytes);
    }

    /**
     * Reads what {@link #save} wrote, if {@code file} holds stamps of this geometry that check out, then reconciles
     * with the disk's own per-block stamps: a block whose newest stamp differs from {@code blockStamps}' counts as
     * written whole at the later of the two. A missing or unreadable file leaves every block uniform at its block
     * stamp: page detail lost, no change lost.
     */
    public void restore(Path file, IntToLongFunction blockStamps) {
        read(file);
        for (int block = 0; block < newest.length; block++) {
            long stamp = blockStamps.applyAsLong(block);
            synchronized (stripe(block)) {
                if (newest[block] != stamp) {
                    newest[block] = Math.max(newest[block], stamp);
                    ages[block] = null;
                }
            }
        }
    }

    private void read(Path file) {
        if (!Files.exists(file)) {
            return;
        }
        ByteBuffer bytes = SiteFiles.readFile(file);
        if (bytes.remaining() < HEADER_BYTES + 4 || bytes.getInt(0) != MAGIC || bytes.getShort(4) != VERSION
                || bytes.getShort(6) != pagesPerBlock || bytes.getLong(8) != newest.length) {
            return;
        }
        int split = bytes.getInt(16);
        long end = HEADER_BYTES + (long) newest.length * Long.BYTES + (long) split * (4 + pagesPerBlock * 4);
        if (split < 0 || end + 4 != bytes.remaining()) {
            return;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(0, (int) end));
        if ((int) crc.getValue() != bytes.getInt((int) end)) {
            return;
        }
        for (int block = 0; block < newest.length; block++) {
            newest[block] = bytes.getLong(HEADER_BYTES + block * Long.BYTES);
        }
        int splitAt = HEADER_BYTES + newest.length * Long.BYTES;
        for (int i = 0; i < split; i++) {
            int at = splitAt + i * (4 + pagesPerBlock * 4);
            int block = bytes.getInt(at);
            if (block < 0 || block >= newest.length) {
                java.util.Arrays.fill(ages, null);
                return;
            }
            int[] pageAges = new int[pagesPerBlock];
            for (int page = 0; page < pagesPerBlock; page++) {
                pageAges[page] = bytes.getInt(at + 4 + page * 4);
            }
            ages[block] = pageAges;
        }
    }

    private Object stripe(int block) {
        return stripes[block % STRIPES];
    }
}
