package io.failback.system;

import static io.failback.system.SystemTests.assertProven;
import static io.failback.system.SystemTests.succeeded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's whole story for one VM through the REST API, on real processes, with both VMs writing while they run:
 * protect (initial then ongoing replication), planned failover to Azure, Commit, failback with ForDownTime while the
 * Azure VM keeps writing, "Complete Failover", Commit (the Azure VM and its disks are gone), and Reverse Replicate,
 * which sends exactly the blocks written on-premises since the failback. Every step that moves data ends with the
 * same SHA-256 on both sides.
 */
class ProtectionLifecycleIT {
    private static final long DISK_BYTES = 64L << 20;
    private static final String VM = "vm-story";
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("story",
            builder -> builder.environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "2s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void protectFailOverCommitFailBackCommitAndReverseReplicate() throws Exception {
        HostAgent host = system.hosts().get(0);
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + VM);
        URI azureVm = system.azureSimUrl().resolve("/api/vms/" + VM);
        SystemTests.startOnPremisesVm(system, api, host, VM, DISK_BYTES, 11, "HotSpot", 300);

        // Protect: initial replication from a snapshot of the running VM, proven, then ongoing replication.
        JsonNode protecting = api.enableProtection(VM, host.id(), host.virtualSwitches().get(0));
        JsonNode enabled = succeeded(api, protecting.path("properties").path("currentScenario").path("jobId").asText());
        assertEquals("EnableProtection", enabled.path("scenarioName").asText());
        assertProven(enabled);
        JsonNode item = api.item(VM).path("properties");
        assertEquals("Protected", item.path("protectionState").asText(), item.toPrettyString());
        assertTrue(item.path("rpoInSeconds").isNumber(), "a protected item reports its RPO: " + item);
        Instant firstPoint = Instant.parse(item.path("lastReplicatedTime").asText());
        JsonNode replicated = awaitItem(i -> Instant.parse(i.path("lastReplicatedTime").asText()).isAfter(firstPoint));
        assertEquals("Normal", replicated.path("replicationHealth").asText());

        // Planned failover to Azure: nothing written on-premises is left behind.
        JsonNode failover = succeeded(api, api.failoverToAzure(VM));
        assertProven(failover);
        assertEquals("Off", api.get(hostVm).path("state").asText());
        String onPremisesAtFailover = SystemTests.diskDigest(system.hostStorageDir(host.id()).resolve("vms/" + VM + "/disk-0.img"));
        assertEquals(onPremisesAtFailover, failover.path("customDetails").path("verifications").get(0).path("targetDigest").asText(),
                "the replica holds the on-premises disk as it was at shutdown");
        assertEquals("Running", api.get(azureVm).path("state").asText());
        item = api.item(VM).path("properties");
        assertEquals("PlannedFailoverCommitRequired", item.path("protectionState").asText());
        assertEquals("Recovery", item.path("activeLocation").asText());

        succeeded(api, api.commit(VM));
        item = api.item(VM).path("properties");
        assertEquals("FailoverCompleted", item.path("protectionState").asText());
        assertTrue(item.path("allowedOperations").toString().contains("PlannedFailover"), item.toPrettyString());

        // Failback with ForDownTime while the Azure VM keeps writing.
        api.send("PUT", URI.create(azureVm + "/workload"), """
                {"pattern": "HotSpot", "writesPerSecond": 400, "writeSizeBytes": 4096, "seed": 12}""", 200);
        JsonNode estimate = api.get(system.jobServiceUrl().resolve("/api/replicationProtectedItems/" + VM + "/failbackEstimate"));
        assertEquals(DISK_BYTES, estimate.path("diskBytes").asLong(), estimate.toPrettyString());
        assertTrue(estimate.path("blocksWrittenInAzureSinceFailover").asLong() > 0, estimate.toPrettyString());
        JsonNode fullDownload = estimate.path("options").get(0);
        JsonNode delta = estimate.path("options").get(1);
        assertEquals("ForSynchronization", fullDownload.path("dataSyncOption").asText());
        assertEquals("ForDownTime", delta.path("dataSyncOption").asText());
        assertTrue(delta.path("bytesToSend").asLong() < fullDownload.path("bytesToSend").asLong(),
                "the Azure VM came from the replica, so a delta sends less than the disk: " + estimate.toPrettyString());
        assertTrue(delta.path("downtimeSeconds").asLong() <= fullDownload.path("downtimeSeconds").asLong(), estimate.toPrettyString());
        String failback = api.failback(VM, "ForDownTime", "NoAction", null);
        assertEquals("Suspended", api.awaitJobState(failback, Duration.ofSeconds(120), "Suspended", "Failed")
                .path("properties").path("state").asText());
        SystemTests.awaitNextWrite(api, URI.create(azureVm + "/disks/disk-0")); // the Azure VM keeps writing between the phases
        api.resume(failback);
        assertProven(succeeded(api, failback));
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, VM, DISK_BYTES);

        // Commit: the Azure VM and its disks are deleted; Azure keeps their final state as the replica.
        succeeded(api, api.commit(VM));
        assertFalse(api.exists(azureVm), "Commit deletes the Azure VM");
        assertFalse(system.azureStorageDir().resolve("vms/" + VM + "/disk-0.img").toFile().exists(), "and its disks");
        item = api.item(VM).path("properties");
        assertEquals("FailoverCompleted", item.path("protectionState").asText());
        assertEquals("Primary", item.path("activeLocation").asText());
        assertEquals("[\"ReverseReplicate\",\"DisableProtection\"]", item.path("allowedOperations").toString());

        // The on-premises VM runs and writes; then Reverse Replicate sends exactly what it wrote since the failback.
        long writtenBytes = SystemTests.writeOnPremisesSinceFailback(system, api, host, VM);

        JsonNode reprotect = succeeded(api, api.reverseReplicate(VM));
        assertEquals("Reprotect", reprotect.path("scenarioName").asText());
        assertProven(reprotect);
        JsonNode replicationTask = reprotect.path("tasks").get(1);
        assertEquals("ReplicateToAzure", replicationTask.path("name").asText());
        assertEquals(writtenBytes, replicationTask.path("progress").path("bytesToSend").asLong(),
                "Reverse Replicate sends only the blocks written on-premises since the failback");
        String onPremises = SystemTests.diskDigest(system.hostStorageDir(host.id()).resolve("vms/" + VM + "/disk-0.img"));
        assertEquals(onPremises, reprotect.path("customDetails").path("verifications").get(0).path("targetDigest").asText());
        assertNotEquals(onPremisesAtFailover, onPremises);
        item = api.item(VM).path("properties");
        assertEquals("Protected", item.path("protectionState").asText());
        assertEquals("Primary", item.path("activeLocation").asText());
    }

    /** The same story through the Kafka command API alone: requests on asr.operations, every state read from Kafka. */
    @Test
    void theWholeStoryThroughKafkaCommandsAlone() throws Exception {
        HostAgent host = system.hosts().get(0);
        String vm = "vm-kafka";
        SystemTests.startOnPremisesVm(system, api, host, vm, DISK_BYTES, 21, "RandomSmall", 200);
        Duration jobTimeout = Duration.ofSeconds(180);

        try (KafkaAutomation kafka = new KafkaAutomation(system.kafkaBootstrapServers())) {
            String protect = kafka.request("EnableProtection", vm, """
                    {"activeLocation": "Primary", "primaryProviderId": "%s", "primaryVirtualSwitchName": "%s"}"""
                    .formatted(host.id(), host.virtualSwitches().get(0)));
            assertProven(kafka.awaitSucceeded(protect, jobTimeout));
            kafka.awaitItem(vm, "Protected", jobTimeout);

            assertProven(kafka.awaitSucceeded(kafka.request("PlannedFailover", vm, "{\"failoverDirection\": \"PrimaryToRecovery\"}"),
                    jobTimeout));
            kafka.awaitSucceeded(kafka.request("FailoverCommit", vm, null), jobTimeout);

            String failback = kafka.request("PlannedFailover", vm, """
                    {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "HyperVReplicaAzureFailback",
                      "dataSyncOption": "ForDownTime", "recoveryVmCreationOption": "NoAction"}}""");
            assertEquals("Suspended", kafka.awaitJob(failback, jobTimeout, "Suspended", "Failed").path("state").asText());
            assertEquals(failback, kafka.request("ResumeJob", failback, null));
            assertProven(kafka.awaitSucceeded(failback, jobTimeout));
            SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, DISK_BYTES);

            kafka.awaitSucceeded(kafka.request("FailoverCommit", vm, null), jobTimeout);
            assertFalse(api.exists(system.azureSimUrl().resolve("/api/vms/" + vm)), "Commit deletes the Azure VM");

            long writtenBytes = SystemTests.writeOnPremisesSinceFailback(system, api, host, vm);
            JsonNode reprotect = kafka.awaitSucceeded(kafka.request("Reprotect", vm, null), jobTimeout);
            assertProven(reprotect);
            assertEquals(writtenBytes,
                    reprotect.path("tasks").get(1).path("progress").path("bytesToSend").asLong(),
                    "Reverse Replicate sends only the blocks written on-premises since the failback");
            assertEquals(SystemTests.diskDigest(system.hostStorageDir(host.id()).resolve("vms/" + vm + "/disk-0.img")),
                    reprotect.path("customDetails").path("verifications").get(0).path("targetDigest").asText());
            kafka.awaitItem(vm, "Protected", jobTimeout);
        }
    }

    private static JsonNode awaitItem(java.util.function.Predicate<JsonNode> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode item = api.item(VM).path("properties");
            if (condition.test(item)) {
                return item;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the item never reached the expected state: " + api.item(VM).toPrettyString());
    }
}
