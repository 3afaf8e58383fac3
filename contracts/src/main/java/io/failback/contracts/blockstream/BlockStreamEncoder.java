package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Writes the parts of a {@link BlockStreamFormat} stream into a caller's buffer. Not thread-safe; cheap to create. */
public final class BlockStreamEncoder {
    private final CRC32C crc = new CRC32C();
    private long frames;
    private long dataBytes;

    public static int dataFrameBytes(int blockSize) {
        return BlockStreamFormat.FRAME_OVERHEAD_BYTES + blockSize;
    }

    public void header(ByteBuffer out, StreamHeader header) {
        header(out, header, (short) 0);
    }

    public void header(ByteBuffer out, StreamHeader header, short flags) {
        int start = out.position();
        out.putInt(BlockStreamFormat.MAGIC)
                .putShort(BlockStreamFormat.VERSION)
                .putShort(flags)
                .putInt(header.blockSize())
                .putLong(header.diskSizeBytes())
                .putLong(header.firstBlock())
                .putLong(header.blockCount());
        out.putInt(checksum(out, start));
    }

    /** Appends a DATA frame carrying {@code block}'s remaining bytes; consumes them. */
    public void data(ByteBuffer out, long blockIndex, ByteBuffer block) {
        int length = block.remaining();
        int start = out.position();
        out.put(BlockStreamFormat.TYPE_DATA).putLong(blockIndex).putInt(length).put(block);
        out.putInt(checksum(out, start));
        frames++;
        dataBytes += length;
    }

    /** The KEY frame of a sealed stream: which certificate's key the SEALED frames need. */
    public void key(ByteBuffer out, long firstBlock, String certificateId) {
        byte[] id = certificateId.getBytes(StandardCharsets.UTF_8);
        int start = out.position();
        out.put(BlockStreamFormat.TYPE_KEY).putLong(firstBlock).putInt(id.length).put(id);
        out.putInt(checksum(out, start));
    }

    /** Appends a SEALED frame for {@code block}'s remaining bytes; consumes them. */
    public void sealed(ByteBuffer out, long blockIndex, long diskSizeBytes, ByteBuffer block, BlockSeal seal) {
        int length = block.remaining();
        int start = out.position();
        out.put(BlockStreamFormat.TYPE_SEALED).putLong(blockIndex).putInt(BlockSeal.sealedLength(length));
        seal.seal(blockIndex, diskSizeBytes, block, out);
        out.putInt(checksum(out, start));
        frames++;
        dataBytes += length;
    }

    public void zeros(ByteBuffer out, long firstBlock, int runLength) {
        int start = out.position();
        out.put(BlockStreamFormat.TYPE_ZEROS).putLong(firstBlock).putInt(4).putInt(runLength);
        out.putInt(checksum(out, start));
        frames++;
    }

    public void end(ByteBuffer out, long endBlock) {
        int start = out.position();
        out.put(BlockStreamFormat.TYPE_END).putLong(endBlock).putInt(BlockStreamFormat.END_PAYLOAD_BYTES)
                .putLong(frames).putLong(dataBytes);
        out.putInt(checksum(out, start));
    }

    public static ByteBuffer error(long blockIndex, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, BlockStreamFormat.MAX_ERROR_MESSAGE_BYTES);
        ByteBuffer out = ByteBuffer.allocate(BlockStreamFormat.FRAME_OVERHEAD_BYTES + length);
        out.put(BlockStreamFormat.TYPE_ERROR).putLong(blockIndex).putInt(length).put(text, 0, length);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.flip();
    }

    private int checksum(ByteBuffer out, int start) {
        crc.reset();
        crc.update(out.duplicate().limit(out.position()).position(start));
        return (int) crc.getValue();
    }
}
