package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;

/**
 * The data-moving phases a fault can hit, each driven on real processes from start to {@code Succeeded} with no
 * Restart pressed, the fault injected once the phase's copy is under way, and the disks then compared byte for byte by
 * reading their image files. The sites are reached by sync-service through {@link FaultInjectingProxy proxies}
 * (see {@link #route}); each phase's copy is paced by the proxies so that it lasts about {@link #COPY_TIME} whatever
 * the disk, long enough to be hit in the middle and short enough for the build.
 */
final class FaultScenarios {
    /** Small: the proxies' pacing, not the disk's size, makes a copy last long enough. */
    static final long DISK_BYTES = 32L << 20;
    /** How long the copy under test lasts; the fault comes once a quarter of it is sent. */
    static final Duration COPY_TIME = Duration.ofSeconds(8);
    /** A restarted part comes back after this, as after a reboot or a rescheduled pod. */
    static final Duration DOWN_TIME = Duration.ofSeconds(3);
    /** What Azure (phase 2) or the host (Reverse Replicate) writes before a delta copy: half the disk. */
    private static final long DELTA_BYTES = DISK_BYTES / 2;

    /** What hits a copy in the middle; returns once the system is whole again (or once the fault is set going). */
    @FunctionalInterface
    interface Fault {
        void inject() throws Exception;
    }

    private final LocalSystem system;
    private final FailbackApi api;
    private final HostAgent host;
    private final FaultInjectingProxy azureLink;
    private final FaultInjectingProxy hostLink;

    FaultScenarios(LocalSystem system, FailbackApi api, FaultInjectingProxy azureLink, FaultInjectingProxy hostLink) {
        this.system = system;
        this.api = api;
        this.host = system.hosts().get(0);
        this.azureLink = azureLink;
        this.hostLink = hostLink;
        azureLink.forwardTo(system.azureSimUrl());
        hostLink.forwardTo(system.hostAgentUrl(host.id()));
    }

    /**
     * sync-service reaches azure-sim through {@code azureLink} and the (one, default) host through {@code hostLink}: it
     * learns azure-sim's URL from its environment and the host's from the host's heartbeat, which advertises the proxy.
     */
    static LocalSystem.Builder route(LocalSystem.Builder builder, FaultInjectingProxy azureLink, FaultInjectingProxy hostLink) {
        return builder
                .environment(LocalSystem.SYNC_SERVICE, "FAILBACK_AZURE_URL", azureLink.url().toString())
                .environment(HostAgent.defaultHost().serviceName(), "HOST_AGENT_ADVERTISED_URL", hostLink.url().toString());
    }

    /** {@code kill -9} of a part, and the part started again after {@link #DOWN_TIME}. */
    Fault killAndRestart(String part) {
        return () -> {
            system.killService(part);
            Thread.sleep(DOWN_TIME.toMillis());
            system.startService(part);
        };
    }

    /** A graceful stop of a part (the Kafka broker, PostgreSQL), and the part started again after {@link #DOWN_TIME}. */
    Fault stopAndRestart(String part) {
        return () -> {
            system.stopService(part);
            Thread.sleep(DOWN_TIME.toMillis());
            system.startService(part);
        };
    }

    /** ForSynchronization (full download) of a quiet Azure VM; the fault hits the copy. */
    void fullDownload(String vm, long seed, Fault fault) throws Exception {
        createAzureVm(vm, seed, 0);
        pace(DISK_BYTES);
        String job = api.failbackWithFullDownload(vm, "CreateVmIfNotFound");
        hitMidCopy(job, "DataSynchronization", DISK_BYTES, fault);
        awaitSucceeded(job);
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, DISK_BYTES);
    }

    /** ForDownTime; the fault hits phase 1, the snapshot's copy, while the Azure VM writes. */
    void forDownTimePhase1(String vm, long seed, Fault fault) throws Exception {
        createAzureVm(vm, seed, 200);
        pace(DISK_BYTES);
        String job = api.failback(vm, "ForDownTime", "CreateVmIfNotFound", null);
        hitMidCopy(job, "SnapshotSynchronization", DISK_BYTES, fault);
        awaitSuspended(job);
        azureLink.fullSpeed();
        hostLink.fullSpeed();
        api.resume(job);
        awaitSucceeded(job);
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, DISK_BYTES);
    }

    /** ForDownTime; phase 1 at full speed, then Azure writes half the disk, and the fault hits phase 2's delta. */
    void forDownTimePhase2(String vm, long seed, Fault fault) throws Exception {
        createAzureVm(vm, seed, 200);
        fullSpeed();
        String job = api.failback(vm, "ForDownTime", "CreateVmIfNotFound", null);
        awaitSuspended(job);
        URI azureVm = system.azureSimUrl().resolve("/api/vms/" + vm);
        writeSequentially(azureVm, seed, DELTA_BYTES);
        pace(DELTA_BYTES);
        api.resume(job);
        hitMidCopy(job, "FinalDeltaSynchronization", DELTA_BYTES, fault);
        awaitSucceeded(job);
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, DISK_BYTES);
    }

    /**
     * A full failback and Commit at full speed, then the on-premises VM writes half the disk, and the fault hits the
     * Reverse Replicate copy of those blocks to Azure's replica; the replica ends identical to the stopped VM's disk.
     */
    void reverseReplicate(String vm, long seed, Fault fault) throws Exception {
        createAzureVm(vm, seed, 0);
        fullSpeed();
        awaitSucceeded(api.failbackWithFullDownload(vm, "CreateVmIfNotFound"));
        SystemTests.succeeded(api, api.commit(vm));
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        api.send("POST", URI.create(hostVm + "/start"), "", 200);
        writeSequentially(hostVm, seed, DELTA_BYTES);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);

        pace(DELTA_BYTES);
        String job = api.reverseReplicate(vm);
        hitMidCopy(job, "ReplicateToAzure", DELTA_BYTES, fault);
        awaitSucceeded(job);
        String onPremises = SystemTests.diskDigest(system.hostStorageDir(host.id()).resolve("vms/" + vm + "/disk-0.img"));
        String replica = SystemTests.diskDigest(system.azureStorageDir().resolve("replicas/" + vm + "/disk-0.img"));
        assertEquals(onPremises, replica, vm + ": Azure's replica holds the on-premises disk byte for byte");
    }

    /** Both links as fast as the sockets go. */
    void fullSpeed() {
        azureLink.fullSpeed();
        hostLink.fullSpeed();
    }

    /** Both links paced so that copying {@code bytes} takes about {@link #COPY_TIME}. */
    void pace(long bytes) {
        long bytesPerSecond = bytes * 1000 / COPY_TIME.toMillis();
        azureLink.slowLink(bytesPerSecond);
        hostLink.slowLink(bytesPerSecond);
    }

    /** A VM in Azure with a disk of seeded content and no zero blocks (every block travels), writing {@code writesPerSecond}. */
    private void createAzureVm(String vm, long seed, int writesPerSecond) {
        api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 0,
                 "workload": {"pattern": "RandomSmall", "writesPerSecond": %d, "writeSizeBytes": 4096, "seed": %d}}"""
                .formatted(vm, DISK_BYTES, seed, writesPerSecond, seed), 201);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
    }

    /** The running VM at {@code siteVm} writes one run after another until {@code bytes} of its disk changed, then stops writing. */
    private void writeSequentially(URI siteVm, long seed, long bytes) throws InterruptedException {
        URI disk = URI.create(siteVm + "/disks/disk-0");
        long from = api.get(URI.create(disk + "/changed-blocks?since=0")).path("trackingPoint").asLong();
        api.send("PUT", URI.create(siteVm + "/workload"), """
                {"pattern": "Sequential", "writesPerSecond": 400, "writeSizeBytes": 65536, "seed": %d}""".formatted(seed), 200);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (JsonNode changed = api.get(URI.create(disk + "/changed-blocks?since=" + from));
                changed.path("blockCount").asLong() * changed.path("blockSize").asLong() < bytes;
                changed = api.get(URI.create(disk + "/changed-blocks?since=" + from))) {
            assertTrue(System.nanoTime() < deadline, siteVm + " wrote only " + changed + " in 60 s");
            Thread.sleep(100);
        }
        api.send("PUT", URI.create(siteVm + "/workload"), """
                {"pattern": "Sequential", "writesPerSecond": 0, "writeSizeBytes": 65536, "seed": %d}""".formatted(seed), 200);
    }

    /**
     * Waits until the job's task {@code taskName} has sent a quarter of {@code bytesToCopy}, then injects the fault;
     * fails when the copy ended first (the fault would have hit nothing). job-service may be away meanwhile.
     */
    private void hitMidCopy(String job, String taskName, long bytesToCopy, Fault fault) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            JsonNode task = task(job, taskName);
            if (task != null) {
                String state = task.path("state").asText();
                assertTrue(!state.equals("Succeeded") && !state.equals("Failed"),
                        taskName + " ended before the fault could hit it: " + task);
                if (task.path("progress").path("bytesSent").asLong() >= bytesToCopy / 4) {
                    break;
                }
            }
            assertTrue(System.nanoTime() < deadline, taskName + " of " + job + " never got under way: " + task);
            Thread.sleep(100);
        }
        fault.inject();
    }

    private JsonNode task(String job, String taskName) {
        for (JsonNode task : api.job(job).path("properties").path("tasks")) {
            if (taskName.equals(task.path("name").asText())) {
                return task;
            }
        }
        return null;
    }

    private void awaitSuspended(String job) {
        JsonNode suspended = api.awaitJobState(job, Duration.ofSeconds(180), "Suspended", "Failed");
        assertEquals("Suspended", suspended.path("properties").path("state").asText(), suspended.toPrettyString());
    }

    /** The job ends {@code Succeeded} by itself (no Restart) and proved its disk; the links go back to full speed. */
    private void awaitSucceeded(String job) {
        JsonNode done = SystemTests.succeeded(api, job);
        fullSpeed();
        SystemTests.assertProven(done);
    }
}
