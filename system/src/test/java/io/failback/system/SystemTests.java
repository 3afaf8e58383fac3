package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.UnaryOperator;

/** What the end-to-end tests share: starting a whole system in target/it, and looking at disks the way a user can. */
final class SystemTests {
    private SystemTests() {
    }

    /** A whole system (Kafka, PostgreSQL, the services) in its own folder under target/it. */
    static final int BLOCK_BYTES = 65536;

    static LocalSystem start(String name, UnaryOperator<LocalSystem.Builder> customize) throws IOException {
        Path workDir = Files.createDirectories(Path.of("target", "it")).resolve(name + "-" + System.currentTimeMillis());
        return customize.apply(LocalSystem.builder().workDir(workDir)).start();
    }

    /**
     * A disk image's whole-disk digest as the sites define it (SHA-256 over the SHA-256 of each 64 KiB block), computed
     * here independently from the file.
     */
    static String diskDigest(Path file) throws Exception {
        MessageDigest blockHash = MessageDigest.getInstance("SHA-256");
        MessageDigest listHash = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            for (byte[] block = in.readNBytes(BLOCK_BYTES); block.length > 0; block = in.readNBytes(BLOCK_BYTES)) {
                listHash.update(blockHash.digest(block));
            }
        }
        return HexFormat.of().formatHex(listHash.digest());
    }

    /**
     * Stops the on-premises VM, then checks that every block it did not write itself since it started holds exactly
     * the Azure disk's bytes (Azure is stopped, so its file is the state at shutdown), and that the blocks it did
     * write are exactly what its change tracking reports.
     */
    static void assertOnPremisesHoldsTheAzureDisk(LocalSystem system, FailbackApi api, HostAgent host, String vm, long diskBytes)
            throws IOException {
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        long startPoint = api.get(hostVm).path("disks").get(0).path("verifiedTrackingPoint").asLong();
        JsonNode changed = api.get(URI.create(hostVm + "/disks/disk-0/changed-blocks?since=" + startPoint));
        Set<Long> writtenOnPremises = new HashSet<>();
        for (JsonNode range : changed.path("ranges")) {
            for (long b = range.get(0).asLong(); b < range.get(0).asLong() + range.get(1).asLong(); b++) {
                writtenOnPremises.add(b);
            }
        }
        Path azureDisk = system.azureStorageDir().resolve("vms/" + vm + "/disk-0.img");
        Path onPremisesDisk = system.hostStorageDir(host.id()).resolve("vms/" + vm + "/disk-0.img");
        assertEquals(diskBytes, Files.size(onPremisesDisk));
        int blockSize = changed.path("blockSize").asInt();
        long identical = 0;
        try (InputStream a = Files.newInputStream(azureDisk); InputStream b = Files.newInputStream(onPremisesDisk)) {
            for (long block = 0;; block++) {
                byte[] x = a.readNBytes(blockSize);
                byte[] y = b.readNBytes(blockSize);
                if (x.length == 0) {
                    break;
                }
                if (!writtenOnPremises.contains(block)) {
                    assertTrue(Arrays.equals(x, y), vm + ": block " + block + " differs from Azure's and was not written on-premises");
                    identical++;
                }
            }
        }
        assertEquals(diskBytes / blockSize - writtenOnPremises.size(), identical, vm);
    }
}
