package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockStreamFormat;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes {@link BlockStreamFormat} frames around block payloads that stay where they were read. Only the framing is
 * written (frame heads, ZEROS and END frames, CRC32C trailers, into a small buffer of the caller's); a batch then goes
 * out as one gathered buffer of those bytes and slices of the payloads, so a block read from disk into direct memory
 * reaches the socket without another copy in the JVM. Counts frames and DATA bytes across batches for END.
 * Not thread-safe.
 */
final class GatheredFrames {
    private static final int FRAME_HEAD_BYTES = 1 + 8 + 4;
    private static final int ZEROS_FRAME_BYTES = BlockStreamFormat.FRAME_OVERHEAD_BYTES + 4;
    private static final int END_FRAME_BYTES = BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.END_PAYLOAD_BYTES;
    private static final int KEY_FRAME_BYTES = BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.MAX_KEY_ID_BYTES;

    private final CRC32C crc = new CRC32C();
    private final List<ByteBuffer> parts = new ArrayList<>();
    private ByteBuffer framing;
    /** Where the framing bytes not yet among {@link #parts} begin. */
    private int pending;
    private long frames;
    private long dataBytes;

    /**
     * The framing bytes a batch of {@code blocks} blocks may need at most: the stream's header and KEY frame, per block
     * a DATA frame's head and trailer plus a ZEROS frame (a zero run closed before it, or at the end of a run of the
     * selection), and END.
     */
    static int framingCapacity(int blocks) {
        return BlockStreamFormat.HEADER_BYTES + KEY_FRAME_BYTES + END_FRAME_BYTES
                + blocks * (BlockStreamFormat.FRAME_OVERHEAD_BYTES + 2 * ZEROS_FRAME_BYTES);
    }

    /** Starts a batch whose framing bytes go into {@code framing} (direct, at least {@link #framingCapacity}). */
    void begin(ByteBuffer framing) {
        this.framing = framing.clear();
        pending = 0;
        parts.clear();
    }

    /** The framing buffer, for parts written by others (the stream's header and KEY frame) at its position. */
    ByteBuffer framing() {
        return framing;
    }

    /** A DATA frame for {@code block}'s remaining bytes, which are referenced, not copied: leave them be until sent. */
    void data(long blockIndex, ByteBuffer block) {
        int length = block.remaining();
        int start = framing.position();
        framing.put(BlockStreamFormat.TYPE_DATA).putLong(blockIndex).putInt(length);
        crc.reset();
        crc.update(framing.slice(start, FRAME_HEAD_BYTES));
        crc.update(block.duplicate());
        cut();
        parts.add(block.slice());
        framing.putInt((int) crc.getValue());
        frames++;
        dataBytes += length;
    }

    /** A whole frame written elsewhere (a SEALED frame), carrying {@code plainBytes} of block content; referenced. */
    void frame(ByteBuffer whole, int plainBytes) {
        cut();
        parts.add(whole);
        frames++;
        dataBytes += plainBytes;
    }

    void zeros(long firstBlock, int runLength) {
        int start = framing.position();
        framing.put(BlockStreamFormat.TYPE_ZEROS).putLong(firstBlock).putInt(4).putInt(runLength);
        trailer(start);
        frames++;
    }

    void end(long endBlock) {
        int start = framing.position();
        framing.put(BlockStreamFormat.TYPE_END).putLong(endBlock).putInt(BlockStreamFormat.END_PAYLOAD_BYTES)
                .putLong(frames).putLong(dataBytes);
        trailer(start);
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

    private void trailer(int start) {
        crc.reset();
        crc.update(framing.slice(start, framing.position() - start));
        framing.putInt((int) crc.getValue());
    }

    /** Closes the framing bytes written since the last part into a part of their own. */
    private void cut() {
        if (framing.position() > pending) {
            parts.add(framing.slice(pending, framing.position() - pending));
            pending = framing.position();
        }
    }
}
