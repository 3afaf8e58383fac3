package io.failback.contracts.blockstream;

import io.failback.contracts.site.PageTreeHash;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import net.jpountz.xxhash.XXHash64;

/**
 * The per-block hash list, version 1: one 64-bit hash per block, for comparing two disks block by block without
 * moving their data. Big-endian.
 *
 * <pre>
 * header  = magic "FBHS" | version u16 = 1 | algorithm u16 | blockSize u32 | firstBlock u64
 *           | blockCount u64 | crc32c u32 (of the 28 bytes before it)                                  (32 bytes)
 * hashes  = blockCount × u64, in block order
 * trailer = crc32c u32 of all hash bytes
 * </pre>
 *
 * Algorithms: 1 = XXH64 (seed 0) of the block, what every site answers unless asked otherwise; 3 = the first 8 bytes
 * of the block's page-tree hash ({@link PageTreeHash}), the hash the whole-disk digest is made of, which a site answers
 * when asked with {@code ?algorithm=sha256} ({@link #SHA256_PARAMETER}): it keeps those hashes as blocks are written,
 * so this list costs it next to no reading, where XXH64 reads the whole range. 2 was the first 8 bytes of the block's
 * flat SHA-256, which sites answered before the digest became a page tree; it is still read, and compared only with
 * another 2. A site that does not know the parameter answers XXH64; the header says which came, and two lists are
 * only compared under the same algorithm.
 * <p>
 * Neither is a proof: two different blocks share a 64-bit hash with probability about 2^-64 per pair compared, so a
 * delta copy could skip a block that differs with that probability. The whole-disk SHA-256 compared after every copy
 * catches such a miss; the hash list only decides what travels.
 */
public final class BlockHashes {
    public static final String MEDIA_TYPE = "application/vnd.failback.block-hashes.v1";
    public static final int MAGIC = 0x46424853; // "FBHS"
    public static final short VERSION = 1;
    public static final short ALGORITHM_XXH64 = 1;
    /** Sites before the page-tree digest: the prefix of the block's flat SHA-256. Read, never written. */
    public static final short ALGORITHM_SHA256_PREFIX = 2;
    /** The prefix of the block's {@link PageTreeHash}: what a site keeps, and answers to {@link #SHA256_PARAMETER}. */
    public static final short ALGORITHM_PAGE_TREE_PREFIX = 3;
    /** The query that asks a site for the prefixes of the hashes it keeps ({@link #ALGORITHM_PAGE_TREE_PREFIX}). */
    public static final String SHA256_PARAMETER = "algorithm=sha256";
    public static final int HEADER_BYTES = 32;
    private static final XXHash64 XXH64 = Lz4Java.xxHash().hash64();

    private BlockHashes() {
    }

    public static long hash(ByteBuffer block) {
        return XXH64.hash(block, block.position(), block.remaining(), 0);
    }

    /** Block hashes under one algorithm, in block order. */
    public record HashList(short algorithm, long[] hashes) {
    }

    /** The hash of an all-zero block under {@code algorithm}. */
    public static long zeroBlockHash(short algorithm, int blockSize) {
        ByteBuffer zeros = ByteBuffer.allocate(blockSize);
        if (algorithm == ALGORITHM_PAGE_TREE_PREFIX) {
            return sha256Prefix(PageTreeHash.zeroBlock(blockSize), 0);
        }
        if (algorithm == ALGORITHM_SHA256_PREFIX) {
            return sha256Prefix(PageTreeHash.sha256().digest(zeros.array()), 0);
        }
        return hash(zeros);
    }

    /** The list entry of a block whose hash (page tree, or flat SHA-256) is at {@code at}: its first 8 bytes, big-endian. */
    public static long sha256Prefix(byte[] sha256, int at) {
        return ByteBuffer.wrap(sha256, at, Long.BYTES).getLong();
    }

    /** {@link #parseList} for an XXH64 list only: its hashes. */
    public static long[] parse(ByteBuffer list, long firstBlock, int blockCount) {
        HashList parsed = parseList(list, firstBlock, blockCount);
        if (parsed.algorithm() != ALGORITHM_XXH64) {
            throw new BlockStreamException("the hash list is not XXH64 (algorithm " + parsed.algorithm() + ")");
        }
        return parsed.hashes();
    }

    /**
     * Reads a whole hash list, as a site sends it, and answers its algorithm and hashes in block order. The list must
     * cover exactly {@code blockCount} blocks from {@code firstBlock} (the range that was asked for).
     *
     * @throws BlockStreamException when the list is not a version 1 list of that range under a known algorithm, or
     *         fails a checksum
     */
    public static HashList parseList(ByteBuffer list, long firstBlock, int blockCount) {
        ByteBuffer bytes = list.slice().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (bytes.remaining() != HEADER_BYTES + blockCount * Long.BYTES + 4 || bytes.getInt(0) != MAGIC
                || !knownAlgorithm(bytes.getShort(6))
                || bytes.getLong(12) != firstBlock || bytes.getLong(20) != blockCount) {
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
        return new HashList(bytes.getShort(6), hashes);
    }

    private static boolean knownAlgorithm(short algorithm) {
        return algorithm == ALGORITHM_XXH64 || algorithm == ALGORITHM_SHA256_PREFIX || algorithm == ALGORITHM_PAGE_TREE_PREFIX;
    }

    /** Writes an XXH64 list's header; see {@link #putHeader(ByteBuffer, short, int, long, long)}. */
    public static void putHeader(ByteBuffer out, int blockSize, long firstBlock, long blockCount) {
        putHeader(out, ALGORITHM_XXH64, blockSize, firstBlock, blockCount);
    }

    /** Writes the list's header (with its checksum) for {@code blockCount} blocks from {@code firstBlock} into {@code out}. */
    public static void putHeader(ByteBuffer out, short algorithm, int blockSize, long firstBlock, long blockCount) {
        int start = out.position();
        out.putInt(MAGIC).putShort(VERSION).putShort(algorithm).putInt(blockSize).putLong(firstBlock).putLong(blockCount);
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(out.array(), start, out.position() - start);
        out.putInt((int) headerCrc.getValue());
    }
}
