package io.failback.sitedisk.blockapi;

import io.failback.contracts.site.PageHashes;
import io.failback.contracts.site.PageMasks;
import io.failback.sitedisk.BlockReader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Sends the per-page hash list ({@link PageHashes}) of a selection of blocks, a chunk at a time: what narrows blocks
 * known to differ down to the pages that do. Reads up to 1 MiB of adjacent selected blocks at a time.
 */
final class PageHashSender implements ChunkedSender.Producer {
    private static final int BLOCKS_PER_CHUNK = 256;

    private final BlockReader reader;
    private final int blockSize;
    private final List<long[]> runs;
    private final long blockCount;
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer blocks;
    private int run;
    private long nextBlock;
    private boolean headerSent;
    private boolean ended;

    private PageHashSender(BlockReader reader, int blockSize, List<long[]> runs) {
        this.reader = reader;
        this.blockSize = blockSize;
        this.runs = runs;
        this.blockCount = runs.stream().mapToLong(r -> r[1]).sum();
        this.blocks = ByteBuffer.allocate(Math.max(1, (1 << 20) / blockSize) * blockSize);
        this.nextBlock = runs.isEmpty() ? 0 : runs.get(0)[0];
    }

    /** Streams the page hashes of the blocks of {@code runs} ({@code [first, count]}, increasing, disjoint), in order. */
    static Future<Void> send(Vertx vertx, BlockReader reader, int blockSize, List<long[]> runs, HttpServerResponse response) {
        return ChunkedSender.send(vertx, response, PageHashes.MEDIA_TYPE, new PageHashSender(reader, blockSize, runs));
    }

    @Override
    public ChunkedSender.Chunk next() {
        if (ended) {
            return null;
        }
        int hashesPerBlock = PageMasks.pagesPerBlock(blockSize) * Long.BYTES;
        ByteBuffer out = ByteBuffer.allocate(PageHashes.HEADER_BYTES + BLOCKS_PER_CHUNK * hashesPerBlock + 4);
        if (!headerSent) {
            PageHashes.putHeader(out, blockSize, blockCount);
            headerSent = true;
        }
        int hashed = 0;
        while (hashed < BLOCKS_PER_CHUNK && run < runs.size()) {
            long runEnd = runs.get(run)[0] + runs.get(run)[1];
            int count = (int) Math.min(Math.min(BLOCKS_PER_CHUNK - hashed, blocks.capacity() / blockSize), runEnd - nextBlock);
            blocks.clear().limit(count * blockSize);
            reader.read(nextBlock, blocks);
            int hashesAt = out.position();
            for (int i = 0; i < count; i++) {
                PageHashes.putPageHashes(out, blocks.slice(i * blockSize, blockSize), blockSize);
            }
            crc.update(out.array(), hashesAt, out.position() - hashesAt);
            hashed += count;
            nextBlock += count;
            if (nextBlock >= runEnd && ++run < runs.size()) {
                nextBlock = runs.get(run)[0];
            }
        }
        if (run >= runs.size()) {
            out.putInt((int) crc.getValue());
            ended = true;
        }
        return ChunkedSender.Chunk.of(out.flip());
    }
}
