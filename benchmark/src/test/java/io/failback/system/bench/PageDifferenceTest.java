package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact count of what some writes changed, which P4' sets the bytes sent against. */
class PageDifferenceTest {
    private static final int PAGE = 4096;
    private static final int BLOCK = 65536;

    @TempDir
    Path dir;

    @Test
    void countsEachChangedPageOnceAndTheBlocksThatHoldThem() throws IOException {
        long size = 3L * (1 << 20) + 5 * BLOCK; // not a whole number of the comparison's 1 MiB chunks
        byte[] content = new byte[(int) size];
        new Random(1).nextBytes(content);
        Path before = Files.write(dir.resolve("before.img"), content);
        Path after = Files.write(dir.resolve("after.img"), content);

        try (RandomAccessFile file = new RandomAccessFile(after.toFile(), "rw")) {
            write(file, 0, 1);                        // block 0, page 0: one byte
            write(file, 3L * PAGE, PAGE);             // block 0, page 3: the whole page
            write(file, 3L * PAGE + 10, 5);           // the same page again
            write(file, 40L * BLOCK + 15 * PAGE + PAGE - 1, 1); // the last byte of a block's last page
            write(file, size - 1, 1);                 // the file's last byte, in the partial chunk
            // A page rewritten with what it held is not a change.
            file.seek(7L * BLOCK);
            file.write(content, 7 * BLOCK, PAGE);
        }

        PageDifference difference = PageDifference.of(before, after);
        assertEquals(4, difference.pages());
        assertEquals(3, difference.blocks());
        assertEquals(4L * PAGE, difference.pageBytes());
        assertEquals(3L * BLOCK, difference.blockBytes());
        assertEquals(new PageDifference(0, 0), PageDifference.of(before, before));
    }

    @Test
    void imagesOfDifferentSizesAreNotCompared() throws IOException {
        Path small = Files.write(dir.resolve("small.img"), new byte[PAGE]);
        Path large = Files.write(dir.resolve("large.img"), new byte[2 * PAGE]);
        assertThrows(IllegalArgumentException.class, () -> PageDifference.of(small, large));
    }

    /** Overwrites {@code length} bytes at {@code offset} with bytes that surely differ (each one's complement). */
    private static void write(RandomAccessFile file, long offset, int length) throws IOException {
        byte[] old = new byte[length];
        file.seek(offset);
        file.readFully(old);
        for (int i = 0; i < length; i++) {
            old[i] = (byte) ~old[i];
        }
        file.seek(offset);
        file.write(old);
    }
}
