package io.failback.contracts.blockstream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
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
public final class BlockHashes implements ChunkedSender.Producer {
    public static final String MEDIA_TYPE = "application/vnd.failback.block-hashes.v1";
    public static final int MAGIC = 0x46424853; // "FBHS"
    public static final short ALGORITHM_XXH64 = 1;
    public static final int HEADER_BYTES = 32;
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();
    private static final int BLOCKS_PER_CHUNK = 1024;

    private final BlockStreamSender.BlockReader reader;
    private final int blockSize;
    private final long firstBlock;
    private final long endBlock;
    private final CRC32C crc = new CRC32C();
    private long nextBlock;
    private boolean headerSent;
    private boolean ended;

    private BlockHashes(BlockStreamSender.BlockReader reader, int blockSize, long firstBlock, long blockCount) {
        this.reader = reader;
        this.blockSize = blockSize;
        this.firstBlock = firstBlock;
        this.endBlock = firstBlock + blockCount;
        this.nextBlock = firstBlock;
    }

    public static long hash(ByteBuffer block) {
        return XXH64.hash(block, block.position(), block.remaining(), 0);
    }

    /**
     * Reads a whole hash list, as {@link #send} writes it, and answers its hashes in block order. The list must cover
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

    public static Future<Void> send(Vertx vertx, BlockStreamSender.BlockReader reader, StreamHeader range,
            HttpServerResponse response) {
        return ChunkedSender.send(vertx, response, MEDIA_TYPE,
                new BlockHashes(reader, range.blockSize(), range.firstBlock(), range.blockCount()));
    }

    @Override
    public ByteBuffer next() {
        if (ended) {
            return null;
        }
        int count = (int) Math.min(BLOCKS_PER_CHUNK, endBlock - nextBlock);
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + count * Long.BYTES + 4);
        if (!headerSent) {
            int start = out.position();
            out.putInt(MAGIC).putShort((short) 1).putShort(ALGORITHM_XXH64).putInt(blockSize).putLong(firstBlock)
                    .putLong(endBlock - firstBlock);
            CRC32C headerCrc = new CRC32C();
            headerCrc.update(out.array(), start, out.position() - start);
            out.putInt((int) headerCrc.getValue());
            headerSent = true;
        }
        int readBlocks = Math.max(1, BlockStreamSender.BATCH_BYTES / blockSize);
        ByteBuffer blocks = ByteBuffer.allocate(readBlocks * blockSize);
        for (int done = 0; done < count; done += readBlocks) {
            int n = Math.min(readBlocks, count - done);
            blocks.clear().limit(n * blockSize);
            reader.read(nextBlock + done, blocks);
            for (int i = 0; i < n; i++) {
                int hashAt = out.position();
                out.putLong(hash(blocks.slice(i * blockSize, blockSize)));
                crc.update(out.array(), hashAt, Long.BYTES);
            }
        }
        nextBlock += count;
        if (nextBlock >= endBlock) {
            out.putInt((int) crc.getValue());
            ended = true;
        }
        return out.flip();
    }
}
