package io.failback.sitedisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteFilesTest {
    private final ObjectMapper json = new ObjectMapper();

    /** Issue #16, item 4: a stored key (the cloud's, or one installed on a host) is its owner's to read only. */
    @Test
    void aSecretDocumentIsReadableByItsOwnerOnlyAndReplacedWhole(@TempDir Path dir) throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path secret = dir.resolve("keys/encryption.json");
        SiteFiles.writeSecretAtomically(json, secret, Map.of("keyBase64", "c2VjcmV0"));
        SiteFiles.writeSecretAtomically(json, secret, Map.of("keyBase64", "bmV3"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
        assertEquals("bmV3", json.readTree(secret.toFile()).path("keyBase64").asText());
    }
}
