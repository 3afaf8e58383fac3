package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One batch of a block stream as a list of parts to send with a gathering write: the framing the stream's encoder
 * writes (headers, frame heads, ZEROS and END frames, CRC32C trailers) into a small buffer, and between them block
 * payloads referenced where they were read. A block read into direct memory thus reaches the socket without another
 * copy in the JVM. Not thread-safe.
 */
final class GatheredFrames {
    private static final int ZEROS_FRAME_BYTES = BlockStreamFormat.FRAME_OVERHEAD_BYTES + 4;
    private static final int END_FRAME_BYTES = BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.END_PAYLOAD_BYTES;
    private static final int KEY_FRAME_BYTES = BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.MAX_KEY_ID_BYTES;

    /** The stream's encoder: it writes all framing and counts every frame for END. */
    private final BlockStreamEncoder encoder;
    private final List<ByteBuffer> parts = new ArrayList<>();
    private ByteBuffer framing;
    /** Where the framing bytes not yet among {@link #parts} begin. */
    private int pending;

    GatheredFrames(BlockStreamEncoder encoder) {
        this.encoder = encoder;
    }

    /**
     * The framing bytes a batch of {@code blocks} blocks may need at most: the stream's header and KEY frame, per block
     * a PAGES frame's head (DATA's and its mask) and trailer plus a ZEROS frame (a zero run closed before it, or at the end of a run of the
     * selection), and END.
     */
    static int framingCapacity(int blocks) {
        return BlockStreamFormat.HEADER_BYTES + KEY_FRAME_BYTES + END_FRAME_BYTES
                + blocks * (BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.PAGE_MASK_BYTES + 2 * ZEROS_FRAME_BYTES);
    }

    /** Starts a batch whose framing goes into {@code framing} (direct, at least {@link #framingCapacity}). */
    void begin(ByteBuffer framing) {
        this.framing = framing.clear();
        pending = 0;
        parts.clear();
    }

    /** Where the encoder writes whole framing parts (header, KEY, ZEROS, END) of this batch, at its position. */
    ByteBuffer framing() {
        return framing;
    }

    /** A DATA frame for {@code block}'s remaining bytes, which are referenced, not copied: leave them be until sent. */
    void data(long blockIndex, ByteBuffer block) {
        int head = framing.position();
        encoder.dataHead(framing, blockIndex, block.remaining());
        int trailer = encoder.trailer(framing.slice(head, framing.position() - head), block);
        cut();
        parts.add(block.slice());
        framing.putInt(trailer);
    }

    /**
     * A PAGES frame (version 2) for the pages {@code pageMask} names of {@code block} (the whole block, blockSize
     * bytes from its position): the pages are referenced where they lie, one part per run of adjacent pages.
     */
    void pages(long blockIndex, long pageMask, ByteBuffer block) {
        int head = framing.position();
        encoder.pagesHead(framing, blockIndex, pageMask);
        int trailer = encoder.pagesTrailer(framing.slice(head, framing.position() - head), pageMask, block);
        cut();
        int[] runs = BlockStreamEncoder.pageRuns(pageMask);
        for (int i = 0; i < runs.length; i += 2) {
            parts.add(block.slice(block.position() + runs[i] * BlockStreamFormat.PAGE_SIZE, runs[i + 1] * BlockStreamFormat.PAGE_SIZE));
        }
        framing.putInt(trailer);
    }

    /** A whole frame the encoder wrote elsewhere (SEALED, SEALED_PAGES, COMPRESSED); referenced, not copied. */
    void frame(ByteBuffer whole) {
        cut();
        parts.add(whole);
    }

    /** Whether the batch has nothing to send yet. */
    boolean isEmpty() {
        return parts.isEmpty() && framing.position() == pending;
    }

    /** The batch as one buffer that references its parts (no copy; one component per part, never merged). */
    Buffer finish() {
        cut();
        ByteBuffer[] all = parts.toArray(ByteBuffer[]::new);
        return Buffer.buffer(Unpooled.wrappedBuffer(Math.max(1, all.length), all));
    }

    /** Closes the framing bytes written since the last part into a part of their own. */
    private void cut() {
        if (framing.position() > pending) {
            parts.add(framing.slice(pending, framing.position() - pending));
            pending = framing.position();
        }
    }
}
