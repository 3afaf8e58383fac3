package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.BlockStreamException;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.contracts.site.BlockWriteSummary;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.DiskFile;
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
 * on the event loop as chunks arrive; each data payload is copied once, into a direct buffer of about 1 MiB (the
 * payload is only valid during the call), and full buffers go to a worker one after the other, where adjacent blocks
 * reach the disk as one positional write per run. The buffers are page-aligned, so that long runs are written around
 * the page cache ({@link DiskFile}). The buffers are reused. A device that takes batches concurrently
 * ({@link BlockDevice#concurrentBatches}) gets that many at once, one per lane. While two batches per lane wait for the
 * disk the request is paused, so a fast sender cannot make the receiver buffer more.
 * <p>
 * Durability: a stream with checkpoints (a synchronization that can resume) forces the disk about every
 * {@link #CHECKPOINT_BYTES} of data written and then records how far it is durable; every stream forces once at the
 * end. The returned future succeeds only after the END frame arrived, every frame matched, and the data is durable.
 */
public final class BlockStreamReceiver implements BlockStreamDecoder.Handler {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BlockStreamReceiver.class);
    private static final int MAX_QUEUED_BATCHES_PER_LANE = 2;
    /** How much a stream with checkpoints writes between two of them. */
    static final long CHECKPOINT_BYTES = 64L << 20;
    /** Batch buffers kept for reuse, for all streams of the process. */
    private static final int POOLED_BUFFERS = 16;
    private static final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> POOL = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** What a ZEROS run is written from into a disk that does not read as zeros already. */
    private static final ByteBuffer ZEROS = DiskFile.allocateAligned(BlockStreamSender.BATCH_BYTES).asReadOnlyBuffer();

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
    /** The writes handed to workers, a chain per lane: each batch joins the next lane. */
    private final Future<Void>[] lanes;
    private int nextLane;
    private final int maxQueuedBatches;
    private int queuedBatches;
    private final Checkpoints checkpoints;
    private long coveredThrough;
    /** Bytes handed to the disk since the last checkpoint. */
    private long writtenSinceCheckpoint;
    private long dataBlocks;
    private long zeroBlocks;
    private long dataBytes;
    private final long startedNanos = System.nanoTime();

    private BlockStreamReceiver(Vertx vertx, BlockDevice disk, boolean targetIsZeroed, BlockStreamDecoder.KeyRing keys,
            Checkpoints checkpoints, ReadStream<Buffer> body) {
        this.decoder = new BlockStreamDecoder(this, keys);
        this.checkpoints = checkpoints;
        this.vertx = vertx;
        this.disk = disk;
        this.targetIsZeroed = targetIsZeroed;
        this.body = body;
        this.batchBlocks = Math.max(1, BlockStreamSender.BATCH_BYTES / disk.blockSize());
        @SuppressWarnings("unchecked")
        Future<Void>[] chains = new Future[Math.max(1, disk.concurrentBatches())];
        java.util.Arrays.fill(chains, Future.succeededFuture());
        this.lanes = chains;
        this.maxQueuedBatches = MAX_QUEUED_BATCHES_PER_LANE * lanes.length;
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
     * As above, flushing about every {@link #CHECKPOINT_BYTES} written and then telling {@code checkpoints} how far
     * the stream is durable, so that an interrupted copy can resume from there. With {@link Checkpoints#NONE} the
     * disk is forced only once, at the end.
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
        BlockStreamMeters.RECEIVED.increment(chunk.length());
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
        long[] forceNanos = new long[2];
        allWrites().compose(v -> vertx.executeBlocking(() -> {
            forceNanos[0] = System.nanoTime();
            disk.force();
            forceNanos[1] = System.nanoTime();
            return null;
        }, false)).onComplete(result -> {
            if (result.succeeded()) {
                LOG.debugf("disk %s: received %d data and %d zero blocks (%d bytes of data) in %d ms, of which the last force %d ms",
                        disk.diskId(), dataBlocks, zeroBlocks, dataBytes, (System.nanoTime() - startedNanos) / 1_000_000,
                        (forceNanos[1] - forceNanos[0]) / 1_000_000);
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
        writtenSinceCheckpoint += payload.remaining();
        batch.add(blockIndex, WHOLE, payload);
        if (batch.isFull()) {
            submitBatch();
        }
        covered(blockIndex + 1);
    }

    /**
     * Every block before {@code through} has been handed to the writes; a stream with checkpoints flushes and records
     * one once enough was written since the last.
     */
    private void covered(long through) {
        coveredThrough = through;
        if (checkpoints == Checkpoints.NONE || writtenSinceCheckpoint < CHECKPOINT_BYTES) {
            return;
        }
        submitBatch();
        long durable = coveredThrough;
        writtenSinceCheckpoint = 0;
        enqueueAfterAllWrites(() -> {
            disk.force();
            checkpoints.durableThrough(durable);
        });
    }

    /** Some pages of a block (version 2): batched with the data, written in place of only those pages. */
    @Override
    public void pages(long blockIndex, long pageMask, ByteBuffer pages) {
        if (batch == null) {
            batch = new Batch(batchBlocks * disk.blockSize());
        }
        dataBlocks++;
        dataBytes += pages.remaining();
        writtenSinceCheckpoint += pages.remaining();
        batch.add(blockIndex, pageMask, pages);
        if (batch.isFull()) {
            submitBatch();
        }
        covered(blockIndex + 1);
    }

    @Override
    public void zeros(long firstBlock, int runLength) {
        zeroBlocks += runLength;
        if (targetIsZeroed) {
            covered(firstBlock + runLength);
            return;
        }
        submitBatch();
        writtenSinceCheckpoint += (long) runLength * disk.blockSize();
        enqueue(() -> {
            // A batch's worth per call, as data arrives: a journaled disk holds each call's blocks until it forces.
            for (long block = firstBlock; block < firstBlock + runLength; block += batchBlocks) {
                int blocks = (int) Math.min(batchBlocks, firstBlock + runLength - block);
                disk.writeRuns(List.of(new BlockDevice.Run(block, ZEROS.duplicate().limit(blocks * disk.blockSize()))));
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
            enqueue(full::writeTo, full::release);
        }
    }

    private void enqueue(Runnable diskWork) {
        enqueue(diskWork, () -> {
        });
    }

    /**
     * Runs {@code diskWork} on a worker after the work queued before it on the next lane (blocks no other work
     * writes); {@code after} then runs on the event loop.
     */
    private void enqueue(Runnable diskWork, Runnable after) {
        int lane = nextLane;
        nextLane = (nextLane + 1) % lanes.length;
        lanes[lane] = onWorker(lanes[lane], diskWork, after);
    }

    /** Runs {@code diskWork} (a force) once every write queued so far is done; whatever comes next waits for it. */
    private void enqueueAfterAllWrites(Runnable diskWork) {
        Future<Void> barrier = onWorker(allWrites(), diskWork, () -> {
        });
        java.util.Arrays.fill(lanes, barrier);
    }

    private Future<Void> allWrites() {
        return lanes.length == 1 ? lanes[0] : Future.all(java.util.Arrays.asList(lanes)).mapEmpty();
    }

    private Future<Void> onWorker(Future<Void> previous, Runnable diskWork, Runnable after) {
        queuedBatches++;
        if (queuedBatches >= maxQueuedBatches) {
            body.pause();
        }
        Future<Void> work = previous.compose(v -> vertx.<Void>executeBlocking(() -> {
            diskWork.run();
            return null;
        }, false)).andThen(result -> {
            after.run();
            queuedBatches--;
            if (queuedBatches < maxQueuedBatches && !done.future().isComplete()) {
                body.resume();
            }
        });
        work.onFailure(this::fail);
        return work;
    }

    /** The mask a batch notes for a whole block. */
    private static final long WHOLE = 0;

    /**
     * Blocks (and blocks' pages) copied out of the decoder's buffer into direct memory (written without another copy),
     * written together.
     */
    private final class Batch {
        private final ByteBuffer bytes;
        /** Per item: its block, its pages ({@link #WHOLE} for a whole block) and where its bytes start. */
        private final long[] indexes;
        private final long[] masks;
        private final int[] starts;
        private int count;

        Batch(int capacity) {
            ByteBuffer pooled = POOL.poll();
            bytes = pooled != null && pooled.capacity() == capacity ? pooled.clear() : DiskFile.allocateAligned(capacity);
            // At most one item per page: a batch of single pages fills no faster than one of blocks.
            int items = Math.max(batchBlocks, capacity / io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE);
            indexes = new long[items];
            masks = new long[items];
            starts = new int[items];
        }

        void add(long blockIndex, long pageMask, ByteBuffer payload) {
            indexes[count] = blockIndex;
            masks[count] = pageMask;
            starts[count] = bytes.position();
            count++;
            bytes.put(payload);
        }

        /** Full when the next item, a whole block at most, might not fit. */
        boolean isFull() {
            return bytes.remaining() < disk.blockSize() || count == indexes.length;
        }

        /** Adjacent whole blocks go to the disk as one run, pages block by block, and the batch as one call. */
        void writeTo() {
            List<BlockDevice.Run> runs = new ArrayList<>();
            List<BlockDevice.Pages> pages = new ArrayList<>();
            int runStart = -1;
            for (int i = 0; i <= count; i++) {
                boolean whole = i < count && masks[i] == WHOLE;
                if (runStart >= 0 && (!whole || indexes[i] != indexes[i - 1] + 1)) {
                    runs.add(new BlockDevice.Run(indexes[runStart], bytes.slice(starts[runStart], starts[i - 1] + disk.blockSize() - starts[runStart])));
                    runStart = -1;
                }
                if (i == count) {
                    break;
                }
                if (whole) {
                    runStart = runStart < 0 ? i : runStart;
                } else {
                    int end = i + 1 < count ? starts[i + 1] : bytes.position();
                    pages.add(new BlockDevice.Pages(indexes[i], masks[i], bytes.slice(starts[i], end - starts[i])));
                }
            }
            disk.writeBatch(runs, pages);
        }

        /** The buffer goes back to the pool once the disk is done with it (written, or failed). */
        void release() {
            if (POOL.size() < POOLED_BUFFERS) {
                POOL.offer(bytes);
            }
        }
    }
}
