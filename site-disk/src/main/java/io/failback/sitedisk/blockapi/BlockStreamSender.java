package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockSeal;
import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.sitedisk.BlockReader;
import io.failback.sitedisk.DiskFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Serves a disk's blocks as a block stream on an HTTP response: a range, or a selection of runs of blocks inside the
 * header's range. It reads a batch of blocks at a time on a worker thread and only when the response can take more
 * (see {@link ChunkedSender}). All-zero blocks travel as ZEROS runs, not as data.
 */
public final class BlockStreamSender implements ChunkedSender.Producer {
    /** Large sequential reads; also about what one stream buffers. */
    static final int BATCH_BYTES = 1 << 20;

    private final BlockReader reader;
    private final StreamHeader header;
    private final List<long[]> runs;
    /** Seals every block when the sending site encrypts data; null sends blocks in the clear. */
    private final BlockSeal seal;
    private int run;
    private long runEnd;
    private final BlockStreamEncoder encoder = new BlockStreamEncoder();
    private final int batchBlocks;
    private boolean headerSent;
    private boolean ended;
    private long nextBlock;
    private long zeroRunStart;
    private int zeroRunLength;

    private BlockStreamSender(BlockReader reader, StreamHeader header, List<long[]> runs, CloudKey key) {
        this.reader = reader;
        this.header = header;
        this.seal = key == null ? null : new BlockSeal(key);
        this.runs = runs.stream().filter(r -> r[1] > 0).toList();
        this.batchBlocks = Math.max(1, BATCH_BYTES / header.blockSize());
        if (!this.runs.isEmpty()) {
            nextBlock = this.runs.get(0)[0];
            runEnd = nextBlock + this.runs.get(0)[1];
        }
    }

    /** Streams the blocks of {@code header}'s range; the future ends when the response does. */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, CloudKey key,
            HttpServerResponse response) {
        return send(vertx, reader, header, List.of(new long[] {header.firstBlock(), header.blockCount()}), key, response);
    }

    /**
     * Streams only the blocks of {@code runs} ({@code [first, count]}, increasing, disjoint, inside the header's
     * range), sealed under {@code key} unless it is null; the future ends when the response does.
     */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, List<long[]> runs, CloudKey key,
            HttpServerResponse response) {
        return ChunkedSender.send(vertx, response, BlockStreamFormat.MEDIA_TYPE, new BlockStreamSender(reader, header, runs, key));
    }

    /**
     * As above, where of the blocks {@code pages} lists only those pages are wanted: this sender sends them whole
     * (always correct: the receiver's block then equals the source's), until pages travel in block-stream v2.
     */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, List<long[]> runs,
            io.failback.contracts.site.PageMasks pages, CloudKey key, HttpServerResponse response) {
        return send(vertx, reader, header, runs, key, response);
    }

    private void writeHeader(ByteBuffer out) {
        if (seal == null) {
            encoder.header(out, header);
        } else {
            encoder.header(out, header, BlockStreamFormat.FLAG_SEALED);
            encoder.key(out, header.firstBlock(), seal.key().certificateId());
        }
        headerSent = true;
    }

    @Override
    public ByteBuffer next() {
        if (ended) {
            return null;
        }
        if (run >= runs.size()) {
            // Nothing (more) to send: the header, if not sent yet, then END.
            ByteBuffer out = ByteBuffer.allocate(BlockStreamFormat.HEADER_BYTES + 160);
            if (!headerSent) {
                writeHeader(out);
            }
            flushZeroRun(out);
            encoder.end(out, header.endBlock());
            ended = true;
            return out.flip();
        }
        int count = (int) Math.min(batchBlocks, runEnd - nextBlock);
        int blockSize = header.blockSize();
        ByteBuffer out = ByteBuffer.allocate(BlockStreamFormat.HEADER_BYTES + 160
                + count * (BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockSeal.sealedLength(blockSize)));
        if (!headerSent) {
            writeHeader(out);
        }
        ByteBuffer blocks = ByteBuffer.allocate(count * blockSize);
        reader.read(nextBlock, blocks);
        for (int i = 0; i < count; i++) {
            ByteBuffer block = blocks.slice(i * blockSize, blockSize);
            long index = nextBlock + i;
            if (DiskFile.isAllZero(block)) {
                if (zeroRunLength == 0) {
                    zeroRunStart = index;
                }
                zeroRunLength++;
            } else {
                flushZeroRun(out);
                if (seal == null) {
                    encoder.data(out, index, block);
                } else {
                    encoder.sealed(out, index, header.diskSizeBytes(), block, seal);
                }
            }
        }
        nextBlock += count;
        if (nextBlock >= runEnd) {
            // A zero run never spans the gap to the next run.
            flushZeroRun(out);
            run++;
            if (run < runs.size()) {
                nextBlock = runs.get(run)[0];
                runEnd = nextBlock + runs.get(run)[1];
            }
        }
        return out.flip();
    }

    private void flushZeroRun(ByteBuffer out) {
        if (zeroRunLength > 0) {
            encoder.zeros(out, zeroRunStart, zeroRunLength);
            zeroRunLength = 0;
        }
    }
}
