package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The per-block hash list, version 1: one XXH64 (seed 0) per block, for comparing two disks block by block without
 * moving their data. Big-endian.
 *
 * <pre>
 * header  = magic "FBHS" | version u16 = 1 | algorithm u16 = 1 (XXH64) | blockSize u32 | firstBlock u64
 *           | blockCount u64 | crc32c u32 (of the 28 bytes before it)                                  (32 bytes)
 * hashes  = blockCount × u64, in block order
 * trailer = crc32c u32 of all hash bytes
 * </pre>
 *
 * XXH64 is not cryptographic: two different blocks share a hash with probability about 2^-64 per pair compared, so
 * a delta copy could skip a block that differs with that probability. The whole-disk SHA-256 compared after every
 * copy catches such a miss; the hash list only decides what travels.
 */
public final class BlockHashes {
    public static final String MEDIA_TYPE = "application/vnd.failback.block-hashes.v1";
    public static final int MAGIC = 0x46424853; // "FBHS"
    public static final short VERSION = 1;
    public static final short ALGORITHM_XXH64 = 1;
    public static final int HEADER_BYTES = 32;
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();

    private BlockHashes() {
    }

    public static long hash(ByteBuffer block) {
        return XXH64.hash(block, block.position(), block.remaining(), 0);
    }

    /**
     * Reads a whole hash list, as a site sends it, and answers its hashes in block order. The list must cover
     * exactly {@code blockCount} blocks from {@code firstBlock} (the range that was asked for).
     *
     * @throws BlockStreamException when the list is not a version 1 XXH64 list of that range, or fails a checksum
     */
    public static long[] parse(ByteBuffer list, long firstBlock, int blockCount) {
        ByteBuffer bytes = list.slice().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (bytes.remaining() != HEADER_BYTES + blockCount * Long.BYTES + 4 || bytes.getInt(0) != MAGIC
                || bytes.getShort(6) != ALGORITHM_XXH64 || bytes.getLong(12) != firstBlock || bytes.getLong(20) != blockCount) {
            throw new BlockStreamException("the hash list does not match the range requested (blocks " + firstBlock + " + "
                    + blockCount + ")");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(HEADER_BYTES, blockCount * Long.BYTES));
        if ((int) crc.getValue() != bytes.getInt(HEADER_BYTES + blockCount * Long.BYTES)) {
            throw new BlockStreamException("the hash list fails its checksum");
        }
        long[] hashes = new long[blockCount];
        bytes.position(HEADER_BYTES).asLongBuffer().get(hashes);
        return hashes;
    }

    /** Writes the list's header (with its checksum) for {@code blockCount} blocks from {@code firstBlock} into {@code out}. */
    public static void putHeader(ByteBuffer out, int blockSize, long firstBlock, long blockCount) {
        int start = out.position();
        out.putInt(MAGIC).putShort(VERSION).putShort(ALGORITHM_XXH64).putInt(blockSize).putLong(firstBlock).putLong(blockCount);
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(out.array(), start, out.position() - start);
        out.putInt((int) headerCrc.getValue());
    }
}
