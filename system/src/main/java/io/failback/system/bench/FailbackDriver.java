package io.failback.system.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.FailbackApi;
import io.failback.system.HostAgent;
import io.failback.system.LocalSystem;
import io.failback.system.bench.Measurements.AzureChange;
import io.failback.system.bench.Measurements.DeltaRun;
import io.failback.system.bench.Measurements.FullDownload;
import io.failback.system.bench.Measurements.TaskReport;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Drives failbacks through the public APIs, as a user would, and times them from the client's side. The poll interval
 * is part of what is measured, so jobs are polled more often than FailbackApi does, but not too often either: every
 * poll costs job-service a database read, and at 20 polls a second a minute-long copy lost a sixth of a core to them.
 */
final class FailbackDriver {
    /** Polls come every twentieth of the time waited so far, within these bounds: the error stays near 5%. */
    private static final long MIN_POLL_MILLIS = 50;
    private static final long MAX_POLL_MILLIS = 250;

    private final LocalSystem system;
    private final FailbackApi api;
    private final HostAgent host;
    private final URI jobs;
    private final URI azure;
    private final URI hostAgent;
    private final Duration timeout;

    FailbackDriver(LocalSystem system, Duration timeout) {
        this.system = system;
        this.api = new FailbackApi(system.jobServiceUrl(), system.azureSimUrl());
        this.host = system.hosts().get(0);
        this.jobs = system.jobServiceUrl();
        this.azure = system.azureSimUrl();
        this.hostAgent = system.hostAgentUrl(host.id());
        this.timeout = timeout;
    }

    FailbackApi api() {
        return api;
    }

    void awaitHostConnected() {
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
    }

    /** An idle VM in Azure with one disk shaped like performance.md's image: 1 MiB extents, 43% of them zero. */
    void createAzureVm(String vm, long diskBytes) {
        api.send("POST", azure.resolve("/api/vms"), """
                {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": 1, "zeroPercent": 43,
                 "workload": {"pattern": "RandomSmall", "writesPerSecond": 0, "writeSizeBytes": 4096, "seed": 1}}"""
                .formatted(vm, diskBytes), 201);
    }

    /** ForSynchronization + CreateVmIfNotFound of a VM the host does not have yet. */
    FullDownload fullDownload(String vm) {
        register(vm, vm);
        Usage before = Usage.of(system);
        Instant posted = Instant.now();
        String job = api.failbackWithFullDownload(vm, "CreateVmIfNotFound");
        JsonNode done = awaitJob(job, "Succeeded");
        double seconds = secondsSince(posted);
        Usage usage = Usage.of(system).since(before);
        requireProven(done);
        return new FullDownload(job, seconds, TaskReport.all(done), usage, stopHostVm(vm));
    }

    /**
     * ForDownTime + NoAction after the Azure disk changed. The item of the previous failback waits for its commit
     * (PlannedFailoverCommitRequired), so each run registers a new item for the same pair of VMs.
     */
    DeltaRun deltaFailback(String item, String vm, int targetPercent, AzureChange change, long hostBlocksBefore) {
        String state = api.get(azure.resolve("/api/vms/" + vm)).path("state").asText();
        if (!state.equals("Running")) {
            throw new IllegalStateException("the Azure VM must run before a ForDownTime failback; it is " + state);
        }
        register(item, vm);
        Usage start = Usage.of(system);
        Instant posted = Instant.now();
        String job = api.failback(item, "ForDownTime", "NoAction", null);
        awaitJob(job, "Suspended");
        double phase1 = secondsSince(posted);
        Usage phase1End = Usage.of(system);

        Instant resumed = Instant.now();
        api.resume(job);
        JsonNode done = awaitJob(job, "Succeeded");
        double phase2 = secondsSince(resumed);
        Usage phase2End = Usage.of(system);
        requireProven(done);
        // The SnapshotSynchronization task's counters are final once the job is Suspended, so the ended job has them all.
        return new DeltaRun(targetPercent, job, change, hostBlocksBefore, phase1, phase1End.since(start), phase2,
                phase2End.since(phase1End), TaskReport.all(done), stopHostVm(vm));
    }

    /**
     * Stops the on-premises VM (a failback starts it with a light default workload) and answers how many blocks it
     * wrote since it started: those differ from Azure as well, and the next delta has to send them back.
     */
    long stopHostVm(String vm) {
        URI hostVm = hostAgent.resolve("/api/vms/" + vm);
        JsonNode stopped = api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        long since = stopped.path("disks").get(0).path("verifiedTrackingPoint").asLong(0);
        return api.get(URI.create(hostVm + "/disks/disk-0/changed-blocks?since=" + since)).path("blockCount").asLong();
    }

    /**
     * Times the SHA-256 of the whole disk on each site, alone, with both VMs stopped: every copy that ends a failback
     * computes both, so this is the part of phase 2 that does not depend on how much changed.
     */
    double[] digestSeconds(String vm) {
        double[] seconds = new double[2];
        URI[] sites = {azure, hostAgent};
        for (int i = 0; i < sites.length; i++) {
            Instant start = Instant.now();
            api.get(sites[i].resolve("/api/vms/" + vm + "/disks/disk-0/digest"));
            seconds[i] = secondsSince(start);
        }
        return seconds;
    }

    /** Removes a repetition's VMs from both sites so that repetitions do not pile up disks. */
    void deleteVms(String vm) {
        api.exchange("DELETE", azure.resolve("/api/vms/" + vm), null);
        api.exchange("DELETE", hostAgent.resolve("/api/vms/" + vm), null);
    }

    private void register(String item, String vm) {
        api.send("PUT", jobs.resolve("/api/replicationProtectedItems/" + item), """
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s", "primaryVmName": "%s",
                  "primaryVirtualSwitchName": "%s", "recoveryAzureVmName": "%s"}}"""
                .formatted(host.id(), vm, host.virtualSwitches().get(0), vm), 201);
    }

    /** Polls until the job reaches {@code wanted}; a job that fails or ends otherwise stops the benchmark. */
    private JsonNode awaitJob(String job, String wanted) {
        Instant start = Instant.now();
        Instant deadline = start.plus(timeout);
        while (true) {
            JsonNode current = api.job(job);
            String state = current.path("properties").path("state").asText();
            if (state.equals(wanted)) {
                return current;
            }
            if (List.of("Succeeded", "Failed", "Cancelled", "Suspended").contains(state)) {
                throw new IllegalStateException("job " + job + " ended " + state + " instead of " + wanted + ": "
                        + current.path("properties").path("errors") + "; see the logs in " + system.logDir());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("job " + job + " is still " + state + " after " + timeout.toSeconds() + " s");
            }
            long waited = Duration.between(start, Instant.now()).toMillis();
            sleep(Duration.ofMillis(Math.max(MIN_POLL_MILLIS, Math.min(MAX_POLL_MILLIS, waited / 20))));
        }
    }

    /** The job must prove every disk: SHA-256 of the Azure disk equal to the on-premises disk's. */
    private static void requireProven(JsonNode job) {
        JsonNode verifications = job.path("properties").path("customDetails").path("verifications");
        if (verifications.size() == 0) {
            throw new IllegalStateException("job " + job.path("name").asText() + " succeeded without disk verifications");
        }
        for (JsonNode disk : verifications) {
            String source = disk.path("sourceDigest").asText();
            if (source.isEmpty() || !source.equals(disk.path("targetDigest").asText())) {
                throw new IllegalStateException("disk " + disk.path("diskId").asText() + " of job " + job.path("name").asText()
                        + " is not proven: " + disk);
            }
        }
    }

    static double secondsSince(Instant start) {
        return Duration.between(start, Instant.now()).toNanos() / 1e9;
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
