package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageComparisonTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    @Test
    void withNothingLeftOutItIsThePlainSha256OfEachFile() throws Exception {
        byte[] image = randomBytes(10 * BLOCK, 1);
        Path azure = Files.write(dir.resolve("azure.img"), image);
        Path onPremises = Files.write(dir.resolve("on-premises.img"), image);

        ImageComparison same = ImageComparison.of(azure, onPremises, BLOCK, Set.of());

        assertTrue(same.equal());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image)), same.azureSha256());
    }

    @Test
    void oneByteChangedInABlockNotLeftOutMakesTheImagesDifferent() throws Exception {
        byte[] image = randomBytes(10 * BLOCK, 2);
        Path azure = Files.write(dir.resolve("azure.img"), image);
        byte[] changed = image.clone();
        changed[7 * BLOCK + 100] ^= 1;
        Path onPremises = Files.write(dir.resolve("on-premises.img"), changed);

        assertFalse(ImageComparison.of(azure, onPremises, BLOCK, Set.of(3L)).equal());
        assertTrue(ImageComparison.of(azure, onPremises, BLOCK, Set.of(7L)).equal(), "block 7 was written on-premises");
    }

    @Test
    void imagesOfDifferentSizesDiffer() throws Exception {
        byte[] image = randomBytes(10 * BLOCK, 3);
        Path azure = Files.write(dir.resolve("azure.img"), image);
        byte[] longer = new byte[11 * BLOCK];
        System.arraycopy(image, 0, longer, 0, image.length);
        Path onPremises = Files.write(dir.resolve("on-premises.img"), longer);

        assertFalse(ImageComparison.of(azure, onPremises, BLOCK, Set.of(10L)).equal());
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
