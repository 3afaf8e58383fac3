package io.failback.sitedisk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated disks: reproducible from their seed, and text where asked, compressible as logs are. */
class GeneratedContentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXTENT = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void textExtentsAreLogLinesThatLz4ShrinksTwoToFourTimesAndRandomExtentsNot() {
        byte[] text = new byte[EXTENT];
        GeneratedContent.fillWithText(text, new Random(3));
        for (byte b : text) {
            assertTrue(b == '\n' || (b >= 0x20 && b < 0x7f), "printable ASCII lines only");
        }
        byte[] random = new byte[EXTENT];
        new Random(3).nextBytes(random);

        double textRatio = (double) EXTENT / lz4Length(text);
        double randomRatio = (double) EXTENT / lz4Length(random);
        assertTrue(textRatio >= 2 && textRatio <= 4, "LZ4 ratio of text " + textRatio);
        assertTrue(randomRatio < 1.01, "LZ4 ratio of random bytes " + randomRatio);
    }

    @Test
    void theSameSeedGivesTheSameDiskAndTextDoesNotChangeDisksWithoutIt() throws Exception {
        byte[] plain = generate("plain", 11, 40, 0);
        byte[] plainAgain = generate("plain-again", 11, 40, 0);
        byte[] halfText = generate("half-text", 11, 40, 50);
        byte[] halfTextAgain = generate("half-text-again", 11, 40, 50);
        assertArrayEquals(plain, plainAgain);
        assertArrayEquals(halfText, halfTextAgain);

        int textExtents = 0;
        int randomExtents = 0;
        for (int e = 0; e < plain.length / EXTENT; e++) {
            byte first = halfText[e * EXTENT];
            if (first == '2') { // each text extent starts with a timestamp of this millennium
                textExtents++;
            } else if (!allZero(halfText, e * EXTENT)) {
                randomExtents++;
            }
        }
        assertTrue(textExtents > 3 && randomExtents > 3, textExtents + " text and " + randomExtents + " random extents");
        assertEquals(32, plain.length / EXTENT);
    }

    private byte[] generate(String diskId, long seed, int zeroPercent, int textPercent) throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, diskId, 32L * EXTENT, 65536);
        try {
            GeneratedContent.write(disk, new Random(seed), zeroPercent, textPercent);
        } finally {
            disk.close();
        }
        return Files.readAllBytes(VirtualDisk.imagePath(dir, diskId));
    }

    private static boolean allZero(byte[] bytes, int from) {
        for (int i = from; i < from + EXTENT; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static int lz4Length(byte[] data) {
        LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
        byte[] out = new byte[lz4.maxCompressedLength(data.length)];
        return lz4.compress(data, 0, data.length, out, 0, out.length);
    }
}
