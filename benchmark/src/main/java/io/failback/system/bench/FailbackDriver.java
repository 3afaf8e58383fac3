package io.failback.system.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.FailbackApi;
import io.failback.system.HostAgent;
import io.failback.system.LocalSystem;
import io.failback.system.bench.Measurements.AzureChange;
import io.failback.system.bench.Measurements.CatchUpReading;
import io.failback.system.bench.Measurements.DeltaRun;
import io.failback.system.bench.Measurements.EstimateReading;
import io.failback.system.bench.Measurements.FullDownload;
import io.failback.system.bench.Measurements.PlanRun;
import io.failback.system.bench.Measurements.ReverseReplication;
import io.failback.system.bench.Measurements.TaskReport;
import io.failback.system.bench.Measurements.WrittenSince;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Drives failbacks through the public APIs, as a user would (job-service over HTTPS with a Contributor token from the
 * system's own issuer), and times them from the client's side. Jobs are followed through their event streams rather
 * than polled: a poll interval would be part of every time measured, and polls cost job-service a database read each
 * (at 20 a second, a minute-long copy lost a sixth of a core to them).
 */
final class FailbackDriver {
    private final LocalSystem system;
    private final FailbackApi api;
    private final HostAgent host;
    private final URI jobs;
    private final URI azure;
    private final URI hostAgent;
    private final Duration timeout;
    private final HttpClient slowRequests;

    FailbackDriver(LocalSystem system, Duration timeout) {
        this.system = system;
        this.api = system.api();
        // What the API client trusts, and with TLS between services the identity it calls the sites with.
        this.slowRequests = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(system.jobServiceAccess().trust()).build();
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

    /**
     * Waits until job-service knows the host by {@code url} (from the host's heartbeats): the jobs it starts from then
     * on tell sync-service to reach the host there.
     */
    void awaitHostAdvertises(URI url) {
        URI provider = jobs.resolve("/api/replicationRecoveryServicesProviders/" + host.id());
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            JsonNode properties = api.get(provider).path("properties");
            if (properties.path("url").asText().equals(url.toString()) && properties.path("connectionStatus").asText().equals("Connected")) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("job-service does not know the host by " + url + " after 60 s: " + properties);
            }
            sleep(Duration.ofMillis(250));
        }
    }

    /**
     * An idle VM in Azure with one disk shaped like performance.md's image: 1 MiB extents, 43% of them zero. azure-sim
     * writes the content before it answers, which for a 16 GiB disk takes longer than FailbackApi's 30 s per request.
     */
    void createAzureVm(String vm, long diskBytes) {
        createAzureVm(vm, diskBytes, 43, 0);
    }

    /**
     * An idle VM in Azure with one disk of 1 MiB extents: {@code zeroPercent}% zeros, and of the others
     * {@code textPercent}% log-like text (compressible), the rest random bytes.
     */
    void createAzureVm(String vm, long diskBytes, int zeroPercent, int textPercent) {
        HttpRequest request = HttpRequest.newBuilder(azure.resolve("/api/vms")).timeout(timeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": 1, "zeroPercent": %d,
                         "textPercent": %d,
                         "workload": {"pattern": "RandomSmall", "writesPerSecond": 0, "writeSizeBytes": 4096, "seed": 1}}"""
                        .formatted(vm, diskBytes, zeroPercent, textPercent))).build();
        try {
            HttpResponse<String> response = slowRequests.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("creating " + vm + " in azure-sim answered " + response.statusCode() + ": " + response.body());
            }
        } catch (IOException e) {
            throw new IllegalStateException("creating " + vm + " in azure-sim failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** ForSynchronization + CreateVmIfNotFound of a VM the host does not have yet. */
    FullDownload fullDownload(String vm) {
        register(vm, vm);
        EstimateReading estimate = estimate(vm, "ForSynchronization");
        Usage before = Usage.of(system);
        Instant posted = Instant.now();
        String job = api.failbackWithFullDownload(vm, "CreateVmIfNotFound");
        JsonNode done = awaitJob(job, "Succeeded");
        double seconds = secondsSince(posted);
        Usage usage = Usage.of(system).since(before);
        requireProven(done);
        return new FullDownload(job, seconds, TaskReport.all(done), usage, stopHostVm(vm), estimate);
    }

    /**
     * A recovery plan of the VMs in one group, each created in Azure ({@code diskBytes}, shaped like the main disk) and
     * registered, fails back with a full download; its estimate is read just before the POST.
     */
    PlanRun planFailback(String plan, List<String> vms, long diskBytes) {
        for (String vm : vms) {
            createAzureVm(vm, diskBytes);
            register(vm, vm);
        }
        String items = String.join(", ", vms.stream().map(vm -> "{\"id\": \"" + vm + "\"}").toList());
        api.send("PUT", jobs.resolve("/api/replicationRecoveryPlans/" + plan), """
                {"properties": {"groups": [{"groupType": "Boot", "replicationProtectedItems": [%s]}]}}""".formatted(items), 201);
        EstimateReading estimate = estimateAt("/api/replicationRecoveryPlans/" + plan + "/failbackEstimate", plan, "ForSynchronization");
        Shell.sync();
        Instant posted = Instant.now();
        String job = api.send("POST", jobs.resolve("/api/replicationRecoveryPlans/" + plan + "/plannedFailover"), """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "HyperVReplicaAzureFailback",
                  "dataSyncOption": "ForSynchronization", "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""", 202).path("name").asText();
        awaitJob(job, "Succeeded");
        double seconds = secondsSince(posted);
        vms.forEach(this::stopHostVm);
        return new PlanRun(plan, vms.size(), diskBytes >> 20, job, seconds, estimate);
    }

    /**
     * What job-service's {@code failbackEstimate} of the item says of {@code option} now; null (and a note) if it
     * cannot be read, so that the benchmark goes on without it.
     */
    EstimateReading estimate(String item, String option) {
        return estimateAt("/api/replicationProtectedItems/" + item + "/failbackEstimate", item, option);
    }

    private EstimateReading estimateAt(String path, String item, String option) {
        try {
            JsonNode estimate = api.get(jobs.resolve(path));
            for (JsonNode candidate : estimate.path("options")) {
                if (candidate.path("dataSyncOption").asText().equals(option)) {
                    return new EstimateReading(option, candidate.path("totalSeconds").asDouble(Double.NaN),
                            candidate.path("downtimeSeconds").asDouble(Double.NaN));
                }
            }
            System.out.println("[bench] the failback estimate of " + item + " has no option " + option + ": " + estimate);
        } catch (IllegalStateException e) {
            System.out.println("[bench] no failback estimate of " + item + ": " + e.getMessage());
        }
        return null;
    }

    /** The image file of the Azure VM's one disk. */
    Path azureDisk(String vm) {
        return system.azureStorageDir().resolve("vms").resolve(vm).resolve("disk-0.img");
    }

    /** The image file of the on-premises VM's one disk. */
    Path hostDisk(String vm) {
        return system.hostStorageDir(host.id()).resolve("vms").resolve(vm).resolve("disk-0.img");
    }

    /**
     * A ForDownTime failback between its phases: phase 1 done, the job Suspended, the proofs prepared unless
     * {@code proofsSeconds} is NaN (not waited for).
     *
     * @param posted      just before the failback's POST
     * @param suspendedAt when the client saw {@code Suspended}
     * @param usageAtSuspension the processes' counters then: catch-up rounds send from here until Resume
     */
    record SuspendedDelta(String item, String vm, String job, double phase1Seconds, Usage phase1Usage, double proofsSeconds,
            EstimateReading estimate, Instant posted, Instant suspendedAt, Usage usageAtSuspension) {
    }

    /**
     * Phase 1 of a ForDownTime + NoAction failback of the running Azure VM. The item of the previous failback waits for
     * its commit (PlannedFailoverCommitRequired), so each run registers a new item for the same pair of VMs.
     */
    SuspendedDelta deltaPhase1(String item, String vm) {
        return deltaPhase1(item, vm, true);
    }

    /**
     * Phase 1 as {@link #deltaPhase1(String, String)}, returning as soon as the job is Suspended: where an operator's
     * wait is part of the measurement, the proofs are prepared within it, as they would be.
     */
    SuspendedDelta deltaPhase1WithoutAwaitingProofs(String item, String vm) {
        return deltaPhase1(item, vm, false);
    }

    private SuspendedDelta deltaPhase1(String item, String vm, boolean awaitProofs) {
        String state = azureVmState(vm);
        if (!state.equals("Running")) {
            throw new IllegalStateException("the Azure VM must run before a ForDownTime failback; it is " + state);
        }
        register(item, vm);
        EstimateReading estimate = estimate(item, "ForDownTime");
        Usage start = Usage.of(system);
        Instant posted = Instant.now();
        String job = api.failback(item, "ForDownTime", "NoAction", null);
        awaitJob(job, "Suspended");
        double phase1 = secondsSince(posted);
        Usage atSuspension = Usage.of(system);
        Usage phase1Usage = atSuspension.since(start);
        Instant suspended = Instant.now();
        if (!awaitProofs) {
            return new SuspendedDelta(item, vm, job, phase1, phase1Usage, Double.NaN, estimate, posted, suspended, atSuspension);
        }
        awaitPreparedProofs(vm);
        return new SuspendedDelta(item, vm, job, phase1, phase1Usage, secondsSince(suspended), estimate, posted, suspended,
                atSuspension);
    }

    /** Running, Stopped, ... as azure-sim says. */
    String azureVmState(String vm) {
        return api.get(azure.resolve("/api/vms/" + vm)).path("state").asText();
    }

    /** The snapshot phase 1 took of the Azure VM, and its disk's tracking point then. */
    record Phase1Snapshot(String snapshotId, Instant createdAt, long trackingPoint) {
    }

    /**
     * Phase 1's snapshot of the Azure VM, found among the VM's snapshots as the first one taken after the failback was
     * posted (the job does not name it); null if there is none, e.g. once a job no longer keeps it while suspended.
     */
    Phase1Snapshot phase1Snapshot(SuspendedDelta suspended) {
        Phase1Snapshot first = null;
        for (JsonNode snapshot : api.get(azure.resolve("/api/vms/" + suspended.vm())).path("snapshots")) {
            Instant created = TaskReport.instant(snapshot.path("createdAt"));
            JsonNode point = snapshot.path("trackingPoints").path("disk-0");
            if (created == null || !point.isNumber() || created.isBefore(suspended.posted())) {
                continue;
            }
            if (first == null || created.isBefore(first.createdAt())) {
                first = new Phase1Snapshot(snapshot.path("snapshotId").asText(), created, point.asLong());
            }
        }
        return first;
    }

    /** What the Azure VM's disk was written with since {@code snapshot}, by azure-sim's changed-block tracking. */
    WrittenSince azureWrittenSince(String vm, Phase1Snapshot snapshot) {
        JsonNode changed = api.get(azure.resolve("/api/vms/" + vm + "/disks/disk-0/changed-blocks?since=" + snapshot.trackingPoint()));
        return WrittenSince.of(changed, Duration.between(snapshot.createdAt(), Instant.now()).toNanos() / 1e9);
    }

    /** The job's account of its catch-up rounds now; null where it gives none. */
    CatchUpReading catchUp(String job) {
        return CatchUpReading.of(api.job(job));
    }

    /**
     * Phase 2, "Complete Failover": Resume → Succeeded, the downtime window. The changes are those the caller made
     * before phase 1 and while the job was suspended; the pages, where the caller counted them, are where the disks
     * differed before each phase.
     */
    DeltaRun deltaPhase2(SuspendedDelta suspended, String name, AzureChange beforeSnapshot, AzureChange afterSnapshot,
            long hostBlocksBefore, PageDifference phase1Pages, PageDifference phase2Pages) {
        // Writes made while the job waited are news to the estimate read before it started: an operator about to press
        // "Complete Failover" reads it again, and it then says what phase 2 will cost.
        EstimateReading beforeResume = afterSnapshot == null ? null : estimate(suspended.item(), "ForDownTime");
        Usage resumedAt = Usage.of(system);
        // Catch-up rounds send while the job waits: what Azure wrote since phase 1's snapshot travels then or in phase 2.
        Usage whileSuspended = resumedAt.since(suspended.usageAtSuspension());
        Instant resumed = Instant.now();
        api.resume(suspended.job());
        JsonNode done = awaitJob(suspended.job(), "Succeeded");
        double phase2 = secondsSince(resumed);
        Usage phase2Usage = Usage.of(system).since(resumedAt);
        requireProven(done);
        // The SnapshotSynchronization task's counters are final once the job is Suspended, so the ended job has them all.
        return new DeltaRun(name, beforeSnapshot, afterSnapshot, suspended.job(), hostBlocksBefore, suspended.phase1Seconds(),
                suspended.phase1Usage(), suspended.proofsSeconds(), whileSuspended, phase2, phase2Usage, TaskReport.all(done),
                stopHostVm(suspended.vm()), suspended.estimate(), beforeResume, phase1Pages, phase2Pages);
    }

    /**
     * While a ForDownTime job waits for "Complete Failover", both sites compute their disks' digests in the background,
     * so that phase 2 rehashes only what was written after. An operator resumes minutes later; the benchmark resumes
     * as soon as they are ready, which it learns by asking each site for the digest: a site computes one digest of a
     * disk at a time, so the answer comes when the background one is done, and finds nothing left to hash.
     */
    private void awaitPreparedProofs(String vm) {
        String disk = "/api/vms/" + vm + "/disks/disk-0/digest";
        CompletableFuture<JsonNode> azureDigest = CompletableFuture.supplyAsync(() -> api.get(azure.resolve(disk)));
        CompletableFuture<JsonNode> hostDigest = CompletableFuture.supplyAsync(() -> api.get(hostAgent.resolve(disk)));
        azureDigest.join();
        hostDigest.join();
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
     * Commit of a failed-back item, then the on-premises VM runs its workload for {@code writing}, then Reverse
     * Replicate. What it has to send is what host-agent's changed-block tracking counts since the disk was proven equal
     * to Azure's at the end of the failback. {@code countPages}, when given, is asked once the writes have stopped for
     * the pages they changed.
     */
    ReverseReplication commitAndReverseReplicate(String item, String vm, int writesPerSecond, int writeSizeBytes,
            Duration writing, Supplier<PageDifference> countPages) {
        Instant committing = Instant.now();
        awaitJob(api.commit(item), "Succeeded");
        double commitSeconds = secondsSince(committing);

        URI hostVm = hostAgent.resolve("/api/vms/" + vm);
        api.send("PUT", URI.create(hostVm + "/workload"), """
                {"pattern": "RandomSmall", "writesPerSecond": %d, "writeSizeBytes": %d, "seed": 1}"""
                .formatted(writesPerSecond, writeSizeBytes), 200);
        api.send("POST", URI.create(hostVm + "/start"), "", 200);
        Instant started = Instant.now();
        sleep(writing);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        double writingSeconds = secondsSince(started);
        long verifiedAt = api.get(hostVm).path("disks").get(0).path("verifiedTrackingPoint").asLong();
        JsonNode written = api.get(URI.create(hostVm + "/disks/disk-0/changed-blocks?since=" + verifiedAt));
        PageDifference pages = countPages == null ? null : countPages.get();
        Shell.sync();

        Usage before = Usage.of(system);
        Instant posted = Instant.now();
        String job = api.reverseReplicate(item);
        JsonNode done = awaitJob(job, "Succeeded");
        double jobSeconds = secondsSince(posted);
        Usage usage = Usage.of(system).since(before);
        requireProven(done);
        return new ReverseReplication(commitSeconds, writesPerSecond, writeSizeBytes, writingSeconds,
                written.path("blockCount").asLong(), written.path("blockSize").asInt(), job, jobSeconds, TaskReport.all(done), usage,
                pages);
    }

    /** Sets what the on-premises VM writes when a failback starts it (host-agent keeps it with the VM). */
    void setHostWorkload(String vm, int writesPerSecond) {
        api.send("PUT", hostAgent.resolve("/api/vms/" + vm + "/workload"), """
                {"pattern": "RandomSmall", "writesPerSecond": %d, "writeSizeBytes": 4096, "seed": 1}"""
                .formatted(writesPerSecond), 200);
    }

    /**
     * What proving the disk would cost a site that kept no block hashes: the whole-disk digest (SHA-256 over each 64
     * KiB block's SHA-256) of Azure's and the host's image files, each read whole by this client on one thread, in
     * that order. The sites' own digests no longer read what they hashed as it was written, so asking them would time
     * a lookup.
     */
    double[] digestSeconds(String vm) {
        Path[] images = {azureDisk(vm), hostDisk(vm)};
        double[] seconds = new double[2];
        for (int i = 0; i < images.length; i++) {
            Instant start = Instant.now();
            blockListDigest(images[i]);
            seconds[i] = secondsSince(start);
        }
        return seconds;
    }

    private static byte[] blockListDigest(Path image) {
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(image)) {
            java.security.MessageDigest block = java.security.MessageDigest.getInstance("SHA-256");
            java.security.MessageDigest list = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(1 << 20);
            while (file.read(buffer.clear()) > 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    int length = Math.min(64 << 10, buffer.remaining());
                    block.update(buffer.slice(buffer.position(), length));
                    buffer.position(buffer.position() + length);
                    list.update(block.digest());
                }
            }
            return list.digest();
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot digest " + image, e);
        }
    }

    /**
     * Removes a repetition's VMs from both sites, and the replica a Commit kept in Azure for {@code committedItem}, so
     * that repetitions do not pile up disks.
     */
    void deleteVms(String vm, String committedItem) {
        api.exchange("DELETE", azure.resolve("/api/vms/" + vm), null);
        api.exchange("DELETE", hostAgent.resolve("/api/vms/" + vm), null);
        if (committedItem != null) {
            api.exchange("DELETE", azure.resolve("/api/replicas/" + committedItem), null);
        }
    }

    private void register(String item, String vm) {
        api.send("PUT", jobs.resolve("/api/replicationProtectedItems/" + item), """
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s", "primaryVmName": "%s",
                  "primaryVirtualSwitchName": "%s", "recoveryAzureVmName": "%s"}}"""
                .formatted(host.id(), vm, host.virtualSwitches().get(0), vm), 201);
    }

    /**
     * Follows the job's events until it reaches {@code wanted}; a job that fails or ends otherwise stops the
     * benchmark. Events come when the change commits, so the client's times carry no poll interval.
     */
    private JsonNode awaitJob(String job, String wanted) {
        JsonNode reached = api.followJob(job, timeout, current -> {
            String state = current.path("properties").path("state").asText();
            return state.equals(wanted) || List.of("Succeeded", "Failed", "Cancelled", "Suspended").contains(state);
        });
        String state = reached.path("properties").path("state").asText();
        if (!state.equals(wanted)) {
            throw new IllegalStateException("job " + job + " ended " + state + " instead of " + wanted + ": "
                    + reached.path("properties").path("errors") + "; see the logs in " + system.logDir());
        }
        return reached;
    }

    /** The job must prove every disk: SHA-256 of the Azure disk equal to the on-premises disk's. */
    static void requireProven(JsonNode job) {
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
