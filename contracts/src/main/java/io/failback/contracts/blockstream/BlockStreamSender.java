package io.failback.contracts.blockstream;

import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;

/**
 * Serves a range of a disk's blocks as a block stream on an HTTP response. Reads happen on worker threads a batch at
 * a time; the next batch is read only when the response can take more (back-pressure), so memory stays at about one
 * batch per stream whatever the disk's size. All-zero blocks travel as ZEROS runs, not as data.
 */
public final class BlockStreamSender {
    /** Large sequential reads; also the most a stream buffers. */
    static final int BATCH_BYTES = 1 << 20;

    /** Reads whole blocks into the remaining space of a buffer; blocking. */
    @FunctionalInterface
    public interface BlockReader {
        void read(long firstBlock, ByteBuffer dst);
    }

    private final Vertx vertx;
    private final BlockReader reader;
    private final StreamHeader header;
    private final HttpServerResponse response;
    private final BlockStreamEncoder encoder = new BlockStreamEncoder();
    private final int batchBlocks;
    private final Promise<Void> done = Promise.promise();
    private long nextBlock;
    private long zeroRunStart;
    private int zeroRunLength;

    private BlockStreamSender(Vertx vertx, BlockReader reader, StreamHeader header, HttpServerResponse response) {
        this.vertx = vertx;
        this.reader = reader;
        this.header = header;
        this.response = response;
        this.batchBlocks = Math.max(1, BATCH_BYTES / header.blockSize());
        this.nextBlock = header.firstBlock();
    }

    /** Streams the blocks of {@code header}'s range; the future ends when the response does. */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, HttpServerResponse response) {
        BlockStreamSender sender = new BlockStreamSender(vertx, reader, header, response);
        response.setChunked(true).putHeader("Content-Type", BlockStreamFormat.MEDIA_TYPE);
        ByteBuffer head = ByteBuffer.allocate(BlockStreamFormat.HEADER_BYTES);
        sender.encoder.header(head, header);
        response.write(wrap(head.flip()));
        response.closeHandler(v -> sender.done.tryFail("the receiver closed the connection"));
        sender.step();
        return sender.done.future();
    }

    private void step() {
        if (done.future().isComplete()) {
            return;
        }
        vertx.executeBlocking(this::encodeNextBatch, true).onComplete(result -> {
            if (result.failed()) {
                response.end(wrap(BlockStreamEncoder.error(nextBlock, String.valueOf(result.cause().getMessage()))));
                done.tryFail(result.cause());
                return;
            }
            boolean last = nextBlock >= header.endBlock();
            if (last) {
                response.end(result.result()).onComplete(v -> done.tryComplete());
            } else {
                response.write(result.result());
                if (response.writeQueueFull()) {
                    // One-shot: a handler left in place would fire again at a later drain and start a second loop.
                    response.drainHandler(v -> {
                        response.drainHandler(null);
                        step();
                    });
                } else {
                    step();
                }
            }
        });
    }

    /** Runs on a worker, one batch at a time (ordered), so the encoder needs no locking. */
    private Buffer encodeNextBatch() {
        int count = (int) Math.min(batchBlocks, header.endBlock() - nextBlock);
        int blockSize = header.blockSize();
        ByteBuffer blocks = ByteBuffer.allocate(count * blockSize);
        reader.read(nextBlock, blocks);
        ByteBuffer out = ByteBuffer.allocate(count * BlockStreamEncoder.dataFrameBytes(blockSize) + 64);
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
                encoder.data(out, index, block);
            }
        }
        nextBlock += count;
        if (nextBlock >= header.endBlock()) {
            flushZeroRun(out);
            encoder.end(out, header.endBlock());
        }
        return wrap(out.flip());
    }

    private void flushZeroRun(ByteBuffer out) {
        if (zeroRunLength > 0) {
            encoder.zeros(out, zeroRunStart, zeroRunLength);
            zeroRunLength = 0;
        }
    }

    /** Hands a buffer in read mode to Vert.x without copying it. */
    private static Buffer wrap(ByteBuffer bytes) {
        return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
    }
}
