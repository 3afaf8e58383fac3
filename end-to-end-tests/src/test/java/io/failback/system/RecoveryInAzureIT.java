package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What Azure does for a protected VM besides planned failover, on real processes: a test failover while protection
 * goes on and its cleanup, repair replication of a replica changed behind its back, an unplanned failover after the
 * on-premises host is lost, failback with a full download after the on-premises VM was deleted, and disable
 * protection. Every VM started from the replica holds the on-premises disk's
 * bytes in every block it has not written itself since.
 */
class RecoveryInAzureIT {
    private static final long DISK_BYTES = 16L << 20;
    private static final int BLOCK = SystemTests.BLOCK_BYTES;
    private static final String VM = "vm-dr";
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("azure-recovery", builder -> builder
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "2s")
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_PROVIDER_HEARTBEAT_TIMEOUT", "6s")
            // A heartbeat a second, so that a busy machine never lets a live host look lost within those 6 s.
            .environment("host-agent-host-a", "HOST_AGENT_HEARTBEAT_INTERVAL", "1s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void testFailoverRepairUnplannedFailoverFailbackToADeletedVmAndDisableProtection() throws Exception {
        HostAgent host = system.hosts().get(0);
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + VM);
        api.send("PUT", hostVm, """
                {"disks": [{"diskId": "disk-0", "sizeBytes": %d, "blockSize": 65536}], "virtualSwitchName": "%s",
                 "contentSeed": 21, "zeroPercent": 30}""".formatted(DISK_BYTES, host.virtualSwitches().get(0)), 201);
        api.send("PUT", URI.create(hostVm + "/workload"), """
                {"pattern": "RandomSmall", "writesPerSecond": 300, "writeSizeBytes": 4096, "seed": 21}""", 200);
        api.send("POST", URI.create(hostVm + "/start"), "", 200);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        succeeded(api.enableProtection(VM, host.id(), host.virtualSwitches().get(0)).path("properties").path("currentScenario")
                .path("jobId").asText());

        // The on-premises VM stops; once a cycle after that has replicated, the replica holds its disk exactly.
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        Instant stopped = Instant.now();
        awaitItem(item -> item.path("lastReplicatedTime").isTextual() && Instant.parse(item.path("lastReplicatedTime").asText()).isAfter(stopped));
        Path onPremisesDisk = system.hostStorageDir(host.id()).resolve("vms/" + VM + "/disk-0.img");
        Path replicaDisk = system.azureStorageDir().resolve("replicas/" + VM + "/disk-0.img");
        String onPremises = SystemTests.diskDigest(onPremisesDisk);
        assertEquals(onPremises, SystemTests.diskDigest(replicaDisk), "the replica holds the stopped VM's disk");

        // Test failover: a separate VM from the recovery point; the item stays protected and only cleanup is allowed.
        succeeded(post("/testFailover", "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"networkType\": \"NoNetwork\"}}"));
        String testVm = VM + "-test";
        JsonNode tested = api.item(VM).path("properties");
        assertEquals("Protected", tested.path("protectionState").asText());
        assertEquals("TestFailoverCompleted", tested.path("testFailoverState").asText());
        assertEquals("[\"TestFailoverCleanup\"]", tested.path("allowedOperations").toString());
        assertHoldsOnPremisesBytes(testVm, onPremisesDisk);
        HttpResponse<String> refused = api.exchange("POST", item("/plannedFailover"),
                "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\"}}");
        assertEquals(409, refused.statusCode(), refused.body());
        Instant tested2 = Instant.now();
        awaitItem(item -> Instant.parse(item.path("lastReplicatedTime").asText()).isAfter(tested2)); // replication goes on
        succeeded(post("/testFailoverCleanup", "{\"properties\": {\"comments\": \"boots\"}}"));
        assertFalse(api.exists(system.azureSimUrl().resolve("/api/vms/" + testVm)), "the test VM is gone");
        assertFalse(Files.exists(system.azureStorageDir().resolve("vms/" + testVm + "/disk-0.img")), "and its disk");

        // Repair replication: blocks of the replica changed behind replication's back are found by their hashes.
        long[] corrupted = {3, 4, 77, 150, 255};
        try (RandomAccessFile file = new RandomAccessFile(replicaDisk.toFile(), "rw")) {
            Random random = new Random(5);
            for (long block : corrupted) {
                byte[] garbage = new byte[BLOCK];
                random.nextBytes(garbage);
                file.seek(block * BLOCK);
                file.write(garbage);
            }
        }
        JsonNode repaired = succeeded(post("/repairReplication", null));
        JsonNode progress = repaired.path("tasks").get(1).path("progress");
        assertEquals(corrupted.length * (long) BLOCK, progress.path("bytesToSend").asLong(), "only the changed blocks: " + progress);
        assertEquals(onPremises, SystemTests.diskDigest(replicaDisk), "the replica holds the VM's disk again");
        assertEquals(onPremises, repaired.path("customDetails").path("verifications").get(0).path("targetDigest").asText());

        // The host is lost: unplanned failover from the recovery point, without it.
        system.killService(host.serviceName());
        try {
            awaitNotConnected(host.id());
            HttpResponse<String> needsHost = api.exchange("POST", item("/unplannedFailover"),
                    "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"sourceSiteOperations\": \"Required\"}}");
            assertEquals(409, needsHost.statusCode(), needsHost.body());
            JsonNode failedOver = succeeded(post("/unplannedFailover",
                    "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"sourceSiteOperations\": \"NotRequired\"}}"));
            assertEquals("UnplannedFailover", failedOver.path("scenarioName").asText());
            assertHoldsOnPremisesBytes(VM, onPremisesDisk);
            JsonNode item = api.item(VM).path("properties");
            assertEquals("PlannedFailoverCommitRequired", item.path("protectionState").asText(), item.toPrettyString());
            assertEquals("Recovery", item.path("activeLocation").asText());
            succeeded(post("/failoverCommit", null));
            assertEquals("FailoverCompleted", api.item(VM).path("properties").path("protectionState").asText());
        } finally {
            system.startService(host.serviceName());
        }

        // The host comes back without the VM (rebuilt, or the VM was deleted): a full download creates it again on the
        // switch of the same name, with every byte the Azure VM had at shutdown.
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.send("DELETE", hostVm, "", 200);
        assertFalse(Files.exists(onPremisesDisk), "the on-premises VM and its disk are gone");
        succeeded(api.failbackWithFullDownload(VM, "CreateVmIfNotFound"));
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, VM, DISK_BYTES);
        succeeded(post("/failoverCommit", null));
        assertFalse(api.exists(system.azureSimUrl().resolve("/api/vms/" + VM)), "Commit deleted the Azure VM");

        // Disable protection: the replica Commit kept goes, then the item; the VM stays on-premises.
        succeeded(post("/remove", "{\"properties\": {\"disableProtectionReason\": \"NotSpecified\"}}"));
        assertFalse(api.exists(item("")), "the item is removed");
        assertFalse(api.exists(system.azureSimUrl().resolve("/api/replicas/" + VM)), "its replica is deleted");
        assertFalse(Files.exists(replicaDisk), "with its disk");
        assertTrue(api.exists(hostVm), "the VM stays on-premises");
    }

    private static URI item(String operation) {
        return system.jobServiceUrl().resolve("/api/replicationProtectedItems/" + VM + operation);
    }

    private static String post(String operation, String body) {
        return api.send("POST", item(operation), body == null ? "" : body, 202).path("name").asText();
    }

    private static JsonNode succeeded(String jobName) {
        JsonNode job = api.awaitJobEnd(jobName, JOB_TIMEOUT, update -> {
        }).path("properties");
        assertEquals("Succeeded", job.path("state").asText(), job.toPrettyString());
        return job;
    }

    private static JsonNode awaitItem(Predicate<JsonNode> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode item = api.item(VM).path("properties");
        while (!condition.test(item)) {
            assertTrue(System.nanoTime() < deadline, "the item never got there: " + item.toPrettyString());
            Thread.sleep(250);
            item = api.item(VM).path("properties");
        }
        return item;
    }

    private static void awaitNotConnected(String providerId) throws InterruptedException {
        URI provider = system.jobServiceUrl().resolve("/api/replicationRecoveryServicesProviders/" + providerId);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"NotConnected".equals(api.get(provider).path("properties").path("connectionStatus").asText())) {
            assertTrue(System.nanoTime() < deadline, "host " + providerId + " still counts as connected");
            Thread.sleep(250);
        }
    }

    /**
     * The Azure VM started from the replica, and writes since: every block it has not written holds the on-premises
     * disk's bytes. Its file is read first and its changed blocks asked for after, so a block written during the read
     * is among those left out.
     */
    private static void assertHoldsOnPremisesBytes(String azureVm, Path onPremisesDisk) throws IOException {
        JsonNode vm = api.get(system.azureSimUrl().resolve("/api/vms/" + azureVm));
        assertEquals(VM, vm.path("replicaOrigin").path("itemName").asText(), "made from the item's replica: " + vm);
        long origin = vm.path("replicaOrigin").path("trackingPoints").path("disk-0").asLong();
        byte[][] azureBlocks = blocks(system.azureStorageDir().resolve("vms/" + azureVm + "/disk-0.img"));
        JsonNode changed = api.get(system.azureSimUrl().resolve("/api/vms/" + azureVm + "/disks/disk-0/changed-blocks?since=" + origin));
        Set<Long> writtenInAzure = new HashSet<>();
        for (JsonNode range : changed.path("ranges")) {
            for (long b = range.get(0).asLong(); b < range.get(0).asLong() + range.get(1).asLong(); b++) {
                writtenInAzure.add(b);
            }
        }
        byte[][] onPremisesBlocks = blocks(onPremisesDisk);
        assertEquals(onPremisesBlocks.length, azureBlocks.length);
        assertTrue(writtenInAzure.size() < azureBlocks.length / 2, "most blocks are compared: " + writtenInAzure.size() + " left out");
        for (int b = 0; b < azureBlocks.length; b++) {
            if (!writtenInAzure.contains((long) b)) {
                assertTrue(Arrays.equals(onPremisesBlocks[b], azureBlocks[b]), azureVm + " block " + b + " differs from on-premises");
            }
        }
    }

    private static byte[][] blocks(Path image) throws IOException {
        byte[][] blocks = new byte[(int) (DISK_BYTES / BLOCK)][];
        try (InputStream in = Files.newInputStream(image)) {
            for (int b = 0; b < blocks.length; b++) {
                blocks[b] = in.readNBytes(BLOCK);
            }
        }
        return blocks;
    }
}
