package io.failback.contracts.blockstream;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import java.nio.ByteBuffer;

/**
 * zstd-jni's one-shot calls for byte buffers of either kind: the block streams' buffers are direct (read from disk,
 * handed to the socket) and go through without a copy; a heap buffer on one side (a frame gathered across chunks, a
 * test) is copied through a per-thread direct scratch buffer. Positions never move; the callers do that.
 */
final class ZstdBuffers {
    private static final ThreadLocal<ByteBuffer[]> SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[2]);

    private ZstdBuffers() {
    }

    /**
     * Compresses {@code src}'s remaining bytes into at most {@code budget} bytes of {@code dst} from its position.
     *
     * @throws com.github.luben.zstd.ZstdException when the result does not fit in {@code budget}
     */
    static int compress(ZstdCompressCtx ctx, ByteBuffer src, ByteBuffer dst, int budget) {
        if (src.isDirect() && dst.isDirect()) {
            return ctx.compressDirectByteBuffer(dst, dst.position(), budget, src, src.position(), src.remaining());
        }
        ByteBuffer in = direct(src, 0);
        ByteBuffer out = dst.isDirect() ? dst : scratch(1, budget);
        int length = ctx.compressDirectByteBuffer(out, out == dst ? dst.position() : 0, budget, in, in.position(), in.remaining());
        if (out != dst) {
            dst.put(dst.position(), out, 0, length);
        }
        return length;
    }

    /**
     * Decompresses {@code srcLength} bytes of {@code src} from {@code srcOffset} into {@code dst} from 0, writing at
     * most {@code rawLength} bytes: a frame that claims more is refused, not followed.
     *
     * @return the bytes written
     * @throws com.github.luben.zstd.ZstdException on malformed input or output beyond {@code rawLength}
     */
    static int decompress(ZstdDecompressCtx ctx, ByteBuffer src, int srcOffset, int srcLength, ByteBuffer dst, int rawLength) {
        ByteBuffer in = direct(src.slice(srcOffset, srcLength), 0);
        ByteBuffer out = dst.isDirect() ? dst : scratch(1, rawLength);
        int length = ctx.decompressDirectByteBuffer(out, 0, rawLength, in, 0, srcLength);
        if (out != dst) {
            dst.put(0, out, 0, length);
        }
        return length;
    }

    /** {@code src}'s remaining bytes in direct memory: itself if it is direct, else a copy in scratch {@code slot}. */
    private static ByteBuffer direct(ByteBuffer src, int slot) {
        if (src.isDirect()) {
            return src;
        }
        ByteBuffer copy = scratch(slot, src.remaining());
        copy.put(0, src, src.position(), src.remaining());
        return copy.limit(src.remaining());
    }

    private static ByteBuffer scratch(int slot, int bytes) {
        ByteBuffer[] buffers = SCRATCH.get();
        if (buffers[slot] == null || buffers[slot].capacity() < bytes) {
            buffers[slot] = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16));
        }
        return buffers[slot].clear();
    }
}
