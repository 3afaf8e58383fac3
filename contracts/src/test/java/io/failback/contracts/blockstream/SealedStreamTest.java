package io.failback.contracts.blockstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Block streams sealed under the cloud key: readable only with it, tamper-evident, opaque to a relay. */
class SealedStreamTest {
    private static final int BLOCK = 4096;
    private static final CloudKey KEY = CloudKey.generate();

    private static ByteBuffer sealedStream(byte[][] blocks) {
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        BlockSeal seal = new BlockSeal(KEY);
        ByteBuffer out = ByteBuffer.allocate(1 << 20);
        StreamHeader header = new StreamHeader(BLOCK, 16L * BLOCK, 0, blocks.length);
        encoder.header(out, header, BlockStreamFormat.FLAG_SEALED);
        encoder.key(out, 0, KEY.certificateId());
        for (int i = 0; i < blocks.length; i++) {
            encoder.sealed(out, i, header.diskSizeBytes(), ByteBuffer.wrap(blocks[i]), seal);
        }
        encoder.end(out, blocks.length);
        return out.flip();
    }

    private static byte[][] blocks(int count) {
        Random random = new Random(5);
        byte[][] blocks = new byte[count][BLOCK];
        for (byte[] block : blocks) {
            random.nextBytes(block);
        }
        return blocks;
    }

    private static final class Collect implements BlockStreamDecoder.Handler {
        final List<byte[]> data = new ArrayList<>();
        int sealed;

        @Override
        public void header(StreamHeader header) {
        }

        @Override
        public void data(long blockIndex, ByteBuffer payload) {
            byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            data.add(copy);
        }

        @Override
        public void sealed(long blockIndex) {
            sealed++;
        }

        @Override
        public void zeros(long firstBlock, int runLength) {
        }

        @Override
        public void end(long frames, long dataBytes) {
        }
    }

    @Test
    void theHolderOfTheKeyReadsEveryBlockAndARelayPassesThemUnopened() {
        byte[][] blocks = blocks(5);
        ByteBuffer stream = sealedStream(blocks);

        Collect receiver = new Collect();
        BlockStreamDecoder decoder = new BlockStreamDecoder(receiver, id -> id.equals(KEY.certificateId()) ? KEY : null);
        decoder.feed(stream.duplicate());
        assertTrue(decoder.ended());
        assertEquals(KEY.certificateId(), decoder.keyId());
        for (int i = 0; i < blocks.length; i++) {
            assertArrayEquals(blocks[i], receiver.data.get(i));
        }

        Collect relay = new Collect();
        BlockStreamDecoder passThrough = new BlockStreamDecoder(relay);
        passThrough.feed(stream.duplicate());
        assertTrue(passThrough.ended());
        assertEquals(5, relay.sealed);
        assertTrue(relay.data.isEmpty(), "a relay never sees plaintext");
    }

    @Test
    void aReceiverWithoutTheKeyOrWithAnotherKeyRejectsTheStreamBeforeAnyBlock() {
        ByteBuffer stream = sealedStream(blocks(3));
        Collect noKey = new Collect();
        BlockStreamException missing = assertThrows(BlockStreamException.class,
                () -> new BlockStreamDecoder(noKey, id -> null).feed(stream.duplicate()));
        assertTrue(missing.getMessage().contains("not installed"), missing.getMessage());
        assertTrue(noKey.data.isEmpty());

        Collect wrongKey = new Collect();
        CloudKey other = CloudKey.generate();
        BlockStreamException forged = assertThrows(BlockStreamException.class,
                () -> new BlockStreamDecoder(wrongKey, id -> other).feed(stream.duplicate()));
        assertTrue(forged.getMessage().contains("fails authentication"), forged.getMessage());
        assertTrue(wrongKey.data.isEmpty());
    }

    @Test
    void aSealedBlockAlteredInTransitIsRejectedEvenWithAFreshChecksum() {
        ByteBuffer stream = sealedStream(blocks(2));
        byte[] bytes = new byte[stream.remaining()];
        stream.get(bytes);
        // Flip a ciphertext bit of the first SEALED frame and recompute its CRC, as an attacker could.
        int frame = BlockStreamFormat.HEADER_BYTES + 13 + KEY.certificateId().length() + 4;
        int length = ByteBuffer.wrap(bytes).getInt(frame + 9);
        bytes[frame + 13 + 20] ^= 1;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, frame, 13 + length);
        ByteBuffer.wrap(bytes).putInt(frame + 13 + length, (int) crc.getValue());

        BlockStreamException failure = assertThrows(BlockStreamException.class, () -> new BlockStreamDecoder(new Collect(),
                id -> KEY).feed(ByteBuffer.wrap(bytes)));
        assertTrue(failure.getMessage().contains("fails authentication"), failure.getMessage());
    }
}
