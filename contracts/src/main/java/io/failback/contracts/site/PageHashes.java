package io.failback.contracts.site;

import io.failback.contracts.blockstream.Lz4Java;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import net.jpountz.xxhash.XXHash64;

/**
 * The per-page hash list, version 1: for the blocks a selection names ({@code POST .../hashes/select}), in block order,
 * one XXH64 (seed 0) of every 4 KiB page of each block, so that two disks already known to differ in a block can be
 * compared page by page without moving the block. Big-endian. The blocks are the selection's, in its order: the list
 * does not repeat their indexes, only their number.
 *
 * <pre>
 * header  = magic "FBPH" | version u16 = 1 | algorithm u16 = 1 (XXH64) | blockSize u32 | pageBytes u32 = 4096
 *           | blockCount u64 | crc32c u32 (of the 24 bytes before it)                                  (28 bytes)
 * hashes  = blockCount × (blockSize / pageBytes) × u64: block by block, page by page
 * trailer = crc32c u32 of all hash bytes
 * </pre>
 *
 * Like the per-block list, XXH64 only decides what travels; the whole-disk SHA-256 after every copy is the proof. A
 * disk whose blocks are not whole pages ({@link PageMasks#pagesPerBlock} = 1) lists one hash per block.
 */
public final class PageHashes {
    public static final String MEDIA_TYPE = "application/vnd.failback.page-hashes.v1";
    public static final int MAGIC = 0x46425048; // "FBPH"
    public static final short VERSION = 1;
    public static final short ALGORITHM_XXH64 = 1;
    public static final int HEADER_BYTES = 28;
    private static final XXHash64 XXH64 = Lz4Java.xxHash().hash64();

    private PageHashes() {
    }

    /** The bytes one page hash covers on a disk of {@code blockSize}: 4096, or the whole block. */
    public static int pageBytes(int blockSize) {
        return blockSize / PageMasks.pagesPerBlock(blockSize);
    }

    /** XXH64 of each page of the block in {@code block}'s remaining bytes, written into {@code out}. */
    public static void putPageHashes(ByteBuffer out, ByteBuffer block, int blockSize) {
        int pageBytes = pageBytes(blockSize);
        for (int at = block.position(); at < block.position() + blockSize; at += pageBytes) {
            out.putLong(XXH64.hash(block, at, pageBytes, 0));
        }
    }

    /** Writes the list's header (with its checksum) for {@code blockCount} blocks into {@code out}. */
    public static void putHeader(ByteBuffer out, int blockSize, long blockCount) {
        int start = out.position();
        out.putInt(MAGIC).putShort(VERSION).putShort(ALGORITHM_XXH64).putInt(blockSize).putInt(pageBytes(blockSize)).putLong(blockCount);
        CRC32C crc = new CRC32C();
        crc.update(out.duplicate().flip().position(start));
        out.putInt((int) crc.getValue());
    }

    /** The bytes of a whole list of {@code blockCount} blocks. */
    public static long listBytes(int blockSize, long blockCount) {
        return HEADER_BYTES + blockCount * PageMasks.pagesPerBlock(blockSize) * Long.BYTES + 4;
    }

    /**
     * Reads a whole list, as a site sends it: {@code blockCount} blocks of {@code blockSize}, and answers the hashes,
     * block by block and page by page ({@code pagesPerBlock} per block).
     *
     * @throws IllegalArgumentException when it is not a version 1 XXH64 list of that many blocks, or fails a checksum
     */
    public static long[] parse(ByteBuffer list, int blockSize, int blockCount) {
        ByteBuffer bytes = list.slice().order(ByteOrder.BIG_ENDIAN);
        int pages = PageMasks.pagesPerBlock(blockSize);
        long hashBytes = (long) blockCount * pages * Long.BYTES;
        if (bytes.remaining() != HEADER_BYTES + hashBytes + 4 || bytes.getInt(0) != MAGIC || bytes.getShort(4) != VERSION
                || bytes.getShort(6) != ALGORITHM_XXH64 || bytes.getInt(8) != blockSize || bytes.getInt(12) != pageBytes(blockSize)
                || bytes.getLong(16) != blockCount) {
            throw new IllegalArgumentException("the page hash list is not a version 1 list of " + blockCount + " blocks of "
                    + blockSize + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(0, HEADER_BYTES - 4));
        if ((int) crc.getValue() != bytes.getInt(HEADER_BYTES - 4)) {
            throw new IllegalArgumentException("the page hash list's header fails its checksum");
        }
        crc.reset();
        crc.update(bytes.slice(HEADER_BYTES, (int) hashBytes));
        if ((int) crc.getValue() != bytes.getInt(HEADER_BYTES + (int) hashBytes)) {
            throw new IllegalArgumentException("the page hash list fails its checksum");
        }
        long[] hashes = new long[blockCount * pages];
        bytes.position(HEADER_BYTES).asLongBuffer().get(hashes);
        return hashes;
    }
}
