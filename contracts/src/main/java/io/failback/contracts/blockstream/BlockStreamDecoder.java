package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Parses a {@link BlockStreamFormat} stream fed in chunks of any size, verifying every checksum and every rule of
 * the format. Holds at most one frame in memory. Not thread-safe.
 */
public final class BlockStreamDecoder {

    /** Receives what the stream says, in order. A DATA payload is only valid during the call. */
    public interface Handler {
        void header(StreamHeader header);

        /** A block's content: from a DATA frame, or a SEALED one opened with the stream's key. */
        void data(long blockIndex, ByteBuffer payload);

        /** A SEALED block passing through a decoder that holds no keys (a relay): verified, not opened. */
        default void sealed(long blockIndex) {
        }

        void zeros(long firstBlock, int runLength);

        void end(long frames, long dataBytes);
    }

    private final Handler handler;
    private final KeyRing keys;
    private final CRC32C crc = new CRC32C();
    private boolean sealedStream;
    private BlockSeal seal;
    private String keyId;
    private ByteBuffer opened;
    private ByteBuffer pending = ByteBuffer.allocate(BlockStreamFormat.HEADER_BYTES);
    private StreamHeader header;
    private long nextAllowedBlock;
    private long frames;
    private long dataBytes;
    private boolean ended;

    /** Finds the cloud key of a certificate id, or answers null when this side does not hold it. */
    @FunctionalInterface
    public interface KeyRing {
        io.failback.contracts.blockstream.CloudKey key(String certificateId);
    }

    /** A decoder that passes sealed blocks through without opening them (what a relay needs). */
    public BlockStreamDecoder(Handler handler) {
        this(handler, null);
    }

    /** A decoder that opens sealed blocks with {@code keys} (what the final receiver needs). */
    public BlockStreamDecoder(Handler handler, KeyRing keys) {
        this.handler = handler;
        this.keys = keys;
    }

    /** The certificate id a sealed stream named, null for a stream in the clear. */
    public String keyId() {
        return keyId;
    }

    public boolean ended() {
        return ended;
    }

    public StreamHeader header() {
        return header;
    }

    /** Consumes all of {@code chunk}. Throws {@link BlockStreamException} at the first violation. */
    public void feed(ByteBuffer chunk) {
        while (chunk.hasRemaining()) {
            if (ended) {
                throw new BlockStreamException("bytes after the END frame");
            }
            int take = Math.min(pending.remaining(), chunk.remaining());
            pending.put(chunk.slice(chunk.position(), take));
            chunk.position(chunk.position() + take);
            pending.flip();
            while (parseOne()) {
                // keep parsing what is buffered
            }
            pending.compact();
        }
    }

    /** @return whether one complete item was parsed from {@code pending} (in read mode) */
    private boolean parseOne() {
        if (header == null) {
            if (pending.remaining() < BlockStreamFormat.HEADER_BYTES) {
                return false;
            }
            parseHeader();
            return true;
        }
        if (ended || pending.remaining() < 13) {
            return false;
        }
        int start = pending.position();
        byte type = pending.get(start);
        long blockIndex = pending.getLong(start + 1);
        int length = pending.getInt(start + 9);
        int maxLength = switch (type) {
            case BlockStreamFormat.TYPE_DATA -> header.blockSize();
            case BlockStreamFormat.TYPE_ZEROS -> 4;
            case BlockStreamFormat.TYPE_KEY -> BlockStreamFormat.MAX_KEY_ID_BYTES;
            case BlockStreamFormat.TYPE_SEALED -> BlockSeal.sealedLength(header.blockSize());
            case BlockStreamFormat.TYPE_END -> BlockStreamFormat.END_PAYLOAD_BYTES;
            case BlockStreamFormat.TYPE_ERROR -> BlockStreamFormat.MAX_ERROR_MESSAGE_BYTES;
            default -> throw new BlockStreamException("unknown frame type 0x" + Integer.toHexString(type & 0xff)
                    + " after " + frames + " frames");
        };
        if (length < 0 || length > maxLength) {
            throw new BlockStreamException("frame of type " + type + " declares " + length + " payload bytes, at most "
                    + maxLength + " allowed");
        }
        int frameBytes = BlockStreamFormat.FRAME_OVERHEAD_BYTES + length;
        if (pending.capacity() < frameBytes) {
            grow(frameBytes);
            return false;
        }
        if (pending.remaining() < frameBytes) {
            return false;
        }
        crc.reset();
        crc.update(pending.slice(start, 13 + length));
        if ((int) crc.getValue() != pending.getInt(start + 13 + length)) {
            throw new BlockStreamException("checksum mismatch in the frame for block " + blockIndex);
        }
        ByteBuffer payload = pending.slice(start + 13, length);
        pending.position(start + frameBytes);
        if (sealedStream && keyId == null && type != BlockStreamFormat.TYPE_KEY && type != BlockStreamFormat.TYPE_ERROR) {
            throw new BlockStreamException("a sealed stream must name its key (KEY frame) before anything else");
        }
        switch (type) {
            case BlockStreamFormat.TYPE_KEY -> {
                if (!sealedStream || keyId != null || length == 0) {
                    throw new BlockStreamException("unexpected KEY frame");
                }
                keyId = StandardCharsets.UTF_8.decode(payload).toString();
                if (keys != null) {
                    io.failback.contracts.blockstream.CloudKey key = keys.key(keyId);
                    if (key == null) {
                        throw new BlockStreamException("the stream is sealed with the key of certificate " + keyId
                                + ", which is not installed here");
                    }
                    seal = new BlockSeal(key);
                    opened = ByteBuffer.allocate(header.blockSize());
                }
            }
            case BlockStreamFormat.TYPE_SEALED -> {
                if (!sealedStream || length != BlockSeal.sealedLength(header.blockSize())) {
                    throw new BlockStreamException("SEALED frame for block " + blockIndex + " in a stream in the clear, or of wrong length");
                }
                claim(blockIndex, 1);
                frames++;
                dataBytes += header.blockSize();
                if (seal == null) {
                    handler.sealed(blockIndex);
                } else {
                    seal.open(blockIndex, header.diskSizeBytes(), payload, opened.clear());
                    handler.data(blockIndex, opened.flip().asReadOnlyBuffer());
                }
            }
            case BlockStreamFormat.TYPE_DATA -> {
                if (sealedStream) {
                    throw new BlockStreamException("DATA frame for block " + blockIndex + " in a sealed stream");
                }
                if (length != header.blockSize()) {
                    throw new BlockStreamException("DATA frame for block " + blockIndex + " carries " + length
                            + " bytes, the block size is " + header.blockSize());
                }
                claim(blockIndex, 1);
                frames++;
                dataBytes += length;
                handler.data(blockIndex, payload.asReadOnlyBuffer());
            }
            case BlockStreamFormat.TYPE_ZEROS -> {
                int run = length == 4 ? payload.getInt(0) : -1;
                if (run <= 0) {
                    throw new BlockStreamException("ZEROS frame at block " + blockIndex + " has no valid run length");
                }
                claim(blockIndex, run);
                frames++;
                handler.zeros(blockIndex, run);
            }
            case BlockStreamFormat.TYPE_ERROR -> throw new BlockStreamException(
                    "the sender failed: " + StandardCharsets.UTF_8.decode(payload));
            default -> {
                if (length != BlockStreamFormat.END_PAYLOAD_BYTES || blockIndex != header.endBlock()
                        || payload.getLong(0) != frames || payload.getLong(8) != dataBytes) {
                    throw new BlockStreamException("END frame does not match what arrived: " + frames + " frames, "
                            + dataBytes + " data bytes");
                }
                ended = true;
                handler.end(frames, dataBytes);
            }
        }
        return true;
    }

    private void parseHeader() {
        int start = pending.position();
        crc.reset();
        crc.update(pending.slice(start, BlockStreamFormat.HEADER_BYTES - 4));
        if (pending.getInt(start) != BlockStreamFormat.MAGIC) {
            throw new BlockStreamException("not a block stream (bad magic)");
        }
        short version = pending.getShort(start + 4);
        if (version != BlockStreamFormat.VERSION) {
            throw new BlockStreamException("block stream version " + version + " is not supported (this reader speaks "
                    + BlockStreamFormat.VERSION + ")");
        }
        if ((int) crc.getValue() != pending.getInt(start + BlockStreamFormat.HEADER_BYTES - 4)) {
            throw new BlockStreamException("checksum mismatch in the stream header");
        }
        short flags = pending.getShort(start + 6);
        if ((flags & ~BlockStreamFormat.FLAG_SEALED) != 0) {
            throw new BlockStreamException("unknown stream flags 0x" + Integer.toHexString(flags & 0xffff));
        }
        sealedStream = (flags & BlockStreamFormat.FLAG_SEALED) != 0;
        header = new StreamHeader(pending.getInt(start + 8), pending.getLong(start + 12), pending.getLong(start + 20),
                pending.getLong(start + 28));
        pending.position(start + BlockStreamFormat.HEADER_BYTES);
        nextAllowedBlock = header.firstBlock();
        grow(BlockStreamFormat.FRAME_OVERHEAD_BYTES + header.blockSize());
        handler.header(header);
    }

    /** Blocks arrive in increasing order, each at most once, inside the declared range. */
    private void claim(long blockIndex, long count) {
        if (blockIndex < nextAllowedBlock || blockIndex + count > header.endBlock()) {
            throw new BlockStreamException("block " + blockIndex + " (+" + count + ") is out of order or outside ["
                    + header.firstBlock() + ", " + header.endBlock() + ")");
        }
        nextAllowedBlock = blockIndex + count;
    }

    /** Called with {@code pending} in read mode; keeps it in read mode. */
    private void grow(int capacity) {
        if (pending.capacity() >= capacity) {
            return;
        }
        ByteBuffer bigger = ByteBuffer.allocate(capacity);
        bigger.put(pending);
        pending = bigger.flip();
    }
}
