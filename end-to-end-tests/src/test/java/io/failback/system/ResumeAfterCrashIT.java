package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Interruptions of a full download, on real processes: sync-service killed (SIGKILL) — the target stays inconsistent,
 * job-service hands the job to the restarted sync-service when its lease runs out, and the copy resumes from the
 * host's last durable checkpoint, sending only what was left; a cancel — the next failback completes the copy from the
 * checkpoint; job-service killed and restarted — the job still completes. Every copy ends byte-identical.
 */
class ResumeAfterCrashIT {
    private static final long DISK_BYTES = 768L << 20;
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("crash",
            builder -> builder.environment(LocalSystem.JOB_SERVICE, "FAILBACK_JOB_LEASE", "6s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void aFullDownloadResumesAfterSyncServiceIsKilledAndSendsOnlyWhatWasLeft() throws Exception {
        HostAgent host = system.hosts().get(0);
        quietAzureVmReadyToFailBack(host, "vm-crash", 5);

        String jobName = api.failbackWithFullDownload("vm-crash", "CreateVmIfNotFound");
        awaitBytesSent(jobName, DISK_BYTES * 2 / 5);
        system.killService(LocalSystem.SYNC_SERVICE);

        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/vm-crash");
        JsonNode disk = settledDisk(hostVm);
        assertEquals(false, disk.path("consistent").asBoolean(), "a half-copied disk is inconsistent");
        long checkpoint = disk.path("syncedThrough").asLong();
        int blockSize = disk.path("blockSize").asInt();
        assertTrue(checkpoint > 0, "the host recorded durable progress before the kill: " + disk);
        assertEquals(409, api.exchange("POST", URI.create(hostVm + "/start"), "").statusCode(), "it may not boot");

        system.startService(LocalSystem.SYNC_SERVICE);
        JsonNode done = SystemTests.succeeded(api, jobName);

        JsonNode copy = done.path("tasks").get(3);
        assertEquals("DataSynchronization", copy.path("name").asText());
        assertEquals(checkpoint * blockSize, copy.path("progress").path("bytesResumed").asLong(),
                "the resumed copy sends only the blocks after the checkpoint");
        assertEquals(DISK_BYTES, copy.path("progress").path("bytesSent").asLong(), "what was resumed counts as sent");
        String azureDigest = SystemTests.diskDigest(system.azureStorageDir().resolve("vms/vm-crash/disk-0.img"));
        JsonNode verification = done.path("customDetails").path("verifications").get(0);
        assertEquals(azureDigest, verification.path("sourceDigest").asText());
        assertEquals(azureDigest, verification.path("targetDigest").asText(), "byte-identical after the resume");
    }

    @Test
    void aCancelledFullDownloadLeavesTheDiskUnbootableAndTheNextFailbackCompletesItFromTheCheckpoint() throws Exception {
        HostAgent host = system.hosts().get(0);
        quietAzureVmReadyToFailBack(host, "vm-cancel", 6);

        String cancelled = api.failbackWithFullDownload("vm-cancel", "CreateVmIfNotFound");
        awaitBytesSent(cancelled, DISK_BYTES / 3);
        JsonNode afterCancel = api.send("POST", system.jobServiceUrl().resolve("/api/replicationJobs/" + cancelled + "/cancel"), "", 200)
                .path("properties");
        assertEquals("Cancelled", afterCancel.path("state").asText(), afterCancel.toPrettyString());
        assertEquals("Cancelled", afterCancel.path("tasks").get(3).path("state").asText());
        assertEquals(409, api.exchange("POST", system.jobServiceUrl().resolve("/api/replicationJobs/" + cancelled + "/cancel"), "")
                .statusCode(), "a cancelled job cannot be cancelled again");
        JsonNode item = api.item("vm-cancel").path("properties");
        assertTrue(item.path("allowedOperations").toString().contains("PlannedFailover"), "failback can be triggered again: " + item);

        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/vm-cancel");
        JsonNode disk = settledDisk(hostVm);
        long checkpoint = disk.path("syncedThrough").asLong();
        assertEquals(false, disk.path("consistent").asBoolean(), "a half-copied disk is inconsistent");
        assertTrue(checkpoint > 0 && checkpoint * disk.path("blockSize").asLong() < DISK_BYTES, "the stream stopped half-way: " + disk);
        assertEquals(409, api.exchange("POST", URI.create(hostVm + "/start"), "").statusCode(), "it may not boot");

        String again = api.failbackWithFullDownload("vm-cancel", "CreateVmIfNotFound");
        JsonNode done = SystemTests.succeeded(api, again);
        assertEquals(checkpoint * disk.path("blockSize").asLong(),
                done.path("tasks").get(3).path("progress").path("bytesResumed").asLong(),
                "the new failback sends only what the cancelled one had not made durable");
        String azureDigest = SystemTests.diskDigest(system.azureStorageDir().resolve("vms/vm-cancel/disk-0.img"));
        assertEquals(azureDigest, done.path("customDetails").path("verifications").get(0).path("targetDigest").asText());
        // The VM started on-premises and writes there: every block it did not write holds the Azure disk's bytes.
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, "vm-cancel", DISK_BYTES);
    }

    /**
     * Started through the ARM surface, as an Azure SDK would: after the restart the SDK's retry of the same POST (same
     * x-ms-client-request-id, as its pipeline sends after a lost connection) answers the same operation and starts
     * nothing, and the operation's status follows the job to its end.
     */
    @Test
    void jobServiceKilledMidFailbackAndRestartedStillCompletesTheJob() throws Exception {
        HostAgent host = system.hosts().get(0);
        quietAzureVmReadyToFailBack(host, "vm-restart", 7);

        URI failback = system.jobServiceUrl().resolve("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dr/providers/"
                + "Microsoft.RecoveryServices/vaults/vault/replicationFabrics/hyperv-site/replicationProtectionContainers/"
                + "hyperv-site-container/replicationProtectedItems/vm-restart/plannedFailover?api-version=2023-06-01");
        String body = """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization",
                  "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""";
        java.util.Map<String, String> requestId = java.util.Map.of("x-ms-client-request-id", "restart-" + java.util.UUID.randomUUID());
        java.net.http.HttpResponse<String> started = api.exchangeWithHeaders("POST", failback, body, requestId);
        assertEquals(202, started.statusCode(), started.body());
        String operation = started.headers().firstValue("Azure-AsyncOperation").orElseThrow();
        String jobName = FailbackApi.json(started.body()).path("name").asText();
        awaitBytesSent(jobName, DISK_BYTES / 4);
        system.killService(LocalSystem.JOB_SERVICE);
        // sync-service carries on meanwhile; its events wait in Kafka for job-service to come back.
        Thread.sleep(2000);
        system.startService(LocalSystem.JOB_SERVICE);

        java.net.http.HttpResponse<String> retried = api.exchangeWithHeaders("POST", failback, body, requestId);
        assertEquals(202, retried.statusCode(), retried.body());
        assertEquals(operation, retried.headers().firstValue("Azure-AsyncOperation").orElseThrow(), "the same operation");
        assertEquals(jobName, FailbackApi.json(retried.body()).path("name").asText(), "the same job, none new");
        JsonNode done = SystemTests.succeeded(api, jobName);
        assertEquals("Succeeded", api.get(URI.create(operation)).path("status").asText());
        assertEquals(1, api.get(system.jobServiceUrl().resolve("/api/replicationJobs?targetObjectId=vm-restart&scenarioName=PlannedFailover"))
                .path("value").size(), "one failback job for the item");
        String azureDigest = SystemTests.diskDigest(system.azureStorageDir().resolve("vms/vm-restart/disk-0.img"));
        assertEquals(azureDigest, done.path("customDetails").path("verifications").get(0).path("targetDigest").asText());
        assertEquals("PlannedFailoverCommitRequired", api.item("vm-restart").path("properties").path("protectionState").asText());
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, "vm-restart", DISK_BYTES);
    }

    /** A VM in Azure that writes nothing (so the copy can be timed and cut), registered to fail back to {@code host}. */
    private static void quietAzureVmReadyToFailBack(HostAgent host, String vm, long contentSeed) {
        api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 0,
                 "workload": {"pattern": "RandomSmall", "writesPerSecond": 0, "writeSizeBytes": 4096, "seed": 1}}"""
                .formatted(vm, DISK_BYTES, contentSeed), 201);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
    }

    /**
     * The host keeps writing what was already in its socket buffers after the sender died, and may record one more
     * checkpoint; the resume point is the checkpoint once it stops moving.
     */
    private static JsonNode settledDisk(URI hostVm) throws InterruptedException {
        JsonNode last = api.get(hostVm).path("disks").get(0);
        for (int unchanged = 0; unchanged < 20; ) {
            Thread.sleep(100);
            JsonNode now = api.get(hostVm).path("disks").get(0);
            unchanged = now.path("syncedThrough").equals(last.path("syncedThrough")) ? unchanged + 1 : 0;
            last = now;
        }
        return last;
    }

    private static void awaitBytesSent(String jobName, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode task = api.job(jobName).path("properties").path("tasks").get(3);
            if (task.path("progress").path("bytesSent").asLong() >= atLeast) {
                return;
            }
            if ("Succeeded".equals(task.path("state").asText())) {
                throw new AssertionError("the copy finished before it could be interrupted; use a larger disk");
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the copy never reached " + atLeast + " bytes");
    }
}
