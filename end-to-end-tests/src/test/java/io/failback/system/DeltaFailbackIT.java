package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "Synchronize data before failover" (ForDownTime) on real processes while the Azure VM keeps writing: phase 1
 * copies a snapshot and suspends; "Complete Failover" shuts Azure down and sends only what changed since. The
 * on-premises disk must end equal to the Azure disk at shutdown, byte for byte.
 */
class DeltaFailbackIT {
    private static final long DISK_BYTES = 64L << 20;
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("delta");
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void failbackWithDeltaSyncLosesNoWritesOfTheRunningAzureVm() throws Exception {
        HostAgent host = system.hosts().get(0);
        api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                {"name": "vm-delta", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": 77,
                 "workload": {"pattern": "HotSpot", "writesPerSecond": 400, "writeSizeBytes": 4096, "seed": 77}}"""
                .formatted(DISK_BYTES), 201);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure("vm-delta", host.id(), host.virtualSwitches().get(0));

        String jobName = api.failback("vm-delta", "ForDownTime", "CreateVmIfNotFound", null);
        JsonNode suspended = api.awaitJobState(jobName, Duration.ofSeconds(120), "Suspended", "Failed");
        JsonNode properties = suspended.path("properties");
        assertEquals("Suspended", properties.path("state").asText(), suspended.toPrettyString());
        assertEquals("[\"Cancel\",\"Resume\"]", properties.path("allowedActions").toString());
        JsonNode snapshotTask = properties.path("tasks").get(2);
        assertEquals("SnapshotSynchronization", snapshotTask.path("name").asText());
        assertEquals("Succeeded", snapshotTask.path("state").asText());
        long phase1ToSend = snapshotTask.path("progress").path("bytesToSend").asLong();
        assertTrue(phase1ToSend < DISK_BYTES, "zero blocks equal on both sides do not travel: " + phase1ToSend);

        // Between the phases the half-synchronized on-premises VM must not boot, and Azure keeps running and writing.
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/vm-delta");
        HttpResponse<String> refused = api.exchange("POST", URI.create(hostVm + "/start"), "");
        assertEquals(409, refused.statusCode(), refused.body());
        assertEquals("Running", api.get(system.azureSimUrl().resolve("/api/vms/vm-delta")).path("state").asText());
        Thread.sleep(1500);

        api.resume(jobName);
        JsonNode done = api.awaitJobEnd(jobName, Duration.ofSeconds(120), update -> {
        });
        JsonNode finished = done.path("properties");
        assertEquals("Succeeded", finished.path("state").asText(), done.toPrettyString());
        JsonNode finalTask = finished.path("tasks").get(4);
        assertEquals("FinalDeltaSynchronization", finalTask.path("name").asText());
        long phase2ToSend = finalTask.path("progress").path("bytesToSend").asLong();
        assertTrue(phase2ToSend > 0 && phase2ToSend < DISK_BYTES / 2,
                "phase 2 sends only the blocks written since the snapshot: " + phase2ToSend);

        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, "vm-delta", DISK_BYTES);
        assertEquals(finished.path("customDetails").path("verifications").get(0).path("sourceDigest").asText(),
                finished.path("customDetails").path("verifications").get(0).path("targetDigest").asText());
    }

    @Test
    void deltaFailbackLosesNoWritesWhateverTheWorkloadOverManySeeds() throws Exception {
        HostAgent host = system.hosts().get(0);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        String[] patterns = {"RandomSmall", "Sequential", "HotSpot"};
        for (long seed = 1; seed <= 6; seed++) {
            Random random = new Random(seed);
            String vm = "vm-seed-" + seed;
            long diskBytes = (8L + random.nextInt(25)) << 20;
            String pattern = patterns[random.nextInt(patterns.length)];
            int rate = 500 + random.nextInt(2500);
            int writeSize = 4096 * (1 + random.nextInt(16));
            api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                    {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": %d,
                     "workload": {"pattern": "%s", "writesPerSecond": %d, "writeSizeBytes": %d, "seed": %d}}"""
                    .formatted(vm, diskBytes, seed, random.nextInt(80), pattern, rate, writeSize, seed), 201);
            api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
            String job = api.failback(vm, "ForDownTime", "CreateVmIfNotFound", null);
            String what = "seed " + seed + " (" + pattern + ", " + rate + " writes/s of " + writeSize + " bytes, " + (diskBytes >> 20) + " MiB)";
            assertEquals("Suspended", api.awaitJobState(job, Duration.ofSeconds(120), "Suspended", "Failed")
                    .path("properties").path("state").asText(), what);
            Thread.sleep(random.nextInt(1000)); // Azure keeps writing between the phases
            api.resume(job);
            assertEquals("Succeeded", api.awaitJobEnd(job, Duration.ofSeconds(120), update -> {
            }).path("properties").path("state").asText(), what);
            SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, diskBytes);
        }
    }

}
