package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockHashes;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.sitedisk.BlockReader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Sends a range of a disk's per-block hash list ({@link BlockHashes}), a chunk of hashes at a time. */
final class BlockHashSender implements ChunkedSender.Producer {
    private static final int BLOCKS_PER_CHUNK = 1024;

    /** The page-tree hash (32 bytes each) of {@code count} blocks from {@code firstBlock}, as the disk keeps them. Blocking. */
    @FunctionalInterface
    interface Sha256Lister {
        byte[] blockHashes(long firstBlock, int count);
    }

    /** Fills {@code out} with the list entries of {@code count} blocks from {@code firstBlock}. Blocking. */
    @FunctionalInterface
    private interface Entries {
        void put(long firstBlock, int count, ByteBuffer out);
    }

    private final short algorithm;
    private final Entries entries;
    private final int blockSize;
    private final long firstBlock;
    private final long endBlock;
    private final CRC32C crc = new CRC32C();
    private long nextBlock;
    private boolean headerSent;
    private boolean ended;

    private BlockHashSender(short algorithm, Entries entries, int blockSize, long firstBlock, long blockCount) {
        this.algorithm = algorithm;
        this.entries = entries;
        this.blockSize = blockSize;
        this.firstBlock = firstBlock;
        this.endBlock = firstBlock + blockCount;
        this.nextBlock = firstBlock;
    }

    /** An XXH64 list: every block of the range is read. */
    static Future<Void> sendXxh64(Vertx vertx, BlockReader reader, StreamHeader range, HttpServerResponse response) {
        int blockSize = range.blockSize();
        int readBlocks = Math.max(1, BlockStreamSender.BATCH_BYTES / blockSize);
        // Blocks are read here, in direct memory: no copy on the way in, and the hash reads them where they lie.
        ByteBuffer blocks = ByteBuffer.allocateDirect(readBlocks * blockSize);
        Entries xxh64 = (first, count, out) -> {
            for (int done = 0; done < count; done += readBlocks) {
                int n = Math.min(readBlocks, count - done);
                blocks.clear().limit(n * blockSize);
                reader.read(first + done, blocks);
                for (int i = 0; i < n; i++) {
                    out.putLong(BlockHashes.hash(blocks.slice(i * blockSize, blockSize)));
                }
            }
        };
        return send(vertx, response, new BlockHashSender(BlockHashes.ALGORITHM_XXH64, xxh64, blockSize, range.firstBlock(),
                range.blockCount()));
    }

    /** A list of the blocks' hash prefixes (page tree), from the hashes the disk keeps: only blocks it has no hash for are read. */
    static Future<Void> sendSha256(Vertx vertx, Sha256Lister lister, StreamHeader range, HttpServerResponse response) {
        Entries sha256 = (first, count, out) -> {
            byte[] hashes = lister.blockHashes(first, count);
            for (int i = 0; i < count; i++) {
                out.putLong(BlockHashes.sha256Prefix(hashes, i * 32));
            }
        };
        return send(vertx, response, new BlockHashSender(BlockHashes.ALGORITHM_PAGE_TREE_PREFIX, sha256, range.blockSize(),
                range.firstBlock(), range.blockCount()));
    }

    private static Future<Void> send(Vertx vertx, HttpServerResponse response, BlockHashSender sender) {
        return ChunkedSender.send(vertx, response, BlockHashes.MEDIA_TYPE, sender);
    }

    @Override
    public ChunkedSender.Chunk next() {
        if (ended) {
            return null;
        }
        int count = (int) Math.min(BLOCKS_PER_CHUNK, endBlock - nextBlock);
        ByteBuffer out = ByteBuffer.allocate(BlockHashes.HEADER_BYTES + count * Long.BYTES + 4);
        if (!headerSent) {
            BlockHashes.putHeader(out, algorithm, blockSize, firstBlock, endBlock - firstBlock);
            headerSent = true;
        }
        int hashesAt = out.position();
        entries.put(nextBlock, count, out);
        crc.update(out.array(), hashesAt, out.position() - hashesAt);
        nextBlock += count;
        if (nextBlock >= endBlock) {
            out.putInt((int) crc.getValue());
            ended = true;
        }
        return ChunkedSender.Chunk.of(out.flip());
    }
}
