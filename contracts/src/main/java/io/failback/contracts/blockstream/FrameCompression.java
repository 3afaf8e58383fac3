package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * Decides, frame by frame, whether a payload travels LZ4-compressed (a COMPRESSED frame) or as it is, for one stream
 * whose reader asked for compression. A payload is sent compressed only when that saves at least an eighth of it.
 * Incompressible data (random or already compressed content; sealed blocks never reach here) must cost almost
 * nothing: the sender first {@link #probe}s a payload's first {@value #PROBE_BYTES} bytes, and only when they shrink
 * by an eighth does it {@link #compress} the whole payload, so a random block costs a sixteenth of an attempt and
 * still travels without a copy. Every payload is judged on its own, so text that follows random data is compressed
 * from its first block (a back-off after misses, as before, skipped the text extents that followed random ones: a disk
 * half text shrank 1.3× where its text alone shrinks 3×). Not thread-safe: one per stream.
 */
public final class FrameCompression {
    /** How much of a payload {@link #probe} tries. */
    public static final int PROBE_BYTES = 4096;
    private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

    private final ByteBuffer probeOut = ByteBuffer.allocate(LZ4.maxCompressedLength(PROBE_BYTES));
    private long probed;
    private long attempted;
    private long hits;
    private long rawBytesCompressed;
    private long compressedBytes;

    /**
     * Whether the payload that starts with {@code start}'s remaining bytes is worth compressing: its first {@link
     * #PROBE_BYTES} (or all of {@code start}, if fewer) compress to at most 7/8 of them. Moves no position.
     */
    public boolean probe(ByteBuffer start) {
        probed++;
        int length = Math.min(PROBE_BYTES, start.remaining());
        try {
            LZ4.compress(start, start.position(), length, probeOut.clear(), 0, length - length / 8);
            return true;
        } catch (LZ4Exception doesNotPay) {
            return false;
        }
    }

    /**
     * LZ4-compresses {@code raw}'s remaining bytes into {@code out} at its position, if the result is at most 7/8 of
     * them and fits in {@code out}. On success {@code out}'s position moves past the compressed bytes; otherwise
     * {@code out} may hold garbage past its position, which it keeps. {@code raw}'s position never moves.
     *
     * @return the compressed length, or -1 when compressing does not pay
     */
    public int compress(ByteBuffer raw, ByteBuffer out) {
        attempted++;
        int rawLength = raw.remaining();
        int budget = Math.min(rawLength - rawLength / 8, out.remaining());
        int length;
        try {
            // Bounded output: LZ4 gives up as soon as the result would not pay.
            length = LZ4.compress(raw, raw.position(), rawLength, out, out.position(), budget);
        } catch (LZ4Exception doesNotPay) {
            return -1;
        }
        hits++;
        rawBytesCompressed += rawLength;
        compressedBytes += length;
        out.position(out.position() + length);
        return length;
    }

    /** Payloads probed. */
    public long probed() {
        return probed;
    }

    /** Payloads compressed whole (what compression cost beyond the probes). */
    public long attempted() {
        return attempted;
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
