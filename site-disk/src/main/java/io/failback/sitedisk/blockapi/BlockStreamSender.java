package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockSeal;
import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.blockstream.Compression;
import io.failback.contracts.blockstream.FrameCompression;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.contracts.site.PageMasks;
import io.failback.sitedisk.BlockReader;
import io.failback.sitedisk.DiskFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves a disk's blocks as a block stream on an HTTP response: a range, or a selection of runs of blocks inside the
 * header's range. It reads a batch of blocks at a time on a worker thread and only when the response can take more
 * (see {@link ChunkedSender}); a batch is filled from as many runs of a selection as fit, so a scattered selection
 * costs a worker hop per batch, not per run. All-zero blocks travel as ZEROS runs, not as data; blocks the disk knows
 * it never wrote ({@link BlockReader#knownZero}) are not even read.
 * <p>
 * Blocks are read into direct memory once and go out from there: the batch is sent as frame heads and trailers
 * around slices of the blocks ({@link GatheredFrames}), and its memory is reused once the socket has taken it.
 * Sealed blocks (a site that encrypts data) are new bytes, written into a second direct buffer.
 * <p>
 * A reader that asks for version 2 ({@link Wire}) gets, of a block of which the selection wants only some pages, a
 * PAGES frame (or SEALED_PAGES) with just those pages, gathered from the block like DATA; and, when it asked for LZ4,
 * COMPRESSED frames wherever {@link FrameCompression} finds that pays (written whole into the second buffer; a frame
 * it does not try stays zero-copy). A version 1 reader gets whole blocks, as before.
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
    /** The blocks of which only some pages travel (version 2), with a cursor: blocks come in increasing order. */
    private final PageMasks pages;
    private int nextPartial;
    private final long fullMask;
    /** The pages of each block of the batch being read and framed that travel ({@link #fullMask} for all). */
    private final long[] slotMasks;
    private final short version;
    /** One per stream when the reader asked for compression (never for sealed streams); null sends no compressed frame. */
    private final FrameCompression compression;
    /** Seals every block when the sending site encrypts data; null sends blocks in the clear. */
    private final BlockSeal seal;
    /** Writes every frame's framing and counts the frames for END. */
    private final BlockStreamEncoder encoder = new BlockStreamEncoder();
    private final GatheredFrames frames = new GatheredFrames(encoder);
    private final int batchBlocks;
    /**
     * Batches whose bytes the socket has taken, ready for the next batch of any stream of the same shape (handed back on
     * the event loop). Process-wide and bounded. Each stream used to allocate its own, which stayed reachable as long
     * as its sender did, and direct memory is freed only when the GC finds it unreachable: after many streams, a
     * benchmark's third Reverse Replicate found host-agent's direct memory full (192 MB live) and failed. Now the
     * senders hold what the streams under way need, plus this pool.
     */
    private static final ConcurrentHashMap<Shape, Queue<Batch>> SPARE = new ConcurrentHashMap<>();
    /**
     * The most memory the pool keeps: what the streams a busy site serves at once hold in flight (azure-sim serves every
     * sync-service instance's copies: 8 full downloads × 5 batches of ~2 MiB). A pool of 8 batches let those streams
     * drop and allocate batches all the time; the dropped ones filled the direct memory limit before a GC found them
     * unreachable, and each allocation then waited for a full GC the JVM forced (three of 160–270 ms in one run of 20
     * downloads at once).
     */
    private static final long SPARE_BYTES_MAX = 96L << 20;
    private static final AtomicLong SPARE_BYTES = new AtomicLong();
    private int run;
    private long runEnd;
    private boolean headerSent;
    private boolean ended;
    private long nextBlock;
    private long zeroRunStart;
    private int zeroRunLength;

    /**
     * What the reader asked for: block stream version 2 ({@code Accept}) and compressed frames of a codec it named in
     * {@link BlockStreamFormat#COMPRESSION_HEADER} (null for none). {@link #V1} is what a reader gets that asks for
     * neither.
     */
    public record Wire(boolean version2, Compression compression) {
        public static final Wire V1 = new Wire(false, null);

        /** From a request's {@code Accept} and compression headers (null when absent). */
        public static Wire of(String accept, String compression) {
            return new Wire(BlockStreamFormat.versionAccepted(accept) == BlockStreamFormat.VERSION_2,
                    Compression.requested(compression));
        }
    }

    /**
     * The memory one batch is read and framed in; all direct, so the socket takes it without a copy. {@code
     * ownFrames} holds frames written whole (SEALED, SEALED_PAGES, COMPRESSED) in one slot per block; null when the
     * stream has none.
     */
    private record Batch(ByteBuffer blocks, ByteBuffer framing, ByteBuffer ownFrames) {
        long bytes() {
            return blocks.capacity() + framing.capacity() + (ownFrames == null ? 0 : ownFrames.capacity());
        }
    }

    /** The sizes of a stream's batches: which spare batches it can use. */
    private record Shape(int blocksBytes, int framingBytes, int ownFrameBytes) {
    }

    private Queue<Batch> spare() {
        Shape shape = new Shape(batchBlocks * header.blockSize(), GatheredFrames.framingCapacity(batchBlocks),
                batchBlocks * ownFrameSlotBytes());
        return SPARE.computeIfAbsent(shape, any -> new ConcurrentLinkedQueue<>());
    }

    private BlockStreamSender(BlockReader reader, StreamHeader header, List<long[]> runs, PageMasks pages, CloudKey key,
            Wire wire) {
        this.reader = reader;
        this.header = header;
        this.seal = key == null ? null : new BlockSeal(key);
        // A disk whose blocks are not 1..64 whole pages answers version 1 whatever was asked.
        this.version = wire.version2() && BlockStreamFormat.version2Allows(header.blockSize()) ? BlockStreamFormat.VERSION_2
                : BlockStreamFormat.VERSION;
        this.compression = version == BlockStreamFormat.VERSION_2 && wire.compression() != null && seal == null
                ? new FrameCompression(wire.compression()) : null;
        this.pages = version == BlockStreamFormat.VERSION_2 ? pages : PageMasks.NONE;
        this.fullMask = PageMasks.fullMask(header.blockSize());
        this.runs = runs.stream().filter(r -> r[1] > 0).toList();
        this.batchBlocks = Math.max(1, BATCH_BYTES / header.blockSize());
        this.slotMasks = new long[batchBlocks];
        if (!this.runs.isEmpty()) {
            nextBlock = this.runs.get(0)[0];
            runEnd = nextBlock + this.runs.get(0)[1];
        }
    }

    /** Streams the blocks of {@code header}'s range in version 1; the future ends when the response does. */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, CloudKey key,
            HttpServerResponse response) {
        return send(vertx, reader, header, key, Wire.V1, response);
    }

    /** Streams the blocks of {@code header}'s range as the reader asked ({@code wire}); the future ends when the response does. */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, CloudKey key, Wire wire,
            HttpServerResponse response) {
        return send(vertx, reader, header, List.of(new long[] {header.firstBlock(), header.blockCount()}), PageMasks.NONE, key,
                wire, response);
    }

    /**
     * Streams only the blocks of {@code runs} ({@code [first, count]}, increasing, disjoint, inside the header's
     * range) in version 1, sealed under {@code key} unless it is null; the future ends when the response does.
     */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, List<long[]> runs, CloudKey key,
            HttpServerResponse response) {
        return send(vertx, reader, header, runs, PageMasks.NONE, key, Wire.V1, response);
    }

    /**
     * As above, where of the blocks {@code pages} lists only those pages are wanted: a version 2 stream carries just
     * them (PAGES or SEALED_PAGES frames), a version 1 stream the whole blocks (always correct: the receiver's block
     * then equals the source's). The answer's Content-Type names the version sent, and its compression header names
     * the codec when compressed frames may come.
     */
    public static Future<Void> send(Vertx vertx, BlockReader reader, StreamHeader header, List<long[]> runs, PageMasks pages,
            CloudKey key, Wire wire, HttpServerResponse response) {
        BlockStreamSender sender = new BlockStreamSender(reader, header, runs, pages, key, wire);
        if (sender.compression != null) {
            response.putHeader(BlockStreamFormat.COMPRESSION_HEADER, sender.compression.codec().headerValue());
        }
        return ChunkedSender.send(vertx, response, BlockStreamFormat.mediaType(sender.version), sender);
    }

    @Override
    public ChunkedSender.Chunk next() {
        if (ended) {
            return null;
        }
        Batch batch = spare().poll();
        if (batch == null) {
            batch = newBatch();
        } else {
            SPARE_BYTES.addAndGet(-batch.bytes());
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
            if (knownZero(nextBlock)) {
                // Nothing to read: the block joins the zero run and takes no room in the batch.
                addToZeroRun(nextBlock);
                nextBlock++;
            } else {
                int count = (int) Math.min(batchBlocks - filled, runEnd - nextBlock);
                for (int i = 1; i < count; i++) {
                    if (knownZero(nextBlock + i)) {
                        count = i;
                        break;
                    }
                }
                readRun(nextBlock, count, blocks, filled);
                for (int i = 0; i < count; i++) {
                    ByteBuffer block = blocks.slice((filled + i) * blockSize, blockSize);
                    frame(nextBlock + i, block, batch.ownFrames(), filled + i, slotMasks[filled + i]);
                }
                filled += count;
                nextBlock += count;
            }
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
        Buffer body = frames.finish();
        int bodyBytes = body.length();
        return new ChunkedSender.Chunk(body, () -> {
            BlockStreamMeters.SERVED.increment(bodyBytes);
            if (SPARE_BYTES.addAndGet(sent.bytes()) <= SPARE_BYTES_MAX) {
                spare().offer(sent);
            } else {
                SPARE_BYTES.addAndGet(-sent.bytes());
            }
        });
    }

    /**
     * Reads {@code count} blocks from {@code first} into the batch's slots from {@code slot}, noting each block's mask
     * in {@link #slotMasks}: whole blocks in runs, one read per run, and of a block the selection wants only some pages
     * of, just those pages, in their places (the rest of its slot is left as it was).
     */
    private void readRun(long first, int count, ByteBuffer blocks, int slot) {
        int blockSize = header.blockSize();
        int wholeFrom = -1;
        for (int i = 0; i < count; i++) {
            long mask = maskOf(first + i);
            slotMasks[slot + i] = mask;
            if (mask == fullMask) {
                wholeFrom = wholeFrom < 0 ? i : wholeFrom;
                continue;
            }
            if (wholeFrom >= 0) {
                reader.read(first + wholeFrom, blocks.slice((slot + wholeFrom) * blockSize, (i - wholeFrom) * blockSize));
                wholeFrom = -1;
            }
            reader.readPages(first + i, mask, blocks.slice((slot + i) * blockSize, blockSize));
        }
        if (wholeFrom >= 0) {
            reader.read(first + wholeFrom, blocks.slice((slot + wholeFrom) * blockSize, (count - wholeFrom) * blockSize));
        }
    }

    private Batch newBatch() {
        int blockSize = header.blockSize();
        int slot = ownFrameSlotBytes();
        // Page-aligned, so that runs of blocks are read around the page cache (DiskFile).
        return new Batch(DiskFile.allocateAligned(batchBlocks * blockSize),
                ByteBuffer.allocateDirect(GatheredFrames.framingCapacity(batchBlocks)),
                slot == 0 ? null : ByteBuffer.allocateDirect(batchBlocks * slot));
    }

    /**
     * Room per block for a frame written whole: a sealed frame (SEALED_PAGES is the largest), or a COMPRESSED one. A
     * stream that may send PAGES frames (a selection of pages) gets twice a PAGES frame's room, so that the encoder
     * gathers the pages to compress there too; one of whole blocks needs no more than the frame.
     */
    private int ownFrameSlotBytes() {
        if (seal != null) {
            return BlockStreamEncoder.maxBlockFrameBytes(header.blockSize());
        }
        int frame = BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.PAGE_MASK_BYTES + header.blockSize();
        return compression == null ? 0 : pages.size() == 0 ? frame : 2 * frame;
    }

    private void writeHeader() {
        if (seal == null) {
            encoder.header(frames.framing(), header, (short) 0, version);
        } else {
            encoder.header(frames.framing(), header, BlockStreamFormat.FLAG_SEALED, version);
            encoder.key(frames.framing(), header.firstBlock(), seal.key().certificateId());
        }
        headerSent = true;
    }

    /**
     * Frames the block at {@code slot} of the batch, of which {@code mask} names the pages that travel (and were
     * read): a whole block into the open zero run if it is all zeros, else as a DATA, PAGES, SEALED, SEALED_PAGES or
     * compressed frame. Some pages travel as pages even when they are zeros: the block's other pages were not read.
     */
    private void frame(long index, ByteBuffer block, ByteBuffer ownFrames, int slot, long mask) {
        if (mask == fullMask && DiskFile.isAllZero(block)) {
            addToZeroRun(index);
            return;
        }
        flushZeroRun();
        if (seal != null) {
            int slotBytes = ownFrameSlotBytes();
            ByteBuffer frame = ownFrames.slice(slot * slotBytes, slotBytes);
            if (mask == fullMask) {
                encoder.sealed(frame, index, header.diskSizeBytes(), block, seal);
            } else {
                encoder.sealedPages(frame, index, header.diskSizeBytes(), mask, block, seal);
            }
            frames.frame(frame.flip());
        } else if (compression != null && compression.probe(firstPages(block, mask))) {
            // Written whole: LZ4 writes straight into the frame; a payload whose first bytes compressed but not the
            // rest is copied there instead (rare: one that fails the probe goes out below without a copy).
            int slotBytes = ownFrameSlotBytes();
            ByteBuffer frame = ownFrames.slice(slot * slotBytes, slotBytes);
            if (mask == fullMask) {
                encoder.data(frame, index, block, compression);
            } else {
                encoder.pages(frame, index, mask, block, compression);
            }
            frames.frame(frame.flip());
        } else if (mask == fullMask) {
            frames.data(index, block);
        } else {
            frames.pages(index, mask, block);
        }
    }

    /**
     * A block the reader knows holds zeros, and of which the whole block travels (a block the selection wants some pages
     * of goes as those pages). Looked up without moving {@link #maskOf}'s cursor, which may only move forward.
     */
    private boolean knownZero(long index) {
        return reader.knownZero(index) && pages.maskOf(index, fullMask) == fullMask;
    }

    private void addToZeroRun(long index) {
        if (zeroRunLength == 0) {
            zeroRunStart = index;
        }
        zeroRunLength++;
    }

    /** Where the payload of the block's frame starts: its first page that travels. */
    private static ByteBuffer firstPages(ByteBuffer block, long mask) {
        int page = Long.numberOfTrailingZeros(mask);
        int pageBytes = BlockStreamFormat.PAGE_SIZE;
        return block.slice(block.position() + page * pageBytes, block.remaining() - page * pageBytes);
    }

    /** The pages of block {@code index} that travel: all of them unless the selection (version 2) names some. */
    private long maskOf(long index) {
        while (nextPartial < pages.size() && pages.block(nextPartial) < index) {
            nextPartial++;
        }
        return nextPartial < pages.size() && pages.block(nextPartial) == index ? pages.mask(nextPartial) : fullMask;
    }

    private void flushZeroRun() {
        if (zeroRunLength > 0) {
            encoder.zeros(frames.framing(), zeroRunStart, zeroRunLength);
            zeroRunLength = 0;
        }
    }
}
