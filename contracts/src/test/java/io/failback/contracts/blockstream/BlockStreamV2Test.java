package io.failback.contracts.blockstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Factory;
import com.github.luben.zstd.Zstd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Version 2: PAGES, SEALED_PAGES and COMPRESSED frames, and the rules the decoder holds them to. */
class BlockStreamV2Test {
    private static final int BLOCK = 64 * 1024;
    private static final int PAGE = BlockStreamFormat.PAGE_SIZE;
    private static final CloudKey KEY = CloudKey.generate();

    /** A disk the handler writes into, as a receiver would: whole blocks, or only the pages a frame carries. */
    private static final class Disk implements BlockStreamDecoder.Handler {
        final byte[] bytes;
        long endFrames = -1;
        long endDataBytes = -1;
        int sealedPassedThrough;
        int directPayloads;

        Disk(byte[] initial) {
            bytes = initial.clone();
        }

        @Override
        public void header(StreamHeader header) {
            assertEquals(bytes.length, header.diskSizeBytes());
        }

        @Override
        public void data(long blockIndex, ByteBuffer payload) {
            if (payload.isDirect()) {
                directPayloads++;
            }
            assertEquals(BLOCK, payload.remaining());
            payload.get(bytes, (int) blockIndex * BLOCK, BLOCK);
        }

        @Override
        public void pages(long blockIndex, long pageMask, ByteBuffer pages) {
            if (pages.isDirect()) {
                directPayloads++;
            }
            assertEquals(Long.bitCount(pageMask) * PAGE, pages.remaining());
            for (int page = 0; page < 64; page++) {
                if ((pageMask >>> page & 1) != 0) {
                    pages.get(bytes, (int) blockIndex * BLOCK + page * PAGE, PAGE);
                }
            }
        }

        @Override
        public void sealed(long blockIndex) {
            sealedPassedThrough++;
        }

        @Override
        public void zeros(long firstBlock, int runLength) {
            Arrays.fill(bytes, (int) firstBlock * BLOCK, (int) (firstBlock + runLength) * BLOCK, (byte) 0);
        }

        @Override
        public void end(long frames, long dataBytes) {
            endFrames = frames;
            endDataBytes = dataBytes;
        }
    }

    private static final String[] WORDS = ("replica failback recovery point block disk page write snapshot tracking "
            + "vault fabric protected item the of and to in is for sync host azure hyper volume sector journal").split(" ");

    /** Text-like content: words of a small vocabulary, what LZ4 compresses to about a third. */
    static byte[] text(Random random, int length) {
        StringBuilder text = new StringBuilder(length + 16);
        while (text.length() < length) {
            text.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(12) == 0 ? '\n' : ' ');
        }
        return Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), length);
    }

    static byte[] random(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** What one block of the test stream carries. */
    private record Planned(long index, char kind, long pageMask) {
    }

    /**
     * A version 2 stream over a disk of {@code blocks} blocks: block i gets a DATA, PAGES or ZEROS frame (or nothing),
     * with random or text-like content; answers the stream and fills {@code expected} with what the target must hold
     * after it, starting from {@code initial}.
     */
    private static ByteBuffer mixedStream(Random random, byte[] initial, byte[] expected, FrameCompression compression) {
        return mixedStream(random, initial, expected, compression, false);
    }

    /** As above; with {@code direct} the blocks and the stream are in direct memory, as a site's sender has them. */
    private static ByteBuffer mixedStream(Random random, byte[] initial, byte[] expected, FrameCompression compression,
            boolean direct) {
        int blocks = initial.length / BLOCK;
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        int capacity = blocks * (BLOCK + 64) + 1024;
        ByteBuffer out = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
        encoder.header(out, new StreamHeader(BLOCK, initial.length, 0, blocks), (short) 0, BlockStreamFormat.VERSION_2);
        System.arraycopy(initial, 0, expected, 0, initial.length);
        for (int i = 0; i < blocks; i++) {
            byte[] content = random.nextBoolean() ? text(random, BLOCK) : random(random, BLOCK);
            ByteBuffer block = direct ? ByteBuffer.allocateDirect(BLOCK).put(content).flip() : ByteBuffer.wrap(content);
            switch (random.nextInt(5)) {
                case 0 -> {
                    encoder.data(out, i, block, compression);
                    System.arraycopy(content, 0, expected, i * BLOCK, BLOCK);
                }
                case 1, 2 -> {
                    long mask = random.nextInt(4) == 0 ? 0xFFFFL : random.nextLong() & 0xFFFFL;
                    mask = mask == 0 ? 1L << 15 : mask;
                    encoder.pages(out, i, mask, block, compression);
                    for (int page = 0; page < 16; page++) {
                        if ((mask >>> page & 1) != 0) {
                            System.arraycopy(content, page * PAGE, expected, i * BLOCK + page * PAGE, PAGE);
                        }
                    }
                }
                case 3 -> {
                    encoder.zeros(out, i, 1);
                    Arrays.fill(expected, i * BLOCK, (i + 1) * BLOCK, (byte) 0);
                }
                default -> {
                    // not in the stream: the target keeps the block
                }
            }
        }
        encoder.end(out, blocks);
        return out.flip();
    }

    private static void feedInChunks(BlockStreamDecoder decoder, ByteBuffer stream, int chunk, Random sizes) {
        ByteBuffer input = stream.duplicate();
        while (input.hasRemaining()) {
            int size = chunk > 0 ? chunk : 1 + sizes.nextInt(200_000);
            int n = Math.min(size, input.remaining());
            decoder.feed(input.slice(input.position(), n));
            input.position(input.position() + n);
        }
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aMixedVersion2StreamRebuildsTheDiskWhateverTheChunking(Compression codec) throws Exception {
        // In heap buffers, and in direct memory as the sites have it: blocks read and frames written there, chunks
        // arriving there (slices of a direct stream are direct).
        for (boolean direct : new boolean[] {false, true}) {
            Random random = new Random(2026);
            byte[] initial = random(random, 24 * BLOCK);
            byte[] expected = new byte[initial.length];
            FrameCompression compression = new FrameCompression(codec);
            ByteBuffer stream = mixedStream(random, initial, expected, compression, direct);
            assertTrue(compression.hits() > 0, "some text-like payloads travel compressed");
            assertTrue(compression.hits() < compression.attempted(), "random payloads do not");

            for (int chunk : new int[] {1, 7, 13, 17, 4096, BLOCK + 17, 1 << 20, 0}) {
                Disk disk = new Disk(initial);
                BlockStreamDecoder decoder = new BlockStreamDecoder(disk);
                feedInChunks(decoder, stream, chunk, new Random(chunk));
                assertTrue(decoder.ended(), "chunk size " + chunk);
                assertEquals(BlockStreamFormat.VERSION_2, decoder.version());
                assertArrayEquals(sha256(expected), sha256(disk.bytes), "direct " + direct + ", chunk size " + chunk);
            }
        }
    }

    @Test
    void zstdShrinksLogLikeTextMoreThanLz4() {
        byte[] text = text(new Random(11), 16 * BLOCK);
        long[] compressed = new long[Compression.values().length];
        for (Compression codec : Compression.values()) {
            FrameCompression compression = new FrameCompression(codec);
            ByteBuffer out = ByteBuffer.allocate(2 * BLOCK);
            for (int b = 0; b < 16; b++) {
                assertTrue(compression.compress(ByteBuffer.wrap(text, b * BLOCK, BLOCK), out.clear()) > 0, codec + " block " + b);
            }
            compressed[codec.ordinal()] = compression.compressedBytes();
        }
        assertTrue(compressed[Compression.ZSTD.ordinal()] * 5 < compressed[Compression.LZ4.ordinal()] * 4,
                "zstd " + compressed[Compression.ZSTD.ordinal()] + " bytes against lz4's " + compressed[Compression.LZ4.ordinal()]);
    }

    @Test
    void endCountsOneFramePerBlockFrameAndTheBlockContentDelivered() {
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(8 * BLOCK);
        encoder.header(out, new StreamHeader(BLOCK, 8L * BLOCK, 0, 8), (short) 0, BlockStreamFormat.VERSION_2);
        FrameCompression compression = new FrameCompression(Compression.LZ4);
        byte[] text = text(new Random(1), BLOCK);
        encoder.data(out, 0, ByteBuffer.wrap(text), compression); // COMPRESSED DATA: 65536 bytes
        encoder.pages(out, 1, 0b101, ByteBuffer.wrap(text), compression); // COMPRESSED PAGES: 8192 bytes
        encoder.pages(out, 2, 0b1, ByteBuffer.wrap(random(new Random(2), BLOCK))); // PAGES: 4096 bytes
        encoder.zeros(out, 3, 2);
        encoder.data(out, 5, ByteBuffer.wrap(random(new Random(3), BLOCK))); // DATA: 65536 bytes
        encoder.end(out, 8);
        assertEquals(2, compression.hits());

        Disk disk = new Disk(new byte[8 * BLOCK]);
        new BlockStreamDecoder(disk).feed(out.flip());
        assertEquals(5, disk.endFrames);
        assertEquals(2L * BLOCK + 3 * PAGE, disk.endDataBytes);
    }

    @Test
    void aVersion1StreamIsStillReadAndAWriterWritesVersion1UnlessAsked() throws Exception {
        Random random = new Random(11);
        byte[] content = random(random, 4 * BLOCK);
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(5 * BLOCK);
        encoder.header(out, new StreamHeader(BLOCK, content.length, 0, 4));
        assertEquals(BlockStreamFormat.VERSION, out.getShort(4));
        for (int i = 0; i < 4; i++) {
            encoder.data(out, i, ByteBuffer.wrap(content, i * BLOCK, BLOCK));
        }
        encoder.end(out, 4);
        assertThrows(IllegalStateException.class, () -> new BlockStreamEncoder().pages(ByteBuffer.allocate(BLOCK * 2), 0, 1,
                ByteBuffer.allocate(BLOCK)), "no PAGES before a version 2 header");

        Disk disk = new Disk(new byte[content.length]);
        BlockStreamDecoder decoder = new BlockStreamDecoder(disk);
        feedInChunks(decoder, out.flip(), 1000, null);
        assertTrue(decoder.ended());
        assertEquals(BlockStreamFormat.VERSION, decoder.version());
        assertArrayEquals(sha256(content), sha256(disk.bytes));
    }

    @Test
    void aFrameWholeInsideTheFedChunkIsHandedOnWithoutACopy() {
        Random random = new Random(5);
        byte[] initial = new byte[6 * BLOCK];
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer heap = ByteBuffer.allocate(8 * BLOCK);
        encoder.header(heap, new StreamHeader(BLOCK, initial.length, 0, 6), (short) 0, BlockStreamFormat.VERSION_2);
        encoder.data(heap, 0, ByteBuffer.wrap(random(random, BLOCK)));
        encoder.pages(heap, 1, 0xF0F0L, ByteBuffer.wrap(random(random, BLOCK)));
        encoder.data(heap, 2, ByteBuffer.wrap(random(random, BLOCK)));
        encoder.end(heap, 6);
        heap.flip();
        // A direct buffer, as the network hands it: a payload the handler sees as direct was not copied into the
        // decoder's (heap) buffer.
        ByteBuffer direct = ByteBuffer.allocateDirect(heap.remaining()).put(heap.duplicate()).flip();
        Disk whole = new Disk(initial);
        new BlockStreamDecoder(whole).feed(direct.duplicate());
        assertEquals(3, whole.directPayloads);

        Disk split = new Disk(initial);
        BlockStreamDecoder decoder = new BlockStreamDecoder(split);
        int firstFrameEnd = BlockStreamFormat.HEADER_BYTES + BlockStreamFormat.FRAME_OVERHEAD_BYTES + BLOCK;
        decoder.feed(direct.slice(0, firstFrameEnd + 100)); // the second frame straddles the two chunks
        decoder.feed(direct.slice(firstFrameEnd + 100, direct.remaining() - firstFrameEnd - 100));
        assertTrue(decoder.ended());
        assertEquals(2, split.directPayloads, "only the straddling frame was gathered");
        assertArrayEquals(whole.bytes, split.bytes);
    }

    @Test
    void framesWrittenFromWhereTheirPayloadLiesMatchWholeFrames() throws Exception {
        Random random = new Random(8);
        byte[] a = random(random, BLOCK);
        byte[] b = random(random, BLOCK);
        StreamHeader header = new StreamHeader(BLOCK, 4L * BLOCK, 0, 4);

        BlockStreamEncoder whole = new BlockStreamEncoder();
        ByteBuffer expected = ByteBuffer.allocate(4 * BLOCK);
        whole.header(expected, header, (short) 0, BlockStreamFormat.VERSION_2);
        whole.data(expected, 0, ByteBuffer.wrap(a));
        whole.pages(expected, 2, 0x8001L, ByteBuffer.wrap(b));
        whole.end(expected, 4);

        BlockStreamEncoder pieces = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(4 * BLOCK);
        pieces.header(out, header, (short) 0, BlockStreamFormat.VERSION_2);
        ByteBuffer head = ByteBuffer.allocate(32);
        pieces.dataHead(head, 0, BLOCK);
        head.flip();
        int crc = pieces.trailer(head, ByteBuffer.wrap(a));
        out.put(head).put(a).putInt(crc);
        head.clear();
        pieces.pagesHead(head, 2, 0x8001L);
        head.flip();
        crc = pieces.pagesTrailer(head, 0x8001L, ByteBuffer.wrap(b));
        out.put(head);
        int[] runs = BlockStreamEncoder.pageRuns(0x8001L);
        assertArrayEquals(new int[] {0, 1, 15, 1}, runs);
        for (int i = 0; i < runs.length; i += 2) {
            out.put(b, runs[i] * PAGE, runs[i + 1] * PAGE);
        }
        out.putInt(crc);
        pieces.end(out, 4);
        assertEquals(expected.flip(), out.flip());
    }

    @Test
    void pageRunsNameEveryRunOfAdjacentPages() {
        assertArrayEquals(new int[] {0, 64}, BlockStreamEncoder.pageRuns(-1L));
        assertArrayEquals(new int[] {63, 1}, BlockStreamEncoder.pageRuns(Long.MIN_VALUE));
        assertArrayEquals(new int[] {1, 2, 4, 1, 8, 3}, BlockStreamEncoder.pageRuns(0b111_0001_0110L));
        assertArrayEquals(new int[] {}, BlockStreamEncoder.pageRuns(0));
    }

    @Test
    void theRelayScannerCountsVersion2FramesWhateverTheChunking() {
        Random random = new Random(3);
        byte[] initial = new byte[20 * BLOCK];
        byte[] expected = new byte[initial.length];
        ByteBuffer stream = mixedStream(random, initial, expected, new FrameCompression(Compression.LZ4));
        CountingHandler counting = new CountingHandler();
        new BlockStreamDecoder(counting).feed(stream.duplicate());
        long covered = counting.covered;
        assertTrue(covered > 0);
        for (int chunk : new int[] {1, 13, 17, 4113, 1 << 20}) {
            BlockStreamScanner scanner = new BlockStreamScanner();
            ByteBuffer input = stream.duplicate();
            while (input.hasRemaining()) {
                int n = Math.min(chunk, input.remaining());
                scanner.scan(input.slice(input.position(), n));
                input.position(input.position() + n);
            }
            assertEquals(covered, scanner.blocksCovered(), "chunk size " + chunk);
            assertEquals(counting.coveredBytes, scanner.bytesCovered(), "pages count only their bytes; chunk size " + chunk);
            assertEquals(BlockStreamFormat.VERSION_2, scanner.version());
        }
    }

    /** Counts the blocks a stream covers, as the scanner should. */
    private static final class CountingHandler implements BlockStreamDecoder.Handler {
        long covered;
        long coveredBytes;
        int blockSize;

        @Override
        public void header(StreamHeader header) {
            blockSize = header.blockSize();
        }

        @Override
        public void data(long blockIndex, ByteBuffer payload) {
            covered++;
            coveredBytes += payload.remaining();
        }

        @Override
        public void pages(long blockIndex, long pageMask, ByteBuffer pages) {
            covered++;
            coveredBytes += pages.remaining();
        }

        @Override
        public void zeros(long firstBlock, int runLength) {
            covered += runLength;
            coveredBytes += (long) runLength * blockSize;
        }

        @Override
        public void end(long frames, long dataBytes) {
        }
    }

    // ---- Compression ----

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aProbeOfTheFirstBytesSparesRandomBlocksTheAttemptAndMissesNoTextBlockAfterThem(Compression codec) {
        Random random = new Random(4);
        FrameCompression compression = new FrameCompression(codec);
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(BLOCK * 2);
        encoder.header(out, new StreamHeader(BLOCK, 4096L * BLOCK, 0, 4096), (short) 0, BlockStreamFormat.VERSION_2);
        int textBlocks = 0;
        // Extents of 16 blocks, random or text, as GeneratedContent lays a disk out.
        for (int extent = 0; extent < 64; extent++) {
            boolean text = random.nextBoolean();
            for (int b = 0; b < 16; b++) {
                ByteBuffer block = ByteBuffer.wrap(text ? text(random, BLOCK) : random(random, BLOCK));
                out.clear();
                if (compression.probe(block)) {
                    encoder.data(out, extent * 16L + b, block, compression);
                } else {
                    encoder.data(out, extent * 16L + b, block);
                }
                assertEquals(text ? codec.frameType() : BlockStreamFormat.TYPE_DATA, out.get(0),
                        "extent " + extent + " block " + b);
                textBlocks += text ? 1 : 0;
            }
        }
        assertEquals(64 * 16, compression.probed());
        assertEquals(textBlocks, compression.attempted(), "only the text blocks were compressed whole");
        assertEquals(textBlocks, compression.hits(), "every text block travels compressed, also right after random ones");
        assertTrue(compression.compressedBytes() * 2 < compression.rawBytesCompressed(), "text-like blocks compress to under half: "
                + compression.compressedBytes() + " of " + compression.rawBytesCompressed());
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aCompressedFrameNeedsNoMoreRoomThanTheFrameItReplaces(Compression codec) {
        FrameCompression compression = new FrameCompression(codec);
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer header = ByteBuffer.allocate(64);
        encoder.header(header, new StreamHeader(BLOCK, 4L * BLOCK, 0, 4), (short) 0, BlockStreamFormat.VERSION_2);
        ByteBuffer out = ByteBuffer.allocate(BlockStreamEncoder.dataFrameBytes(BLOCK));
        encoder.data(out, 0, ByteBuffer.wrap(text(new Random(6), BLOCK)), compression);
        assertEquals(codec.frameType(), out.get(0));
        ByteBuffer exact = ByteBuffer.allocate(BlockStreamFormat.FRAME_OVERHEAD_BYTES + 8 + 3 * PAGE);
        encoder.pages(exact, 1, 0b111, ByteBuffer.wrap(text(new Random(7), BLOCK)), compression);
        assertEquals(codec.frameType(), exact.get(0));
    }

    // ---- Rejections ----

    /** A version 2 stream head (header, for a disk of 4 blocks of 64 KiB) followed by one hand-made frame. */
    private static ByteBuffer withFrame(byte type, long blockIndex, ByteBuffer payload) {
        ByteBuffer out = ByteBuffer.allocate(2 * BLOCK + 1024);
        new BlockStreamEncoder().header(out, new StreamHeader(BLOCK, 4L * BLOCK, 0, 4), (short) 0, BlockStreamFormat.VERSION_2);
        return putFrame(out, type, blockIndex, payload).flip();
    }

    private static ByteBuffer putFrame(ByteBuffer out, byte type, long blockIndex, ByteBuffer payload) {
        int start = out.position();
        out.put(type).putLong(blockIndex).putInt(payload.remaining()).put(payload.duplicate());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), start, out.position() - start);
        return out.putInt((int) crc.getValue());
    }

    private static ByteBuffer pagesPayload(long mask, int pages) {
        return ByteBuffer.allocate(8 + pages * PAGE).putLong(mask).position(0);
    }

    private static String rejection(ByteBuffer stream) {
        return assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Disk(new byte[4 * BLOCK]))
                .feed(stream)).getMessage();
    }

    @Test
    void aPageMaskNamingNoPageOrAPageBeyondTheBlockIsRejected() {
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_PAGES, 0, pagesPayload(0, 0))).contains("page mask"));
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_PAGES, 0, pagesPayload(1L << 16, 1))).contains("page mask"));
    }

    @Test
    void aPagesPayloadWhoseLengthDoesNotMatchItsMaskIsRejected() {
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_PAGES, 0, pagesPayload(0b11, 1))).contains("its mask names 2"));
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_PAGES, 0, pagesPayload(0b1, 2))).contains("its mask names 1"));
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_PAGES, 0, ByteBuffer.allocate(4))).contains("no page mask"));
        String tooLong = rejection(withFrame(BlockStreamFormat.TYPE_PAGES, 0, ByteBuffer.allocate(8 + BLOCK + 1)));
        assertTrue(tooLong.contains("at most"), tooLong);
    }

    private static ByteBuffer compressedPayload(byte innerType, int rawLength, byte[] lz4Block) {
        return ByteBuffer.allocate(5 + lz4Block.length).put(innerType).putInt(rawLength).put(lz4Block).flip();
    }

    private static byte[] lz4(byte[] raw) {
        return LZ4Factory.fastestInstance().fastCompressor().compress(raw);
    }

    private static byte[] compress(Compression codec, byte[] raw) {
        return codec == Compression.LZ4 ? lz4(raw) : Zstd.compress(raw);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void compressedGarbageIsRejected(Compression codec) {
        byte[] garbage = random(new Random(9), 3000);
        String message = rejection(withFrame(codec.frameType(), 0, compressedPayload(BlockStreamFormat.TYPE_DATA, BLOCK, garbage)));
        assertTrue(message.contains("does not decompress"), message);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aCompressedPayloadThatInflatesBeyondOrShortOfItsDeclaredLengthIsRejected(Compression codec) {
        // A bomb: 4 MiB of zeros compress to a few KiB; the decoder stops at the declared block size.
        String bomb = rejection(withFrame(codec.frameType(), 0, compressedPayload(BlockStreamFormat.TYPE_DATA,
                BLOCK, compress(codec, new byte[4 << 20]))));
        assertTrue(bomb.contains("does not decompress"), bomb);
        String shortOne = rejection(withFrame(codec.frameType(), 0, compressedPayload(BlockStreamFormat.TYPE_DATA,
                BLOCK, compress(codec, new byte[BLOCK - 1]))));
        assertTrue(shortOne.contains("does not decompress"), shortOne);
    }

    @Test
    void aCompressedFrameDeclaringMoreThanItsInnerFrameMayHoldIsRejected() {
        byte[] block = lz4(new byte[BLOCK + 1]);
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_COMPRESSED, 0, compressedPayload(BlockStreamFormat.TYPE_DATA,
                BLOCK + 1, block))).contains("declares inner type"));
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_COMPRESSED, 0, compressedPayload(BlockStreamFormat.TYPE_PAGES,
                8 + BLOCK + PAGE, block))).contains("declares inner type"));
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_COMPRESSED, 0, compressedPayload(BlockStreamFormat.TYPE_ZEROS,
                4, lz4(new byte[4])))).contains("declares inner type"));
        assertTrue(rejection(withFrame(BlockStreamFormat.TYPE_COMPRESSED, 0, compressedPayload(BlockStreamFormat.TYPE_PAGES,
                8 + 100, lz4(new byte[108])))).contains("declares inner type"));
    }

    @Test
    void theFramesInsideACompressedOneObeyTheirOwnRules() {
        byte[] badMask = ByteBuffer.allocate(8 + PAGE).putLong(0b11).array();
        String message = rejection(withFrame(BlockStreamFormat.TYPE_COMPRESSED, 0, compressedPayload(BlockStreamFormat.TYPE_PAGES,
                badMask.length, lz4(badMask))));
        assertTrue(message.contains("COMPRESSED PAGES") && message.contains("its mask names 2"), message);
    }

    @Test
    void pagesOutOfOrderOrOutsideTheRangeAreRejected() {
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(4 * BLOCK);
        encoder.header(out, new StreamHeader(BLOCK, 8L * BLOCK, 2, 4), (short) 0, BlockStreamFormat.VERSION_2);
        encoder.data(out, 3, ByteBuffer.allocate(BLOCK));
        encoder.pages(out, 3, 0b1, ByteBuffer.allocate(BLOCK));
        assertTrue(rejection8(out.flip()).contains("out of order"));

        ByteBuffer outside = ByteBuffer.allocate(4 * BLOCK);
        encoder.header(outside, new StreamHeader(BLOCK, 8L * BLOCK, 2, 4), (short) 0, BlockStreamFormat.VERSION_2);
        encoder.pages(outside, 6, 0b1, ByteBuffer.allocate(BLOCK), new FrameCompression(Compression.LZ4));
        assertTrue(rejection8(outside.flip()).contains("outside"));
    }

    private static String rejection8(ByteBuffer stream) {
        return assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Disk(new byte[8 * BLOCK]))
                .feed(stream)).getMessage();
    }

    @Test
    void version2FramesInAVersion1StreamAreUnknown() {
        ByteBuffer out = ByteBuffer.allocate(2 * BLOCK);
        new BlockStreamEncoder().header(out, new StreamHeader(BLOCK, 4L * BLOCK, 0, 4));
        putFrame(out, BlockStreamFormat.TYPE_PAGES, 0, pagesPayload(1, 1));
        assertTrue(rejection(out.flip()).contains("unknown frame type 0x5 in a version 1 stream"));
    }

    @Test
    void aVersion2StreamMustHaveBlocksOfWholePagesAtMost64() {
        assertThrows(IllegalArgumentException.class, () -> new BlockStreamEncoder().header(ByteBuffer.allocate(64),
                new StreamHeader(6000, 60000, 0, 10), (short) 0, BlockStreamFormat.VERSION_2));
        for (int blockSize : new int[] {6000, 128 * PAGE}) {
            // Written as version 1, relabelled version 2 with a fresh checksum.
            ByteBuffer header = ByteBuffer.allocate(64);
            new BlockStreamEncoder().header(header, new StreamHeader(blockSize, 10L * blockSize, 0, 10));
            header.putShort(4, BlockStreamFormat.VERSION_2);
            CRC32C crc = new CRC32C();
            crc.update(header.array(), 0, 36);
            header.putInt(36, (int) crc.getValue());
            String message = assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Disk(new byte[10 * blockSize]))
                    .feed(header.flip())).getMessage();
            assertTrue(message.contains("cannot have blocks"), message);
        }
    }

    @Test
    void aReceiverThatWritesOnlyWholeBlocksRefusesPages() {
        BlockStreamDecoder.Handler wholeBlocksOnly = new BlockStreamDecoder.Handler() {
            @Override
            public void header(StreamHeader header) {
            }

            @Override
            public void data(long blockIndex, ByteBuffer payload) {
            }

            @Override
            public void zeros(long firstBlock, int runLength) {
            }

            @Override
            public void end(long frames, long dataBytes) {
            }
        };
        BlockStreamException refused = assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(wholeBlocksOnly)
                .feed(withFrame(BlockStreamFormat.TYPE_PAGES, 0, pagesPayload(1, 1))));
        assertTrue(refused.getMessage().contains("writes only whole blocks"), refused.getMessage());
    }

    @Test
    void aFlippedBitAnywhereInAVersion2StreamIsCaught() {
        Random random = new Random(12);
        byte[] initial = new byte[4 * BLOCK];
        ByteBuffer stream = mixedStream(random, initial, new byte[initial.length], new FrameCompression(Compression.LZ4));
        for (int trial = 0; trial < 300; trial++) {
            byte[] corrupted = new byte[stream.remaining()];
            stream.duplicate().get(corrupted);
            int at = 4 + random.nextInt(corrupted.length - 4);
            corrupted[at] ^= (byte) (1 << random.nextInt(8));
            BlockStreamDecoder decoder = new BlockStreamDecoder(new Disk(initial));
            assertThrows(RuntimeException.class, () -> decoder.feed(ByteBuffer.wrap(corrupted)), "flipped a bit at byte " + at);
        }
    }

    // ---- Sealed pages ----

    private static ByteBuffer sealedPagesStream(byte[] block, long mask) {
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        BlockSeal seal = new BlockSeal(KEY);
        ByteBuffer out = ByteBuffer.allocate(4 * BLOCK);
        StreamHeader header = new StreamHeader(BLOCK, 4L * BLOCK, 0, 4);
        encoder.header(out, header, BlockStreamFormat.FLAG_SEALED, BlockStreamFormat.VERSION_2);
        encoder.key(out, 0, KEY.certificateId());
        encoder.sealedPages(out, 1, header.diskSizeBytes(), mask, ByteBuffer.wrap(block), seal);
        encoder.sealed(out, 2, header.diskSizeBytes(), ByteBuffer.wrap(block), seal);
        encoder.end(out, 4);
        return out.flip();
    }

    @Test
    void sealedPagesAreOpenedByTheKeyHolderAndPassARelayUnopened() {
        byte[] block = random(new Random(13), BLOCK);
        long mask = 0b1100_0000_0000_0101L;
        ByteBuffer stream = sealedPagesStream(block, mask);

        Disk disk = new Disk(new byte[4 * BLOCK]);
        BlockStreamDecoder decoder = new BlockStreamDecoder(disk, id -> id.equals(KEY.certificateId()) ? KEY : null);
        feedInChunks(decoder, stream, 999, null);
        assertTrue(decoder.ended());
        for (int page = 0; page < 16; page++) {
            byte[] expected = (mask >>> page & 1) != 0 ? Arrays.copyOfRange(block, page * PAGE, (page + 1) * PAGE) : new byte[PAGE];
            assertArrayEquals(expected, Arrays.copyOfRange(disk.bytes, BLOCK + page * PAGE, BLOCK + (page + 1) * PAGE), "page " + page);
        }
        assertArrayEquals(block, Arrays.copyOfRange(disk.bytes, 2 * BLOCK, 3 * BLOCK));
        assertEquals(2, disk.endFrames);
        assertEquals(BLOCK + 4L * PAGE, disk.endDataBytes);

        Disk relay = new Disk(new byte[4 * BLOCK]);
        BlockStreamDecoder passThrough = new BlockStreamDecoder(relay);
        passThrough.feed(stream.duplicate());
        assertTrue(passThrough.ended());
        assertEquals(2, relay.sealedPassedThrough);
        assertArrayEquals(new byte[4 * BLOCK], relay.bytes, "a relay never sees plaintext");
    }

    @Test
    void sealedPagesMovedToOtherPagesAreRejectedEvenWithAFreshChecksum() {
        byte[] block = random(new Random(14), BLOCK);
        ByteBuffer stream = sealedPagesStream(block, 0b0011);
        byte[] bytes = new byte[stream.remaining()];
        stream.get(bytes);
        // Rewrite the mask to name two other pages (same length) and recompute the frame's CRC, as an attacker could.
        int frame = BlockStreamFormat.HEADER_BYTES + BlockStreamFormat.FRAME_OVERHEAD_BYTES + KEY.certificateId().length();
        assertEquals(BlockStreamFormat.TYPE_SEALED_PAGES, bytes[frame]);
        int length = ByteBuffer.wrap(bytes).getInt(frame + 9);
        ByteBuffer.wrap(bytes).putLong(frame + 13, 0b1100);
        CRC32C crc = new CRC32C();
        crc.update(bytes, frame, 13 + length);
        ByteBuffer.wrap(bytes).putInt(frame + 13 + length, (int) crc.getValue());

        BlockStreamException failure = assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(
                new Disk(new byte[4 * BLOCK]), id -> KEY).feed(ByteBuffer.wrap(bytes)));
        assertTrue(failure.getMessage().contains("fails authentication"), failure.getMessage());
    }

    @Test
    void aSealedStreamCarriesNoClearOrCompressedContent() {
        for (byte type : new byte[] {BlockStreamFormat.TYPE_PAGES, BlockStreamFormat.TYPE_COMPRESSED,
                BlockStreamFormat.TYPE_COMPRESSED_ZSTD}) {
            ByteBuffer out = ByteBuffer.allocate(2 * BLOCK);
            BlockStreamEncoder encoder = new BlockStreamEncoder();
            encoder.header(out, new StreamHeader(BLOCK, 4L * BLOCK, 0, 4), BlockStreamFormat.FLAG_SEALED, BlockStreamFormat.VERSION_2);
            encoder.key(out, 0, KEY.certificateId());
            ByteBuffer payload = type == BlockStreamFormat.TYPE_PAGES ? pagesPayload(1, 1)
                    : compressedPayload(BlockStreamFormat.TYPE_DATA, BLOCK, type == BlockStreamFormat.TYPE_COMPRESSED
                            ? lz4(new byte[BLOCK]) : Zstd.compress(new byte[BLOCK]));
            putFrame(out, type, 0, payload);
            String message = assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Disk(new byte[4 * BLOCK]),
                    id -> KEY).feed(out.flip())).getMessage();
            assertTrue(message.contains("in a sealed stream"), message);
        }
    }

    @Test
    void negotiationHelpersReadTheRequestHeaders() {
        assertEquals(BlockStreamFormat.VERSION, BlockStreamFormat.versionAccepted(null));
        assertEquals(BlockStreamFormat.VERSION, BlockStreamFormat.versionAccepted(BlockStreamFormat.MEDIA_TYPE));
        assertEquals(BlockStreamFormat.VERSION_2, BlockStreamFormat.versionAccepted(
                BlockStreamFormat.MEDIA_TYPE_V2 + ", " + BlockStreamFormat.MEDIA_TYPE + ";q=0.5"));
        assertEquals(BlockStreamFormat.MEDIA_TYPE_V2, BlockStreamFormat.mediaType(BlockStreamFormat.VERSION_2));
        assertEquals(Compression.LZ4, Compression.requested(" LZ4 "));
        assertEquals(Compression.ZSTD, Compression.requested("zstd"));
        assertEquals(Compression.ZSTD, Compression.requested("br, Zstd , lz4"), "the first codec this side knows");
        assertEquals(Compression.LZ4, Compression.requested("gzip,lz4"));
        assertEquals(null, Compression.requested(null));
        assertEquals(null, Compression.requested("gzip"));
    }
}
