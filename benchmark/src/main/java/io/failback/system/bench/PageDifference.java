package io.failback.system.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * How two disk images of the same size differ, counted exactly from their bytes: the 4 KiB pages (what a guest writes)
 * and the 64 KiB blocks (what change tracking counts today) in which they are not equal. "The bytes some writes
 * carried" is {@link #pageBytes()} of the image before them against the image after: a page written twice counts once,
 * a page rewritten with what it held counts not at all.
 */
record PageDifference(long pages, long blocks) {
    static final int PAGE_BYTES = 4096;
    static final int BLOCK_BYTES = 65536;
    private static final int CHUNK = 1 << 20;

    static PageDifference of(Path before, Path after) {
        try (FileChannel a = FileChannel.open(before, StandardOpenOption.READ);
             FileChannel b = FileChannel.open(after, StandardOpenOption.READ)) {
            if (a.size() != b.size()) {
                throw new IllegalArgumentException(before + " has " + a.size() + " bytes, " + after + " " + b.size());
            }
            byte[] left = new byte[CHUNK];
            byte[] right = new byte[CHUNK];
            long pages = 0;
            long blocks = 0;
            for (long offset = 0; offset < a.size(); offset += CHUNK) {
                int length = (int) Math.min(CHUNK, a.size() - offset);
                readFully(a, left, offset, length);
                readFully(b, right, offset, length);
                if (Arrays.equals(left, 0, length, right, 0, length)) {
                    continue;
                }
                for (int block = 0; block < length; block += BLOCK_BYTES) {
                    int blockEnd = Math.min(length, block + BLOCK_BYTES);
                    boolean blockDiffers = false;
                    for (int page = block; page < blockEnd; page += PAGE_BYTES) {
                        int pageEnd = Math.min(blockEnd, page + PAGE_BYTES);
                        if (!Arrays.equals(left, page, pageEnd, right, page, pageEnd)) {
                            pages++;
                            blockDiffers = true;
                        }
                    }
                    if (blockDiffers) {
                        blocks++;
                    }
                }
            }
            return new PageDifference(pages, blocks);
        } catch (IOException e) {
            throw new IllegalStateException("cannot compare " + before + " with " + after + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, byte[] into, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("the file ended at " + (position + buffer.position()));
            }
        }
    }

    long pageBytes() {
        return pages * PAGE_BYTES;
    }

    long blockBytes() {
        return blocks * BLOCK_BYTES;
    }
}
