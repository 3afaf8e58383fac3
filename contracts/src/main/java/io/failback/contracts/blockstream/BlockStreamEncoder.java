package io.failback.contracts.blockstream;

import static io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;

import io.failback.contracts.site.PageMasks;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Writes the parts of a {@link BlockStreamFormat} stream into a caller's buffer, counting what END must report. Not
 * thread-safe; cheap to create. It writes version 1 unless {@link #header(ByteBuffer, StreamHeader, short, short)}
 * asks for version 2; frames only version 2 has (PAGES, SEALED_PAGES, COMPRESSED) are refused in a version 1 stream.
 * <p>
 * Two ways to write a block frame: whole, into one buffer ({@link #data}, {@link #pages}, ...), or without copying
 * its payload: write the head ({@link #dataHead}, {@link #pagesHead}) into a small buffer, send the payload from where
 * it lies, then the checksum {@link #trailer} or {@link #pagesTrailer} computes over head and payload. These are
 * instance methods, not static ones, because END must count every frame written. A COMPRESSED frame is always written
 * whole: LZ4 writes its output straight into the frame, so there is nothing to save.
 */
public final class BlockStreamEncoder {
    private final CRC32C crc = new CRC32C();
    private short version = BlockStreamFormat.VERSION;
    private int blockSize;
    private long frames;
    private long dataBytes;

    /** Bytes of a DATA frame of a block of this size (the most a version 1 clear block frame takes). */
    public static int dataFrameBytes(int blockSize) {
        return BlockStreamFormat.FRAME_OVERHEAD_BYTES + blockSize;
    }

    /** Most bytes any one block frame of a stream with this block size takes, sealed or not, version 1 or 2. */
    public static int maxBlockFrameBytes(int blockSize) {
        return BlockStreamFormat.FRAME_OVERHEAD_BYTES + BlockStreamFormat.PAGE_MASK_BYTES + BlockSeal.sealedLength(blockSize);
    }

    /** A version 1 header in the clear. */
    public void header(ByteBuffer out, StreamHeader header) {
        header(out, header, (short) 0);
    }

    /** A version 1 header. */
    public void header(ByteBuffer out, StreamHeader header, short flags) {
        header(out, header, flags, BlockStreamFormat.VERSION);
    }

    /**
     * A header of {@code version} (1, or 2 when the reader asked for it).
     *
     * @throws IllegalArgumentException for version 2 with a block size that is not 1..64 whole pages
     */
    public void header(ByteBuffer out, StreamHeader header, short flags, short version) {
        if (version != BlockStreamFormat.VERSION && version != BlockStreamFormat.VERSION_2) {
            throw new IllegalArgumentException("no block stream version " + version);
        }
        if (version == BlockStreamFormat.VERSION_2 && !BlockStreamFormat.version2Allows(header.blockSize())) {
            throw new IllegalArgumentException("a version 2 stream cannot have blocks of " + header.blockSize() + " bytes");
        }
        this.version = version;
        this.blockSize = header.blockSize();
        int start = out.position();
        out.putInt(BlockStreamFormat.MAGIC)
                .putShort(version)
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

    /**
     * Appends {@code block}'s remaining bytes as a COMPRESSED frame when compressing them pays, else as a DATA frame;
     * consumes them. Needs no more room in {@code out} than the DATA frame. A null compression means DATA; the caller
     * decides, with {@link FrameCompression#probe}, which payloads are worth the attempt.
     */
    public void data(ByteBuffer out, long blockIndex, ByteBuffer block, FrameCompression compression) {
        if (compression != null) {
            int length = block.remaining();
            if (compressed(out, blockIndex, BlockStreamFormat.TYPE_DATA, block, compression)) {
                block.position(block.limit());
                frames++;
                dataBytes += length;
                return;
            }
        }
        data(out, blockIndex, block);
    }

    /**
     * Appends a PAGES frame with the pages {@code pageMask} names of {@code block} (the whole block: blockSize bytes
     * from its position, which does not move). Version 2 only.
     */
    public void pages(ByteBuffer out, long blockIndex, long pageMask, ByteBuffer block) {
        int start = out.position();
        pagesHead(out, blockIndex, pageMask);
        int[] runs = pageRuns(pageMask);
        for (int i = 0; i < runs.length; i += 2) {
            out.put(block.slice(block.position() + runs[i] * PAGE_SIZE, runs[i + 1] * PAGE_SIZE));
        }
        out.putInt(checksum(out, start));
    }

    /**
     * As {@link #pages(ByteBuffer, long, long, ByteBuffer)}, as a COMPRESSED frame when compressing the pages pays.
     * Needs no more room in {@code out} than the PAGES frame; given room for twice that, it gathers the pages to compress
     * there instead of in a buffer of its own.
     */
    public void pages(ByteBuffer out, long blockIndex, long pageMask, ByteBuffer block, FrameCompression compression) {
        if (compression != null) {
            checkPages(blockIndex, pageMask);
            // The raw payload is mask | pages: gather it past where the frame goes (when there is room), then compress
            // it from there into place.
            int start = out.position();
            int rawLength = BlockStreamFormat.PAGE_MASK_BYTES + BlockStreamFormat.pagesBytes(pageMask);
            int frameBytes = BlockStreamFormat.FRAME_OVERHEAD_BYTES + rawLength;
            ByteBuffer raw = out.remaining() >= frameBytes + rawLength ? out.slice(start + frameBytes, rawLength)
                    : ByteBuffer.allocate(rawLength);
            raw.putLong(pageMask);
            int[] runs = pageRuns(pageMask);
            for (int i = 0; i < runs.length; i += 2) {
                raw.put(block.slice(block.position() + runs[i] * PAGE_SIZE, runs[i + 1] * PAGE_SIZE));
            }
            if (compressed(out, blockIndex, BlockStreamFormat.TYPE_PAGES, raw.flip(), compression)) {
                frames++;
                dataBytes += BlockStreamFormat.pagesBytes(pageMask);
                return;
            }
        }
        pages(out, blockIndex, pageMask, block);
    }

    /**
     * A COMPRESSED (or COMPRESSED_ZSTD, after the codec) frame of {@code raw}'s remaining bytes (not consumed), if
     * that pays and fits in {@code out}; otherwise {@code out}'s position is where it was.
     */
    private boolean compressed(ByteBuffer out, long blockIndex, byte innerType, ByteBuffer raw, FrameCompression compression) {
        requireVersion2("COMPRESSED");
        int start = out.position();
        int rawLength = raw.remaining();
        // Room for the raw frame only: a compressed frame must fit where the uncompressed one would.
        int room = Math.min(out.remaining(), BlockStreamFormat.FRAME_OVERHEAD_BYTES + rawLength)
                - BlockStreamFormat.FRAME_OVERHEAD_BYTES - BlockStreamFormat.COMPRESSED_HEAD_BYTES;
        if (room <= 0) {
            return false;
        }
        out.put(compression.codec().frameType()).putLong(blockIndex).putInt(0).put(innerType).putInt(rawLength);
        int length = compression.compress(raw, out.slice(out.position(), room));
        if (length < 0) {
            out.position(start);
            return false;
        }
        out.putInt(start + 9, BlockStreamFormat.COMPRESSED_HEAD_BYTES + length);
        out.position(out.position() + length);
        out.putInt(checksum(out, start));
        return true;
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

    /**
     * Appends a SEALED_PAGES frame for the pages {@code pageMask} names of {@code block} (the whole block from its
     * position, which does not move). Version 2 only.
     */
    public void sealedPages(ByteBuffer out, long blockIndex, long diskSizeBytes, long pageMask, ByteBuffer block,
            BlockSeal seal) {
        requireVersion2("SEALED_PAGES");
        checkPages(blockIndex, pageMask);
        int start = out.position();
        int pagesBytes = BlockStreamFormat.pagesBytes(pageMask);
        out.put(BlockStreamFormat.TYPE_SEALED_PAGES).putLong(blockIndex)
                .putInt(BlockStreamFormat.PAGE_MASK_BYTES + BlockSeal.sealedLength(pagesBytes)).putLong(pageMask);
        seal.sealPages(blockIndex, diskSizeBytes, pageMask, block, out);
        out.putInt(checksum(out, start));
        frames++;
        dataBytes += pagesBytes;
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

    // ---- Frames whose payload is sent from where it lies ----

    /**
     * Writes the 13-byte head of a DATA frame whose payload (a whole block, {@code length} bytes) the caller sends
     * itself, then the {@link #trailer}. Counts the frame for END.
     */
    public void dataHead(ByteBuffer out, long blockIndex, int length) {
        out.put(BlockStreamFormat.TYPE_DATA).putLong(blockIndex).putInt(length);
        frames++;
        dataBytes += length;
    }

    /**
     * Writes the head of a PAGES frame and its page mask (21 bytes); the caller sends the pages, in page order (the
     * runs {@link #pageRuns} names, from the block), then the {@link #pagesTrailer}. Counts the frame for END. Version
     * 2 only.
     */
    public void pagesHead(ByteBuffer out, long blockIndex, long pageMask) {
        requireVersion2("PAGES");
        checkPages(blockIndex, pageMask);
        int pagesBytes = BlockStreamFormat.pagesBytes(pageMask);
        out.put(BlockStreamFormat.TYPE_PAGES).putLong(blockIndex).putInt(BlockStreamFormat.PAGE_MASK_BYTES + pagesBytes)
                .putLong(pageMask);
        frames++;
        dataBytes += pagesBytes;
    }

    /**
     * The CRC32C trailer (to send as a big-endian u32) of a frame: over {@code head}'s remaining bytes, then
     * {@code payload}'s. Moves neither buffer's position.
     */
    public int trailer(ByteBuffer head, ByteBuffer payload) {
        crc.reset();
        crc.update(head.duplicate());
        crc.update(payload.duplicate());
        return (int) crc.getValue();
    }

    /**
     * The CRC32C trailer of a PAGES frame: over {@code head}'s remaining bytes (as {@link #pagesHead} wrote them, mask
     * included), then the pages of {@code block} (the whole block from its position) the mask names. Moves neither
     * buffer's position.
     */
    public int pagesTrailer(ByteBuffer head, long pageMask, ByteBuffer block) {
        crc.reset();
        crc.update(head.duplicate());
        int[] runs = pageRuns(pageMask);
        for (int i = 0; i < runs.length; i += 2) {
            crc.update(block.slice(block.position() + runs[i] * PAGE_SIZE, runs[i + 1] * PAGE_SIZE));
        }
        return (int) crc.getValue();
    }

    /**
     * The runs of adjacent pages a mask names, in page order: {@code [firstPage0, pageCount0, firstPage1, ...]}. What a
     * PAGES payload carries after its mask, as slices of the block.
     */
    public static int[] pageRuns(long pageMask) {
        int[] runs = new int[2 * Long.bitCount(pageMask)];
        int n = 0;
        long rest = pageMask;
        while (rest != 0) {
            int first = Long.numberOfTrailingZeros(rest);
            int count = Long.numberOfTrailingZeros(~(rest >>> first));
            runs[n++] = first;
            runs[n++] = count;
            rest &= ~PageMasks.run(first, count);
        }
        return n == runs.length ? runs : java.util.Arrays.copyOf(runs, n);
    }

    private void checkPages(long blockIndex, long pageMask) {
        int pages = blockSize / PAGE_SIZE;
        if (pageMask == 0 || (pages < 64 && pageMask >>> pages != 0)) {
            throw new IllegalArgumentException("page mask " + Long.toHexString(pageMask) + " of block " + blockIndex
                    + " names no page or a page beyond the block's " + pages);
        }
    }

    private void requireVersion2(String frameType) {
        if (version != BlockStreamFormat.VERSION_2) {
            throw new IllegalStateException(frameType + " frames exist only in a version 2 stream");
        }
    }

    private int checksum(ByteBuffer out, int start) {
        crc.reset();
        crc.update(out.duplicate().limit(out.position()).position(start));
        return (int) crc.getValue();
    }
}
