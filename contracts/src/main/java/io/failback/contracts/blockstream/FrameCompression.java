package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * Decides, frame by frame, whether a payload travels LZ4-compressed (a COMPRESSED frame) or as it is, for one stream
 * whose reader asked for compression. A payload is sent compressed only when that saves at least an eighth of it.
 * Incompressible data (random or already compressed content, sealed blocks never reach here) must cost almost
 * nothing, so after a miss the next {@code k} payloads are not even tried, {@code k} doubling with each further miss up
 * to {@link #MAX_BACK_OFF}; a hit starts over. Not thread-safe: one per stream.
 */
public final class FrameCompression {
    /** Most payloads skipped after a run of misses: a stream whose content turns compressible is noticed soon. */
    public static final int MAX_BACK_OFF = 64;
    private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

    private int backOff;
    private int skip;
    private long tried;
    private long hits;
    private long rawBytesCompressed;
    private long compressedBytes;

    /**
     * Whether the next payload should be tried: false while backing off after misses. A caller that answers true must
     * then call {@link #compress}.
     */
    public boolean shouldTry() {
        if (skip > 0) {
            skip--;
            return false;
        }
        return true;
    }

    /**
     * LZ4-compresses {@code raw}'s remaining bytes into {@code out} at its position, if the result is at most 7/8 of
     * them and fits in {@code out}. On success {@code out}'s position moves past the compressed bytes; otherwise
     * {@code out} may hold garbage past its position, which it keeps. {@code raw}'s position never moves.
     *
     * @return the compressed length, or -1 when compressing does not pay (a miss: the back-off grows)
     */
    public int compress(ByteBuffer raw, ByteBuffer out) {
        tried++;
        int rawLength = raw.remaining();
        int budget = Math.min(rawLength - rawLength / 8, out.remaining());
        int length;
        try {
            // Bounded output: LZ4 gives up as soon as the result would not pay.
            length = LZ4.compress(raw, raw.position(), rawLength, out, out.position(), budget);
        } catch (LZ4Exception doesNotPay) {
            miss();
            return -1;
        }
        hits++;
        rawBytesCompressed += rawLength;
        compressedBytes += length;
        backOff = 0;
        out.position(out.position() + length);
        return length;
    }

    private void miss() {
        backOff = backOff == 0 ? 1 : Math.min(backOff * 2, MAX_BACK_OFF);
        skip = backOff;
    }

    /** Payloads compression was tried on. */
    public long tried() {
        return tried;
    }

    /** Payloads that travel compressed. */
    public long hits() {
        return hits;
    }

    /** Bytes the compressed payloads had before compression. */
    public long rawBytesCompressed() {
        return rawBytesCompressed;
    }

    /** Bytes the compressed payloads have after compression. */
    public long compressedBytes() {
        return compressedBytes;
    }
}
