package io.failback.jobs.service;

import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.Scenario;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * How long each data-sync option of a failback would take, before it starts: what users most often cannot find out.
 * The model is the data plane's: a full download reads, sends and proves every byte with the VM down; ForDownTime
 * hashes both sides and sends the blocks that differ while the VM runs, then (VM down) sends what was written
 * meanwhile and proves every byte. Its inputs are the Azure VM's disks and write rate (azure-sim's metrics) and this
 * installation's own throughput, taken from its last successful failbacks; until there is one, from the benchmark.
 */
@ApplicationScoped
public class FailbackEstimator {
    /** docs/benchmarks.md, 4 GiB on 2 cores: full download end to end incl. its proof. */
    static final double DEFAULT_FULL_DOWNLOAD_BYTES_PER_SECOND = 230e6;
    /** Phase 1: both sides hash in parallel (the changes sent are counted separately). */
    static final double DEFAULT_SCAN_BYTES_PER_SECOND = 2.0e9;
    /** Phase 2 without changes: both sites' SHA-256 of the whole disk, in parallel. */
    static final double DEFAULT_PROOF_BYTES_PER_SECOND = 1.3e9;
    static final double DEFAULT_SEND_BYTES_PER_SECOND = 340e6;
    private static final int HISTORY = 10;

    private final WebClient web;
    private final JobServiceConfig config;

    public FailbackEstimator(Vertx vertx, JobServiceConfig config) {
        this.web = WebClient.create(vertx);
        this.config = config;
    }

    @PreDestroy
    void close() {
        web.close();
    }

    public record Estimate(String itemName, long diskBytes, Long blocksWrittenInAzureSinceFailover, long azureWriteBytesPerSecond,
            Basis basis, List<OptionEstimate> options) {
    }

    /** @param measuredFrom the jobs the rates come from; empty when they are the benchmark's defaults */
    public record Basis(double fullDownloadBytesPerSecond, double scanBytesPerSecond, double proofBytesPerSecond,
            double sendBytesPerSecond, List<String> measuredFrom) {
    }

    /**
     * @param bytesToSend what travels, phases together
     * @param downtimeSeconds how long the VM is down (neither site runs it)
     */
    public record OptionEstimate(String dataSyncOption, long bytesToSend, long totalSeconds, long downtimeSeconds,
            Long phase1Seconds, Long phase2Seconds, String note) {
    }

    @WithSession
    public Uni<Estimate> estimate(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> FailoverService.itemNotFound(itemName))
                .chain(item -> {
                    if (item.activeLocation != ActiveLocation.Recovery || !ItemStateMachine.allows(item, ItemOperation.PlannedFailover)) {
                        return Uni.createFrom().failure(ProblemException.conflict("FailbackNotPossible", "item '" + itemName
                                + "' cannot fail back now (it is " + item.protectionState + " at " + item.activeLocation
                                + "); an estimate is for an item running in Azure"));
                    }
                    return basis().chain(basis -> metrics(item.recoveryAzureVmName).map(metrics -> estimate(item, metrics, basis)));
                });
    }

    private Uni<JsonObject> metrics(String azureVmName) {
        return web.getAbs(config.azureUrl() + "/api/vms/" + azureVmName + "/metrics").send().map(response -> {
            if (response.statusCode() != 200) {
                throw new ProblemException(502, "AzureMetricsUnavailable", "azure-sim answered " + response.statusCode()
                        + " for the metrics of '" + azureVmName + "': " + response.bodyAsString());
            }
            return response.bodyAsJsonObject();
        });
    }

    private static Estimate estimate(ReplicationProtectedItem item, JsonObject metrics, Basis basis) {
        JsonArray disks = metrics.getJsonArray("disks");
        long diskBytes = 0;
        long differingBytes = 0;
        Long writtenSinceFailover = 0L;
        int blockSize = 65536;
        for (int i = 0; i < disks.size(); i++) {
            JsonObject disk = disks.getJsonObject(i);
            diskBytes += disk.getLong("sizeBytes");
            blockSize = disk.getInteger("blockSize");
            Long written = disk.getLong("blocksWrittenSinceFailover");
            writtenSinceFailover = written == null || writtenSinceFailover == null ? null : writtenSinceFailover + written;
            differingBytes += written == null ? disk.getLong("sizeBytes") : written * blockSize;
        }
        // Each small write dirties a whole block: what phase 2 sends grows by up to one block per write.
        long writeBytesPerSecond = metrics.getLong("diskWriteOperationsPerSecond") * Math.max(blockSize, metrics.getLong("writeSizeBytes"));

        double full = diskBytes / basis.fullDownloadBytesPerSecond();
        double phase1 = diskBytes / basis.scanBytesPerSecond() + differingBytes / basis.sendBytesPerSecond();
        long writtenDuringPhase1 = Math.min(diskBytes, (long) (writeBytesPerSecond * phase1));
        double phase2 = diskBytes / basis.proofBytesPerSecond() + writtenDuringPhase1 / basis.sendBytesPerSecond();
        String deltaNote = writtenSinceFailover == null
                ? "the Azure VM did not come from this item's replica: phase 1 may have to send every block (an upper bound)"
                : "phase 1 sends the blocks the Azure VM wrote since the failover; phase 2 what it writes during phase 1";
        List<OptionEstimate> options = List.of(
                new OptionEstimate("ForSynchronization", diskBytes, seconds(full), seconds(full), null, null,
                        "the Azure VM shuts down at once; every block is sent (zeros as run lengths) and proven"),
                new OptionEstimate("ForDownTime", differingBytes + writtenDuringPhase1, seconds(phase1 + phase2), seconds(phase2),
                        seconds(phase1), seconds(phase2), deltaNote));
        return new Estimate(item.name, diskBytes, writtenSinceFailover, writeBytesPerSecond, basis, options);
    }

    /** Rates from this installation's last successful failbacks, task by task; the benchmark's where there is none. */
    private Uni<Basis> basis() {
        return ReplicationJob.<ReplicationJob>find("state = ?1 and scenarioName = ?2 and failoverDirection = ?3",
                        Sort.descending("endTime"), JobState.Succeeded, Scenario.PlannedFailback.scenarioName(), Scenario.PlannedFailback.direction())
                .page(Page.ofSize(HISTORY)).list()
                .map(jobs -> {
                    List<String> used = new ArrayList<>();
                    double full = median(jobs, SyncTask.DataSynchronization, task -> task.progress().bytesTotal(), used);
                    double scan = median(jobs, SyncTask.SnapshotSynchronization, task -> task.progress().bytesScanned(), used);
                    double proof = median(jobs, SyncTask.FinalDeltaSynchronization, task -> task.progress().bytesTotal(), used);
                    return new Basis(or(full, DEFAULT_FULL_DOWNLOAD_BYTES_PER_SECOND), or(scan, DEFAULT_SCAN_BYTES_PER_SECOND),
                            or(proof, DEFAULT_PROOF_BYTES_PER_SECOND), DEFAULT_SEND_BYTES_PER_SECOND, used.stream().distinct().toList());
                });
    }

    /** The median of bytes per second of that task over the jobs that ran it, or NaN. */
    private static double median(List<ReplicationJob> jobs, SyncTask taskName, ToDoubleFunction<JobTask> bytes, List<String> used) {
        List<Double> rates = new ArrayList<>();
        for (ReplicationJob job : jobs) {
            JobTask task = job.task(taskName.name());
            if (task == null || task.progress() == null || task.startTime() == null || task.endTime() == null) {
                continue;
            }
            double seconds = Duration.between(task.startTime(), task.endTime()).toMillis() / 1000.0;
            if (seconds > 0 && bytes.applyAsDouble(task) > 0) {
                rates.add(bytes.applyAsDouble(task) / seconds);
                used.add(job.name);
            }
        }
        if (rates.isEmpty()) {
            return Double.NaN;
        }
        rates.sort(Double::compare);
        return rates.get(rates.size() / 2);
    }

    private static double or(double measured, double fallback) {
        return Double.isNaN(measured) ? fallback : measured;
    }

    private static long seconds(double value) {
        return (long) Math.ceil(value);
    }
}
