package io.failback.contracts.blockstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockStreamCodecTest {
    private static final int BLOCK = 4096;

    /** What a decoder saw, block by block (null for a block declared zero). */
    private static final class Recorder implements BlockStreamDecoder.Handler {
        final List<Long> indexes = new ArrayList<>();
        final List<byte[]> blocks = new ArrayList<>();
        StreamHeader header;
        long endFrames = -1;

        @Override
        public void header(StreamHeader header) {
            this.header = header;
        }

        @Override
        public void data(long blockIndex, ByteBuffer payload) {
            byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            indexes.add(blockIndex);
            blocks.add(copy);
        }

        @Override
        public void zeros(long firstBlock, int runLength) {
            for (int i = 0; i < runLength; i++) {
                indexes.add(firstBlock + i);
                blocks.add(null);
            }
        }

        @Override
        public void end(long frames, long dataBytes) {
            endFrames = frames;
        }
    }

    private static ByteBuffer encode(byte[][] blocks, long firstBlock, long diskBlocks) {
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(1 << 20);
        encoder.header(out, new StreamHeader(BLOCK, diskBlocks * BLOCK, firstBlock, blocks.length));
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] == null) {
                encoder.zeros(out, firstBlock + i, 1);
            } else {
                encoder.data(out, firstBlock + i, ByteBuffer.wrap(blocks[i]));
            }
        }
        encoder.end(out, firstBlock + blocks.length);
        return out.flip();
    }

    private static byte[][] randomBlocks(Random random, int count) {
        byte[][] blocks = new byte[count][];
        for (int i = 0; i < count; i++) {
            if (random.nextInt(3) > 0) {
                blocks[i] = new byte[BLOCK];
                random.nextBytes(blocks[i]);
            }
        }
        return blocks;
    }

    @Test
    void everyBlockSurvivesARoundTripWhateverTheChunking() {
        Random random = new Random(42);
        byte[][] blocks = randomBlocks(random, 40);
        ByteBuffer stream = encode(blocks, 10, 100);
        for (int chunk : new int[] {1, 7, 13, 4096, 4113, 1 << 20}) {
            Recorder recorder = new Recorder();
            BlockStreamDecoder decoder = new BlockStreamDecoder(recorder);
            ByteBuffer input = stream.duplicate();
            while (input.hasRemaining()) {
                int n = Math.min(chunk, input.remaining());
                decoder.feed(input.slice(input.position(), n));
                input.position(input.position() + n);
            }
            assertTrue(decoder.ended(), "chunk size " + chunk);
            assertEquals(new StreamHeader(BLOCK, 100L * BLOCK, 10, 40), recorder.header);
            assertEquals(40, recorder.indexes.size());
            for (int i = 0; i < blocks.length; i++) {
                assertEquals(10 + i, recorder.indexes.get(i));
                if (blocks[i] == null) {
                    assertEquals(null, recorder.blocks.get(i));
                } else {
                    assertArrayEquals(blocks[i], recorder.blocks.get(i), "block " + i + ", chunk size " + chunk);
                }
            }
        }
    }

    @Test
    void theRelayScannerCountsTheBlocksAStreamCoversWhateverTheChunking() {
        byte[][] blocks = randomBlocks(new Random(9), 50);
        ByteBuffer stream = encode(blocks, 3, 60);
        for (int chunk : new int[] {1, 5, 13, 17, 4113, 1 << 20}) {
            BlockStreamScanner scanner = new BlockStreamScanner();
            ByteBuffer input = stream.duplicate();
            while (input.hasRemaining()) {
                int n = Math.min(chunk, input.remaining());
                scanner.scan(input.slice(input.position(), n));
                input.position(input.position() + n);
            }
            assertEquals(50, scanner.blocksCovered(), "chunk size " + chunk);
            assertEquals(BLOCK, scanner.blockSize());
        }
    }

    @Test
    void aFlippedBitAnywhereAfterTheMagicIsCaught() {
        ByteBuffer stream = encode(randomBlocks(new Random(7), 3), 0, 3);
        Random random = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            byte[] corrupted = new byte[stream.remaining()];
            stream.duplicate().get(corrupted);
            int at = 4 + random.nextInt(corrupted.length - 4);
            corrupted[at] ^= (byte) (1 << random.nextInt(8));
            BlockStreamDecoder decoder = new BlockStreamDecoder(new Recorder());
            assertThrows(RuntimeException.class, () -> decoder.feed(ByteBuffer.wrap(corrupted)),
                    "flipped a bit at byte " + at);
        }
    }

    @Test
    void aTruncatedStreamNeverLooksComplete() {
        ByteBuffer stream = encode(randomBlocks(new Random(3), 5), 0, 5);
        BlockStreamDecoder decoder = new BlockStreamDecoder(new Recorder());
        decoder.feed(stream.slice(0, stream.remaining() - 1));
        assertFalse(decoder.ended());
    }

    @Test
    void blocksOutOfOrderOrOutsideTheRangeAreRejected() {
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(64 * 1024);
        encoder.header(out, new StreamHeader(BLOCK, 10L * BLOCK, 2, 3));
        encoder.data(out, 3, ByteBuffer.allocate(BLOCK));
        encoder.data(out, 3, ByteBuffer.allocate(BLOCK));
        BlockStreamDecoder decoder = new BlockStreamDecoder(new Recorder());
        BlockStreamException repeated = assertThrows(BlockStreamException.class, () -> decoder.feed(out.flip()));
        assertTrue(repeated.getMessage().contains("out of order"), repeated.getMessage());

        ByteBuffer outside = ByteBuffer.allocate(64 * 1024);
        encoder.header(outside, new StreamHeader(BLOCK, 10L * BLOCK, 2, 3));
        encoder.zeros(outside, 4, 2);
        assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Recorder()).feed(outside.flip()));
    }

    @Test
    void anErrorFrameFromTheSenderFailsTheStreamWithItsMessage() {
        ByteBuffer out = ByteBuffer.allocate(1024);
        new BlockStreamEncoder().header(out, new StreamHeader(BLOCK, 4L * BLOCK, 0, 4));
        out.put(BlockStreamEncoder.error(0, "disk read failed"));
        BlockStreamException failure = assertThrows(BlockStreamException.class,
                () -> new BlockStreamDecoder(new Recorder()).feed(out.flip()));
        assertTrue(failure.getMessage().contains("disk read failed"), failure.getMessage());
    }

    @Test
    void anEndFrameThatMiscountsIsRejected() {
        ByteBuffer out = ByteBuffer.allocate(64 * 1024);
        BlockStreamEncoder honest = new BlockStreamEncoder();
        honest.header(out, new StreamHeader(BLOCK, 4L * BLOCK, 0, 2));
        honest.data(out, 0, ByteBuffer.allocate(BLOCK));
        // An END written by an encoder that saw no frames claims 0 frames: one frame was lost or injected.
        new BlockStreamEncoder().end(out, 2);
        assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Recorder()).feed(out.flip()));
    }
}
