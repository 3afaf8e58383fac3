package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.BlockStreamException;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.contracts.site.BlockWriteSummary;
import io.failback.sitedisk.BlockDevice;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a block stream arriving on an HTTP request body into a disk. Decoding (and checksum verification) happens
 * on the event loop as chunks arrive; writes go to a worker in batches of about 1 MiB, one after the other. While
 * two batches wait for the disk the request is paused, so a fast sender cannot make the receiver buffer more.
 * The returned future succeeds only after the END frame arrived, every frame matched, and the data is durable.
 */
public final class BlockStreamReceiver implements BlockStreamDecoder.Handler {
    private static final int MAX_QUEUED_BATCHES = 2;
    /** How much of the disk a stream covers between two durable checkpoints. */
    static final long CHECKPOINT_BYTES = 64L << 20;

    /** Told, after a flush, that every block before {@code blocksThrough} that the stream carries is durable. */
    @FunctionalInterface
    public interface Checkpoints {
        void durableThrough(long blocksThrough);

        Checkpoints NONE = blocksThrough -> {
        };
    }

    private final Vertx vertx;
    private final BlockDevice disk;
    private final boolean targetIsZeroed;
    private final ReadStream<Buffer> body;
    private final BlockStreamDecoder decoder;
    private final Promise<BlockWriteSummary> done = Promise.promise();
    private final int batchBlocks;
    private Batch batch;
    private Future<Void> writes = Future.succeededFuture();
    private int queuedBatches;
    private final Checkpoints checkpoints;
    private long coveredThrough;
    private long checkpointedThrough;
    private long dataBlocks;
    private long zeroBlocks;
    private long dataBytes;

    private BlockStreamReceiver(Vertx vertx, BlockDevice disk, boolean targetIsZeroed, BlockStreamDecoder.KeyRing keys,
            Checkpoints checkpoints, ReadStream<Buffer> body) {
        this.decoder = new BlockStreamDecoder(this, keys);
        this.checkpoints = checkpoints;
        this.vertx = vertx;
        this.disk = disk;
        this.targetIsZeroed = targetIsZeroed;
        this.body = body;
        this.batchBlocks = Math.max(1, BlockStreamSender.BATCH_BYTES / disk.blockSize());
    }

    /**
     * @param targetIsZeroed the disk is known to read as zeros everywhere (freshly created for a full download), so
     *            ZEROS runs need no writes
     */
    public static Future<BlockWriteSummary> receive(Vertx vertx, BlockDevice disk, boolean targetIsZeroed,
            BlockStreamDecoder.KeyRing keys, ReadStream<Buffer> body) {
        return receive(vertx, disk, targetIsZeroed, keys, Checkpoints.NONE, body);
    }

    /**
     * As above, flushing about every {@link #CHECKPOINT_BYTES} of disk covered and then telling {@code checkpoints}
     * how far the stream is durable, so that an interrupted copy can resume from there.
     */
    public static Future<BlockWriteSummary> receive(Vertx vertx, BlockDevice disk, boolean targetIsZeroed,
            BlockStreamDecoder.KeyRing keys, Checkpoints checkpoints, ReadStream<Buffer> body) {
        BlockStreamReceiver receiver = new BlockStreamReceiver(vertx, disk, targetIsZeroed, keys, checkpoints, body);
        body.handler(receiver::onChunk);
        body.exceptionHandler(receiver::fail);
        body.endHandler(v -> receiver.onEnd());
        body.resume();
        return receiver.done.future();
    }

    private void onChunk(Buffer chunk) {
        if (done.future().isComplete()) {
            return;
        }
        try {
            decoder.feed(chunk.getByteBuf().nioBuffer());
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void onEnd() {
        if (done.future().isComplete()) {
            return;
        }
        if (!decoder.ended()) {
            fail(new BlockStreamException(decoder.header() == null ? "the stream ended before its header"
                    : "the stream ended before its END frame: the copy is incomplete"));
            return;
        }
        submitBatch();
        writes.compose(v -> vertx.executeBlocking(() -> {
            disk.force();
            return null;
        }, false)).onComplete(result -> {
            if (result.succeeded()) {
                done.tryComplete(new BlockWriteSummary(disk.diskId(), dataBlocks, zeroBlocks, dataBytes));
            } else {
                fail(result.cause());
            }
        });
    }

    private void fail(Throwable cause) {
        if (done.tryFail(cause)) {
            body.handler(null);
            // Let the rest of the body drain so the connection can still carry the error answer.
            body.resume();
        }
    }

    @Override
    public void header(StreamHeader header) {
        if (header.blockSize() != disk.blockSize() || header.diskSizeBytes() != disk.sizeBytes()) {
            throw new BlockStreamException("the stream is for a disk of " + header.diskSizeBytes() + " bytes in blocks of "
                    + header.blockSize() + "; the target has " + disk.sizeBytes() + " bytes in blocks of "
                    + disk.blockSize());
        }
    }

    @Override
    public void data(long blockIndex, ByteBuffer payload) {
        if (batch == null) {
            batch = new Batch(batchBlocks * disk.blockSize());
        }
        dataBlocks++;
        dataBytes += payload.remaining();
        batch.add(blockIndex, payload);
        if (batch.isFull()) {
            submitBatch();
        }
        covered(blockIndex + 1);
    }

    /** Every block before {@code through} has been handed to the writes; flush and checkpoint now and then. */
    private void covered(long through) {
        coveredThrough = through;
        if ((coveredThrough - checkpointedThrough) * disk.blockSize() < CHECKPOINT_BYTES) {
            return;
        }
        submitBatch();
        long durable = coveredThrough;
        checkpointedThrough = durable;
        enqueue(() -> {
            disk.force();
            checkpoints.durableThrough(durable);
        });
    }

    @Override
    public void zeros(long firstBlock, int runLength) {
        zeroBlocks += runLength;
        if (targetIsZeroed) {
            covered(firstBlock + runLength);
            return;
        }
        submitBatch();
        enqueue(() -> {
            ByteBuffer zeros = ByteBuffer.allocate(Math.min(runLength, batchBlocks) * disk.blockSize());
            for (long block = firstBlock; block < firstBlock + runLength; block += batchBlocks) {
                int blocks = (int) Math.min(batchBlocks, firstBlock + runLength - block);
                disk.writeBlocks(block, zeros.clear().limit(blocks * disk.blockSize()));
            }
        });
        covered(firstBlock + runLength);
    }

    @Override
    public void end(long frames, long dataBytes) {
        // onEnd() finishes once the request body is complete.
    }

    private void submitBatch() {
        Batch full = batch;
        batch = null;
        if (full != null) {
            enqueue(full::writeTo);
        }
    }

    private void enqueue(Runnable diskWork) {
        queuedBatches++;
        if (queuedBatches >= MAX_QUEUED_BATCHES) {
            body.pause();
        }
        writes = writes.compose(v -> vertx.<Void>executeBlocking(() -> {
            diskWork.run();
            return null;
        }, false)).andThen(result -> {
            queuedBatches--;
            if (queuedBatches < MAX_QUEUED_BATCHES && !done.future().isComplete()) {
                body.resume();
            }
        });
        writes.onFailure(this::fail);
    }

    /** Blocks copied out of the decoder's buffer, written together. */
    private final class Batch {
        private final ByteBuffer bytes;
        private final long[] indexes = new long[batchBlocks];
        private int count;

        Batch(int capacity) {
            bytes = ByteBuffer.allocate(capacity);
        }

        void add(long blockIndex, ByteBuffer payload) {
            indexes[count++] = blockIndex;
            bytes.put(payload);
        }

        boolean isFull() {
            return !bytes.hasRemaining();
        }

        /** Adjacent blocks go to the disk as one run, and the batch's runs as one call. */
        void writeTo() {
            int blockSize = disk.blockSize();
            List<BlockDevice.Run> runs = new ArrayList<>();
            int runStart = 0;
            for (int i = 1; i <= count; i++) {
                if (i == count || indexes[i] != indexes[i - 1] + 1) {
                    runs.add(new BlockDevice.Run(indexes[runStart], bytes.slice(runStart * blockSize, (i - runStart) * blockSize)));
                    runStart = i;
                }
            }
            disk.writeRuns(runs);
        }
    }
}
