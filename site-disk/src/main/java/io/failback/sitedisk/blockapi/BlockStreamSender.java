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
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Serves a disk's blocks as a block stream on an HTTP response: a range, or a selection of runs of blocks inside the
 * header's range. It reads a batch of blocks at a time on a worker thread and only when the response can take more
 * (see {@link ChunkedSender}); a batch is filled from as many runs of a selection as fit, so a scattered selection
 * costs a worker hop per batch, not per run. All-zero blocks travel as ZEROS runs, not as data.
 * <p>
 * Blocks are read into direct memory once and go out from there: the batch is sent as frame heads and trailers
 * around slices of the blocks ({@link GatheredFrames}), and its memory is reused once the socket has taken it.
 * Sealed blocks (a site that encrypts data) are new bytes, written into a second direct buffer.
 */
public final class BlockStreamSender implements ChunkedSender.Producer {
    /**
     * Blocks read per worker hop (a batch of all-zero blocks costs no hop: reading goes on). 4 MiB measured the same
     * CPU per GiB as 1 MiB, with less overlap of reading and sending under the response's 4 MiB write queue.
     */
    static final int BATCH_BYTES = 1 << 20;

    private final BlockReader reader;
    private final StreamHeader header;
    private final List<long[]> runs;
    /** Seals every block when the sending site encrypts data; null sends blocks in the clear. */
    private final BlockSeal seal;
    /** Writes every frame's framing and counts the frames for END. */
    private final BlockStreamEncoder encoder = new BlockStreamEncoder();
    private final GatheredFrames frames = new GatheredFrames(encoder);
    private final int batchBlocks;
    /** Batches whose bytes the socket has taken, ready for reuse (handed back on the event loop). */
    private final Queue<Batch> spare = new ConcurrentLinkedQueue<>();
    private int run;
    private long runEnd;
    private boolean headerSent;
    private boolean ended;
    private long nextBlock;
    private long zeroRunStart;
    private int zeroRunLength;

    /** The memory one batch is read and framed in; all direct, so the socket takes it without a copy. */
    private record Batch(ByteBuffer blocks, ByteBuffer framing, ByteBuffer sealedFrames) {
    }

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

    @Override
    public ChunkedSender.Chunk next() {
        if (ended) {
            return null;
        }
        Batch batch = spare.poll();
        if (batch == null) {
            batch = newBatch();
        }
        frames.begin(batch.framing());
        if (!headerSent) {
            writeHeader();
        }
        int blockSize = header.blockSize();
        ByteBuffer blocks = batch.blocks();
        int filled = 0;
        while (run < runs.size()) {
            if (filled == batchBlocks) {
                if (!frames.isEmpty()) {
                    break;
                }
                // Only zeros so far, held as a run still open: nothing references the blocks, so read on in place.
                filled = 0;
            }
            int count = (int) Math.min(batchBlocks - filled, runEnd - nextBlock);
            reader.read(nextBlock, blocks.slice(filled * blockSize, count * blockSize));
            for (int i = 0; i < count; i++) {
                ByteBuffer block = blocks.slice((filled + i) * blockSize, blockSize);
                frame(nextBlock + i, block, batch.sealedFrames(), filled + i);
            }
            filled += count;
            nextBlock += count;
            if (nextBlock >= runEnd) {
                // A zero run never spans the gap to the next run.
                flushZeroRun();
                run++;
                if (run < runs.size()) {
                    nextBlock = runs.get(run)[0];
                    runEnd = nextBlock + runs.get(run)[1];
                }
            }
        }
        if (run >= runs.size()) {
            flushZeroRun();
            encoder.end(frames.framing(), header.endBlock());
            ended = true;
        }
        Batch sent = batch;
        return new ChunkedSender.Chunk(frames.finish(), () -> spare.add(sent));
    }

    private Batch newBatch() {
        int blockSize = header.blockSize();
        return new Batch(ByteBuffer.allocateDirect(batchBlocks * blockSize),
                ByteBuffer.allocateDirect(GatheredFrames.framingCapacity(batchBlocks)),
                seal == null ? null : ByteBuffer.allocateDirect(batchBlocks * sealedFrameBytes(blockSize)));
    }

    private static int sealedFrameBytes(int blockSize) {
        return BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockSeal.sealedLength(blockSize);
    }

    private void writeHeader() {
        if (seal == null) {
            encoder.header(frames.framing(), header);
        } else {
            encoder.header(frames.framing(), header, BlockStreamFormat.FLAG_SEALED);
            encoder.key(frames.framing(), header.firstBlock(), seal.key().certificateId());
        }
        headerSent = true;
    }

    /** Frames the block at {@code slot} of the batch: into the open zero run, or as a DATA or SEALED frame. */
    private void frame(long index, ByteBuffer block, ByteBuffer sealedFrames, int slot) {
        if (DiskFile.isAllZero(block)) {
            if (zeroRunLength == 0) {
                zeroRunStart = index;
            }
            zeroRunLength++;
            return;
        }
        flushZeroRun();
        if (seal == null) {
            frames.data(index, block);
        } else {
            int frameBytes = sealedFrameBytes(block.remaining());
            ByteBuffer frame = sealedFrames.slice(slot * frameBytes, frameBytes);
            encoder.sealed(frame, index, header.diskSizeBytes(), block, seal);
            frames.frame(frame.flip());
        }
    }

    private void flushZeroRun() {
        if (zeroRunLength > 0) {
            encoder.zeros(frames.framing(), zeroRunStart, zeroRunLength);
            zeroRunLength = 0;
        }
    }
}
