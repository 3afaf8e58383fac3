package io.failback.contracts.blockstream;

import static io.failback.contracts.blockstream.BlockStreamFormat.FRAME_HEAD_BYTES;
import static io.failback.contracts.blockstream.BlockStreamFormat.FRAME_OVERHEAD_BYTES;
import static io.failback.contracts.blockstream.BlockStreamFormat.PAGE_MASK_BYTES;
import static io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * Parses a {@link BlockStreamFormat} stream, version 1 or 2, fed in chunks of any size, verifying every checksum and
 * every rule of the format. A frame that lies whole inside the chunk being fed is handed on from there, without a
 * copy; only a frame that straddles two chunks is gathered into the decoder's own buffer, so it holds at most one
 * frame in memory. Not thread-safe.
 */
public final class BlockStreamDecoder {

    /**
     * Receives what the stream says, in order. A payload is only valid during the call: it may be a view of the chunk
     * being fed, or of the decoder's buffers.
     */
    public interface Handler {
        void header(StreamHeader header);

        /** A block's content: from a DATA frame (maybe COMPRESSED), or a SEALED one opened with the stream's key. */
        void data(long blockIndex, ByteBuffer payload);

        /**
         * Some pages of a block (version 2: PAGES, maybe COMPRESSED, or SEALED_PAGES opened with the stream's key): page
         * {@code i} of the block (bytes {@code i × 4096} to {@code (i + 1) × 4096}) is in {@code pages} when bit
         * {@code i} of {@code pageMask} is set, in page order, 4096 bytes each. The block's other pages on the target
         * must stay as they are. A receiver that asks for version 2 must implement this; the default refuses the
         * stream, which is right for a receiver that only ever asks for version 1.
         */
        default void pages(long blockIndex, long pageMask, ByteBuffer pages) {
            throw new BlockStreamException("a PAGES frame for block " + blockIndex + " reached a receiver that writes only "
                    + "whole blocks");
        }

        /** A SEALED or SEALED_PAGES frame passing through a decoder that holds no keys (a relay): verified, not opened. */
        default void sealed(long blockIndex) {
        }

        void zeros(long firstBlock, int runLength);

        void end(long frames, long dataBytes);
    }

    /** Finds the cloud key of a certificate id, or answers null when this side does not hold it. */
    @FunctionalInterface
    public interface KeyRing {
        CloudKey key(String certificateId);
    }

    /** Bounded: it never writes more than it is told the raw payload has, and rejects malformed input. */
    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();
    /** Bounded the same way ({@link ZstdBuffers#decompress}); a context per thread (native memory, reused). */
    private static final ThreadLocal<ZstdDecompressCtx> ZSTD = ThreadLocal.withInitial(ZstdDecompressCtx::new);

    private final Handler handler;
    private final KeyRing keys;
    private final CRC32C crc = new CRC32C();
    private boolean sealedStream;
    private BlockSeal seal;
    private String keyId;
    /** Plaintext of the last sealed frame opened. */
    private ByteBuffer opened;
    /** Raw payload of the last COMPRESSED frame. */
    private ByteBuffer inflated;
    /** A header or frame that straddles chunks, gathered from position 0 (write mode); empty between items. */
    private ByteBuffer pending = ByteBuffer.allocate(BlockStreamFormat.HEADER_BYTES);
    private StreamHeader header;
    private short version;
    private int pagesPerBlock;
    private long nextAllowedBlock;
    private long frames;
    private long dataBytes;
    private boolean ended;

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

    /** The stream's version (1 or 2), 0 before its header arrived. */
    public short version() {
        return version;
    }

    /** Consumes all of {@code chunk}. Throws {@link BlockStreamException} at the first violation. */
    public void feed(ByteBuffer chunk) {
        while (chunk.hasRemaining()) {
            if (ended) {
                throw new BlockStreamException("bytes after the END frame");
            }
            if (pending.position() == 0) {
                int size = itemBytes(chunk, chunk.position(), chunk.remaining());
                if (size > 0 && size <= chunk.remaining()) {
                    int at = chunk.position();
                    chunk.position(at + size);
                    parse(chunk.slice(at, size));
                    continue;
                }
            }
            // The item straddles chunks: gather it, first its head (to learn its size), then the rest.
            int size = itemBytes(pending, 0, pending.position());
            int want = size > 0 ? size : FRAME_HEAD_BYTES;
            if (pending.capacity() < want) {
                grow(want);
            }
            int n = Math.min(want - pending.position(), chunk.remaining());
            pending.put(pending.position(), chunk, chunk.position(), n);
            pending.position(pending.position() + n);
            chunk.position(chunk.position() + n);
            if (size > 0 && pending.position() == size) {
                parse(pending.slice(0, size));
                pending.clear();
            }
        }
    }

    /**
     * Bytes of the item (header or frame) starting at {@code at}, checked against the format before anything of it is
     * buffered; -1 while fewer than a frame head's bytes are {@code available}.
     */
    private int itemBytes(ByteBuffer buffer, int at, int available) {
        if (header == null) {
            return BlockStreamFormat.HEADER_BYTES;
        }
        if (available < FRAME_HEAD_BYTES) {
            return -1;
        }
        byte type = buffer.get(at);
        int length = buffer.getInt(at + 9);
        int maxLength = maxPayloadBytes(type);
        if (length < 0 || length > maxLength) {
            throw new BlockStreamException("frame of type " + type + " declares " + length + " payload bytes, at most "
                    + maxLength + " allowed");
        }
        return FRAME_OVERHEAD_BYTES + length;
    }

    private int maxPayloadBytes(byte type) {
        int blockSize = header.blockSize();
        boolean v2 = version == BlockStreamFormat.VERSION_2;
        return switch (type) {
            case BlockStreamFormat.TYPE_DATA -> blockSize;
            case BlockStreamFormat.TYPE_ZEROS -> 4;
            case BlockStreamFormat.TYPE_KEY -> BlockStreamFormat.MAX_KEY_ID_BYTES;
            case BlockStreamFormat.TYPE_SEALED -> BlockSeal.sealedLength(blockSize);
            case BlockStreamFormat.TYPE_END -> BlockStreamFormat.END_PAYLOAD_BYTES;
            case BlockStreamFormat.TYPE_ERROR -> BlockStreamFormat.MAX_ERROR_MESSAGE_BYTES;
            case BlockStreamFormat.TYPE_PAGES -> v2 ? PAGE_MASK_BYTES + blockSize : unknown(type);
            case BlockStreamFormat.TYPE_SEALED_PAGES -> v2 ? PAGE_MASK_BYTES + BlockSeal.sealedLength(blockSize) : unknown(type);
            // A compressed payload never needs to be longer than the raw one it replaces.
            case BlockStreamFormat.TYPE_COMPRESSED, BlockStreamFormat.TYPE_COMPRESSED_ZSTD -> v2 ? BlockStreamFormat.COMPRESSED_HEAD_BYTES + PAGE_MASK_BYTES + blockSize
                    : unknown(type);
            default -> unknown(type);
        };
    }

    private int unknown(byte type) {
        throw new BlockStreamException("unknown frame type 0x" + Integer.toHexString(type & 0xff) + " in a version "
                + version + " stream, after " + frames + " frames");
    }

    /** {@code item} holds exactly one header or frame, from position 0. */
    private void parse(ByteBuffer item) {
        if (header == null) {
            parseHeader(item);
            return;
        }
        byte type = item.get(0);
        long blockIndex = item.getLong(1);
        int length = item.getInt(9);
        crc.reset();
        crc.update(item.slice(0, FRAME_HEAD_BYTES + length));
        if ((int) crc.getValue() != item.getInt(FRAME_HEAD_BYTES + length)) {
            throw new BlockStreamException("checksum mismatch in the frame for block " + blockIndex);
        }
        ByteBuffer payload = item.slice(FRAME_HEAD_BYTES, length);
        if (sealedStream && keyId == null && type != BlockStreamFormat.TYPE_KEY && type != BlockStreamFormat.TYPE_ERROR) {
            throw new BlockStreamException("a sealed stream must name its key (KEY frame) before anything else");
        }
        switch (type) {
            case BlockStreamFormat.TYPE_KEY -> key(payload);
            case BlockStreamFormat.TYPE_SEALED -> sealedBlock(blockIndex, payload);
            case BlockStreamFormat.TYPE_SEALED_PAGES -> sealedPages(blockIndex, payload);
            case BlockStreamFormat.TYPE_DATA -> data(blockIndex, payload, "DATA");
            case BlockStreamFormat.TYPE_PAGES -> pages(blockIndex, payload, "PAGES");
            case BlockStreamFormat.TYPE_COMPRESSED -> compressed(blockIndex, payload, Compression.LZ4);
            case BlockStreamFormat.TYPE_COMPRESSED_ZSTD -> compressed(blockIndex, payload, Compression.ZSTD);
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
    }

    private void key(ByteBuffer payload) {
        if (!sealedStream || keyId != null || !payload.hasRemaining()) {
            throw new BlockStreamException("unexpected KEY frame");
        }
        keyId = StandardCharsets.UTF_8.decode(payload).toString();
        if (keys != null) {
            CloudKey key = keys.key(keyId);
            if (key == null) {
                throw new BlockStreamException("the stream is sealed with the key of certificate " + keyId
                        + ", which is not installed here");
            }
            seal = new BlockSeal(key);
            opened = ByteBuffer.allocate(header.blockSize());
        }
    }

    private void sealedBlock(long blockIndex, ByteBuffer payload) {
        if (!sealedStream || payload.remaining() != BlockSeal.sealedLength(header.blockSize())) {
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

    private void sealedPages(long blockIndex, ByteBuffer payload) {
        if (!sealedStream || payload.remaining() < PAGE_MASK_BYTES) {
            throw new BlockStreamException("SEALED_PAGES frame for block " + blockIndex + " in a stream in the clear, or too short");
        }
        long pageMask = payload.getLong(0);
        int pagesBytes = checkedPagesBytes(blockIndex, pageMask, "SEALED_PAGES");
        if (payload.remaining() != PAGE_MASK_BYTES + BlockSeal.sealedLength(pagesBytes)) {
            throw new BlockStreamException("SEALED_PAGES frame for block " + blockIndex + " carries " + payload.remaining()
                    + " bytes, its mask names " + pagesBytes / PAGE_SIZE + " pages");
        }
        claim(blockIndex, 1);
        frames++;
        dataBytes += pagesBytes;
        if (seal == null) {
            handler.sealed(blockIndex);
        } else {
            seal.openPages(blockIndex, header.diskSizeBytes(), pageMask,
                    payload.slice(PAGE_MASK_BYTES, payload.remaining() - PAGE_MASK_BYTES), opened.clear());
            handler.pages(blockIndex, pageMask, opened.flip().asReadOnlyBuffer());
        }
    }

    private void data(long blockIndex, ByteBuffer payload, String frame) {
        if (sealedStream) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " in a sealed stream");
        }
        if (payload.remaining() != header.blockSize()) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " carries " + payload.remaining()
                    + " bytes, the block size is " + header.blockSize());
        }
        claim(blockIndex, 1);
        frames++;
        dataBytes += header.blockSize();
        handler.data(blockIndex, payload.asReadOnlyBuffer());
    }

    private void pages(long blockIndex, ByteBuffer payload, String frame) {
        if (sealedStream) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " in a sealed stream");
        }
        if (payload.remaining() < PAGE_MASK_BYTES) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " has no page mask");
        }
        long pageMask = payload.getLong(0);
        int pagesBytes = checkedPagesBytes(blockIndex, pageMask, frame);
        if (payload.remaining() != PAGE_MASK_BYTES + pagesBytes) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " carries " + payload.remaining()
                    + " bytes, its mask names " + pagesBytes / PAGE_SIZE + " pages");
        }
        claim(blockIndex, 1);
        frames++;
        dataBytes += pagesBytes;
        handler.pages(blockIndex, pageMask, payload.slice(PAGE_MASK_BYTES, pagesBytes).asReadOnlyBuffer());
    }

    /** A mask names at least one page, and only pages the block has. */
    private int checkedPagesBytes(long blockIndex, long pageMask, String frame) {
        if (pageMask == 0 || (pagesPerBlock < 64 && pageMask >>> pagesPerBlock != 0)) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " has page mask 0x"
                    + Long.toHexString(pageMask) + ": no page, or a page beyond the block's " + pagesPerBlock);
        }
        return BlockStreamFormat.pagesBytes(pageMask);
    }

    private void compressed(long blockIndex, ByteBuffer payload, Compression codec) {
        String frame = codec == Compression.LZ4 ? "COMPRESSED" : "COMPRESSED_ZSTD";
        if (sealedStream) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " in a sealed stream");
        }
        if (payload.remaining() <= BlockStreamFormat.COMPRESSED_HEAD_BYTES) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " is too short");
        }
        byte innerType = payload.get(0);
        int rawLength = payload.getInt(1);
        int blockSize = header.blockSize();
        boolean plausible = switch (innerType) {
            case BlockStreamFormat.TYPE_DATA -> rawLength == blockSize;
            case BlockStreamFormat.TYPE_PAGES -> rawLength >= PAGE_MASK_BYTES + PAGE_SIZE
                    && rawLength <= PAGE_MASK_BYTES + blockSize && (rawLength - PAGE_MASK_BYTES) % PAGE_SIZE == 0;
            default -> false;
        };
        if (!plausible) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " declares inner type " + innerType
                    + " of " + rawLength + " bytes: only a DATA or PAGES payload of a block of " + blockSize + " bytes");
        }
        if (inflated == null) {
            // Direct: zstd-jni writes into direct memory without a copy, and LZ4 takes either.
            inflated = ByteBuffer.allocateDirect(PAGE_MASK_BYTES + blockSize);
        }
        int compressedLength = payload.remaining() - BlockStreamFormat.COMPRESSED_HEAD_BYTES;
        int length;
        try {
            length = codec == Compression.LZ4
                    ? LZ4.decompress(payload, BlockStreamFormat.COMPRESSED_HEAD_BYTES, compressedLength, inflated, 0, rawLength)
                    : ZstdBuffers.decompress(ZSTD.get(), payload, BlockStreamFormat.COMPRESSED_HEAD_BYTES, compressedLength,
                            inflated, rawLength);
        } catch (LZ4Exception | ZstdException e) {
            length = -1;
        }
        if (length != rawLength) {
            throw new BlockStreamException(frame + " frame for block " + blockIndex + " does not decompress to the "
                    + rawLength + " bytes it declares");
        }
        ByteBuffer raw = inflated.slice(0, rawLength);
        if (innerType == BlockStreamFormat.TYPE_DATA) {
            data(blockIndex, raw, frame + " DATA");
        } else {
            pages(blockIndex, raw, frame + " PAGES");
        }
    }

    private void parseHeader(ByteBuffer item) {
        crc.reset();
        crc.update(item.slice(0, BlockStreamFormat.HEADER_BYTES - 4));
        if (item.getInt(0) != BlockStreamFormat.MAGIC) {
            throw new BlockStreamException("not a block stream (bad magic)");
        }
        short streamVersion = item.getShort(4);
        if (streamVersion != BlockStreamFormat.VERSION && streamVersion != BlockStreamFormat.VERSION_2) {
            throw new BlockStreamException("block stream version " + streamVersion + " is not supported (this reader speaks "
                    + BlockStreamFormat.VERSION + " and " + BlockStreamFormat.VERSION_2 + ")");
        }
        if ((int) crc.getValue() != item.getInt(BlockStreamFormat.HEADER_BYTES - 4)) {
            throw new BlockStreamException("checksum mismatch in the stream header");
        }
        short flags = item.getShort(6);
        if ((flags & ~BlockStreamFormat.FLAG_SEALED) != 0) {
            throw new BlockStreamException("unknown stream flags 0x" + Integer.toHexString(flags & 0xffff));
        }
        StreamHeader streamHeader = new StreamHeader(item.getInt(8), item.getLong(12), item.getLong(20), item.getLong(28));
        if (streamVersion == BlockStreamFormat.VERSION_2 && !BlockStreamFormat.version2Allows(streamHeader.blockSize())) {
            throw new BlockStreamException("a version 2 stream cannot have blocks of " + streamHeader.blockSize()
                    + " bytes: 1 to 64 pages of " + PAGE_SIZE);
        }
        sealedStream = (flags & BlockStreamFormat.FLAG_SEALED) != 0;
        version = streamVersion;
        header = streamHeader;
        pagesPerBlock = header.blockSize() / PAGE_SIZE;
        nextAllowedBlock = header.firstBlock();
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

    /** Room for the largest frame the stream may have, keeping what {@code pending} (write mode) holds. */
    private void grow(int atLeast) {
        int capacity = Math.max(atLeast, FRAME_OVERHEAD_BYTES + maxPayloadBytes(BlockStreamFormat.TYPE_SEALED));
        if (version == BlockStreamFormat.VERSION_2) {
            capacity = Math.max(capacity, FRAME_OVERHEAD_BYTES + maxPayloadBytes(BlockStreamFormat.TYPE_SEALED_PAGES));
        }
        ByteBuffer bigger = ByteBuffer.allocate(capacity);
        bigger.put(pending.flip());
        pending = bigger;
    }
}
