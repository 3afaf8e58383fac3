package io.failback.hostagent;

import io.failback.testing.ReferenceDigest;
import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.StreamHeader;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/** Block streams (contracts' format) built from and read into plain byte arrays, and their SHA-256 digest. */
final class BlockStreams {
    static final int BLOCK = 64 * 1024;

    private BlockStreams() {
    }

    /** Random content with every third block all zeros, so the stream carries ZEROS runs as well as DATA. */
    static byte[] content(long seed, int blocks) {
        byte[] content = new byte[blocks * BLOCK];
        new Random(seed).nextBytes(content);
        for (int block = 0; block < blocks; block += 3) {
            Arrays.fill(content, block * BLOCK, (block + 1) * BLOCK, (byte) 0);
        }
        return content;
    }

    /** A complete stream of every block of {@code content}, as the sending site would produce it. */
    static byte[] encode(byte[] content) {
        int blocks = content.length / BLOCK;
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(content.length + blocks * 64 + 1024);
        encoder.header(out, new StreamHeader(BLOCK, content.length, 0, blocks));
        for (int block = 0; block < blocks; block++) {
            ByteBuffer data = ByteBuffer.wrap(content, block * BLOCK, BLOCK);
            if (isZero(data)) {
                encoder.zeros(out, block, 1);
            } else {
                encoder.data(out, block, data.slice());
            }
        }
        encoder.end(out, blocks);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** The disk content a stream of a whole {@code sizeBytes} disk carries. */
    static byte[] decode(byte[] stream, int sizeBytes) {
        byte[] content = new byte[sizeBytes];
        BlockStreamDecoder decoder = new BlockStreamDecoder(new BlockStreamDecoder.Handler() {
            @Override
            public void header(StreamHeader header) {
            }

            @Override
            public void data(long blockIndex, ByteBuffer payload) {
                payload.get(content, (int) blockIndex * BLOCK, payload.remaining());
            }

            @Override
            public void zeros(long firstBlock, int runLength) {
                Arrays.fill(content, (int) firstBlock * BLOCK, (int) (firstBlock + runLength) * BLOCK, (byte) 0);
            }

            @Override
            public void end(long frames, long dataBytes) {
            }
        });
        decoder.feed(ByteBuffer.wrap(stream));
        if (!decoder.ended()) {
            throw new AssertionError("the block stream did not end with its END frame");
        }
        return content;
    }

    /** The whole-disk digest of {@code content}, computed by the contract. */
    static String digest(byte[] content) {
        return io.failback.testing.ReferenceDigest.of(content, BLOCK);
    }

    private static boolean isZero(ByteBuffer data) {
        for (int i = data.position(); i < data.limit(); i++) {
            if (data.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
