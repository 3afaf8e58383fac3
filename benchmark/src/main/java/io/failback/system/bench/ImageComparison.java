package io.failback.system.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * Two disk images compared by reading their files, not through the services' digests: the SHA-256 of each file's
 * bytes, block by block, leaving out the blocks in {@code skipped} on both sides. With nothing skipped that is the plain
 * SHA-256 of the file.
 *
 * @param azureSha256      of the Azure disk image
 * @param onPremisesSha256 of the on-premises disk image
 * @param skippedBlocks    blocks left out: those the on-premises VM wrote after it started
 */
record ImageComparison(String azureSha256, String onPremisesSha256, long azureBytes, long onPremisesBytes, int skippedBlocks) {

    static ImageComparison of(Path azure, Path onPremises, int blockBytes, Set<Long> skipped) throws IOException {
        return new ImageComparison(sha256(azure, blockBytes, skipped), sha256(onPremises, blockBytes, skipped), Files.size(azure),
                Files.size(onPremises), skipped.size());
    }

    boolean equal() {
        return azureBytes == onPremisesBytes && azureSha256.equals(onPremisesSha256);
    }

    private static String sha256(Path image, int blockBytes, Set<Long> skipped) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(image), 1 << 20)) {
            long block = 0;
            for (byte[] bytes = in.readNBytes(blockBytes); bytes.length > 0; bytes = in.readNBytes(blockBytes), block++) {
                if (!skipped.contains(block)) {
                    sha256.update(bytes);
                }
            }
        }
        return HexFormat.of().formatHex(sha256.digest());
    }
}
