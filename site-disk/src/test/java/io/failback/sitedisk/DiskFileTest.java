package io.failback.sitedisk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image file's I/O: around the page cache for long aligned runs, buffered otherwise, coherent either way. */
class DiskFileTest {
    private static final int BLOCK = 64 * 1024;
    private static final int BLOCKS = 64;

    @TempDir
    Path dir;

    @Test
    void directAndBufferedWritesToTheSameBlocksReadBackEitherWayAsTheLastWriteLeftThem() throws Exception {
        assumeFalse("tmpfs".equals(Files.getFileStore(dir).type()), "the file system refuses O_DIRECT");
        Path image = dir.resolve("disk.img");
        DiskFile.createZeroed(image, (long) BLOCKS * BLOCK);
        byte[] expected = new byte[BLOCKS * BLOCK];
        Random random = new Random(7);
        try (DiskFile file = DiskFile.open(image, BLOCK)) {
            // A buffered page write first, so the direct write over it must write back and drop the cached page.
            writeAt(file, expected, random, 3L * BLOCK + 4096, 4096);
            assertFalse(file.usedDirectIo(), "one page is written through the page cache");

            writeBlocks(file, expected, random, 2, 16, true);
            assertTrue(file.usedDirectIo(), "a 1 MiB run from aligned direct memory goes around the page cache");
            // Pages over blocks just written directly, then a direct run over those pages again.
            writeAt(file, expected, random, 5L * BLOCK + 8192, 3 * 4096);
            writeAt(file, expected, random, 17L * BLOCK, 4096);
            writeBlocks(file, expected, random, 16, 8, true);
            // Direct memory that is not aligned, and a run shorter than the direct minimum: written buffered.
            writeBlocks(file, expected, random, 40, 8, false);
            writeBlocks(file, expected, random, 50, 2, true);

            // Read around the page cache, which must first write back the buffered pages' dirty copies, and through it.
            assertArrayEquals(expected, readAll(file, true));
            assertArrayEquals(expected, readAll(file, false));
            file.force();
        }
        try (DiskFile reopened = DiskFile.open(image, BLOCK)) {
            assertArrayEquals(expected, readAll(reopened, true));
        }
        assertArrayEquals(expected, Files.readAllBytes(image));
    }

    private static void writeBlocks(DiskFile file, byte[] expected, Random random, int firstBlock, int blocks,
            boolean aligned) {
        byte[] content = new byte[blocks * BLOCK];
        random.nextBytes(content);
        ByteBuffer src = aligned ? DiskFile.allocateAligned(content.length)
                : DiskFile.allocateAligned(content.length + 4096).position(512).slice().limit(content.length);
        src.put(content).flip();
        file.write(firstBlock, src);
        System.arraycopy(content, 0, expected, firstBlock * BLOCK, content.length);
    }

    /** Pages, written through the page cache. */
    private static void writeAt(DiskFile file, byte[] expected, Random random, long offset, int length) {
        byte[] content = new byte[length];
        random.nextBytes(content);
        file.writeAt(offset, ByteBuffer.allocate(length).put(content).flip());
        System.arraycopy(content, 0, expected, (int) offset, length);
    }

    private static byte[] readAll(DiskFile file, boolean direct) {
        ByteBuffer all = direct ? DiskFile.allocateAligned(BLOCKS * BLOCK) : ByteBuffer.allocate(BLOCKS * BLOCK);
        file.read(0, all);
        byte[] bytes = new byte[BLOCKS * BLOCK];
        all.flip().get(bytes);
        return bytes;
    }
}
