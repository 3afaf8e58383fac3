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

    private final BlockReader reader;
    private final int blockSize;
    private final long firstBlock;
    private final long endBlock;
    private final CRC32C crc = new CRC32C();
    /** Blocks are read here, in direct memory: no copy on the way in, and the hash reads them where they lie. */
    private ByteBuffer blocks;
    private long nextBlock;
    private boolean headerSent;
    private boolean ended;

    private BlockHashSender(BlockReader reader, int blockSize, long firstBlock, long blockCount) {
        this.reader = reader;
        this.blockSize = blockSize;
        this.firstBlock = firstBlock;
        this.endBlock = firstBlock + blockCount;
        this.nextBlock = firstBlock;
    }

    static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader range,
            HttpServerResponse response) {
        return ChunkedSender.send(vertx, response, BlockHashes.MEDIA_TYPE,
                new BlockHashSender(reader, range.blockSize(), range.firstBlock(), range.blockCount()));
    }

    @Override
    public ChunkedSender.Chunk next() {
        if (ended) {
            return null;
        }
        int count = (int) Math.min(BLOCKS_PER_CHUNK, endBlock - nextBlock);
        ByteBuffer out = ByteBuffer.allocate(BlockHashes.HEADER_BYTES + count * Long.BYTES + 4);
        if (!headerSent) {
            BlockHashes.putHeader(out, blockSize, firstBlock, endBlock - firstBlock);
            headerSent = true;
        }
        int readBlocks = Math.max(1, BlockStreamSender.BATCH_BYTES / blockSize);
        if (blocks == null) {
            blocks = ByteBuffer.allocateDirect(readBlocks * blockSize);
        }
        for (int done = 0; done < count; done += readBlocks) {
            int n = Math.min(readBlocks, count - done);
            blocks.clear().limit(n * blockSize);
            reader.read(nextBlock + done, blocks);
            for (int i = 0; i < n; i++) {
                int hashAt = out.position();
                out.putLong(BlockHashes.hash(blocks.slice(i * blockSize, blockSize)));
                crc.update(out.array(), hashAt, Long.BYTES);
            }
        }
        nextBlock += count;
        if (nextBlock >= endBlock) {
            out.putInt((int) crc.getValue());
            ended = true;
        }
        return ChunkedSender.Chunk.of(out.flip());
    }
}
