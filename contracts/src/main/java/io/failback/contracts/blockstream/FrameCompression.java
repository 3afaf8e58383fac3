package io.failback.contracts.blockstream;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;

/**
 * Decides, frame by frame, whether a payload travels compressed with the stream's {@link Compression} codec (a
 * COMPRESSED or COMPRESSED_ZSTD frame) or as it is, for one stream whose reader asked for compression. A payload is
 * sent compressed only when that saves at least an eighth of it.
 * Incompressible data (random or already compressed content; sealed blocks never reach here) must cost almost
 * nothing: the sender first {@link #probe}s a payload's first {@value #PROBE_BYTES} bytes, and only when they shrink
 * by an eighth does it {@link #compress} the whole payload, so a random block costs a sixteenth of an attempt and
 * still travels without a copy. Every payload is judged on its own, so text that follows random data is compressed
 * from its first block (a back-off after misses, as before, skipped the text extents that followed random ones: a disk
 * half text shrank 1.3× where its text alone shrinks 3×). The probe is LZ4's whatever the codec: a few microseconds,
 * and data that LZ4 cannot shrink by an eighth in 4 KiB is not worth a Zstandard attempt either. Not thread-safe: one
 * per stream.
 */
public final class FrameCompression {
    /** How much of a payload {@link #probe} tries. */
    public static final int PROBE_BYTES = 4096;
    private static final LZ4Compressor LZ4 = Lz4Java.lz4().fastCompressor();
    /**
     * Zstandard's default level. Measured here on 64 KiB payloads of log-like text: 4.79× at 450 MB/s, where level 1
     * gives 4.61× at 466 MB/s, level 4 4.76× at 434 MB/s and level 6 5.07× at only 136 MB/s.
     */
    static final int ZSTD_LEVEL = 3;
    /** A context per thread (native memory, reused; streams are encoded on pooled worker threads). */
    private static final ThreadLocal<ZstdCompressCtx> ZSTD = ThreadLocal.withInitial(
            () -> new ZstdCompressCtx().setLevel(ZSTD_LEVEL).setChecksum(false));

    private final Compression codec;
    private final ByteBuffer probeOut = ByteBuffer.allocate(LZ4.maxCompressedLength(PROBE_BYTES));
    private long probed;
    private long attempted;
    private long hits;
    private long rawBytesCompressed;
    private long compressedBytes;

    public FrameCompression(Compression codec) {
        this.codec = codec;
    }

    /** The codec, and so the frame type, of this stream's compressed frames. */
    public Compression codec() {
        return codec;
    }

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
     * Compresses {@code raw}'s remaining bytes with the codec into {@code out} at its position, if the result is at most
     * 7/8 of them and fits in {@code out}. On success {@code out}'s position moves past the compressed bytes; otherwise
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
            // Bounded output: either codec gives up when the result would not pay.
            length = codec == Compression.LZ4 ? LZ4.compress(raw, raw.position(), rawLength, out, out.position(), budget)
                    : ZstdBuffers.compress(ZSTD.get(), raw, out, budget);
        } catch (LZ4Exception | ZstdException doesNotPay) {
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
