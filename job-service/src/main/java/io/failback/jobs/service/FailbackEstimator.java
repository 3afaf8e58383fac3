package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.domain.Scenario;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How long each data-sync option of a failback would take, and how long the VM would be down, before it starts: what
 * users most often cannot find out. The inputs are the Azure VM's disks (their size, how much of them holds data, the
 * blocks written since the on-premises copy was made) and write rate, from azure-sim's metrics; the costs are what
 * this installation's finished failbacks to the item's host measured, step by step ({@link FailbackCosts}), or the
 * benchmark's on a host without any. Every estimate says what it rests on and how uncertain it is. While a ForDownTime
 * failback waits suspended, the estimate is of its phase 2: what "Complete Failover" would cost now.
 */
@ApplicationScoped
public class FailbackEstimator {
    /** The newest succeeded failbacks to the host that are read; each step learns from its newest usable runs among them. */
    private static final int JOBS_READ = 50;

    private final AzureVms azureVms;

    public FailbackEstimator(AzureVms azureVms) {
        this.azureVms = azureVms;
    }

    /**
     * @param dataBytes of the disks, the bytes in blocks that hold data (null: azure-sim does not say; all are counted)
     * @param blocksToSendInPhase1 the blocks that differ between Azure and on-premises, as far as is known
     */
    public record Estimate(String itemName, long diskBytes, Long dataBytes, Long blocksWrittenInAzureSinceFailover,
            long blocksToSendInPhase1, long azureWriteBytesPerSecond, Basis basis, List<OptionEstimate> options) {
    }

    /**
     * What the estimate rests on.
     *
     * @param hostId the host whose failbacks it learned from
     * @param runs how many of them taught anything (0: every figure is the benchmark's default)
     * @param newestRun when the newest of them ended; null without any
     * @param oldestRun when the oldest of them ended
     * @param measuredFrom their job names, newest first
     * @param steps each step's figures as this estimate used them, and how many runs they come from
     */
    public record Basis(String hostId, int runs, Instant newestRun, Instant oldestRun, List<String> measuredFrom, List<StepBasis> steps,
            String summary) {
    }

    /**
     * @param runs how many runs of the step its figures come from (0: the default)
     * @param fixedSeconds its fixed cost (for a step without data, its whole cost)
     * @param bytesPerSecond for a data step, its rate for each kind of byte
     */
    public record StepBasis(String step, int runs, double fixedSeconds, Map<String, Double> bytesPerSecond) {
    }

    /**
     * Seconds to two decimals; the uncertainties are one standard deviation (about two failbacks in three land within it).
     *
     * @param bytesToSend what travels, phases together (zeros as run lengths count as their size)
     * @param downtimeSeconds how long the VM is down (neither site runs it)
     */
    public record OptionEstimate(String dataSyncOption, long bytesToSend, double totalSeconds, double downtimeSeconds,
            Double phase1Seconds, Double phase2Seconds, double totalUncertaintySeconds, double downtimeUncertaintySeconds, String note) {
    }

    @WithSession
    public Uni<Estimate> estimate(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> FailoverService.itemNotFound(itemName))
                .chain(item -> suspendedFailback(item).chain(suspended -> {
                    if (suspended == null && (item.activeLocation != ActiveLocation.Recovery
                            || !ItemStateMachine.allows(item, ItemOperation.PlannedFailover))) {
                        return Uni.createFrom().failure(ProblemException.conflict("FailbackNotPossible", "item '" + itemName
                                + "' cannot fail back now (it is " + item.protectionState + " at " + item.activeLocation
                                + "); an estimate is for an item running in Azure, or one whose ForDownTime failback is suspended"));
                    }
                    return costs(item.primaryProviderId).chain(costs -> azureVms.metrics(item.recoveryAzureVmName)
                            .chain(metrics -> suspended == null ? Uni.createFrom().item(beforeFailback(item, metrics, costs))
                                    : writtenSinceSnapshot(item, suspended, metrics)
                                            .map(written -> completingFailback(item, metrics, costs, written))));
                }));
    }

    /** The item's ForDownTime failback that waits for "Complete Failover"; null when there is none. */
    private static Uni<ReplicationJob> suspendedFailback(ReplicationProtectedItem item) {
        if (item.currentScenarioJobName == null) {
            return Uni.createFrom().nullItem();
        }
        return ReplicationJob.<ReplicationJob>findById(item.currentScenarioJobName).map(job -> job != null && job.state == JobState.Suspended
                && Scenario.PlannedFailback.scenarioName().equals(job.scenarioName) && job.details.checkpoint() != null ? job : null);
    }

    /**
     * What phase 2 of a failback to {@code hostId} would cost now, when the Azure VM has written {@code writtenBytes}
     * since the checkpoint: the downtime a suspended failback's catch-up leaves (issue #17).
     */
    static Uni<Double> phase2Seconds(String hostId, long writtenBytes) {
        return costs(hostId).map(costs -> round(costs.finalPhase(writtenBytes, writtenBytes).seconds()));
    }

    /** The costs learned from the newest succeeded failbacks to the host. */
    private static Uni<FailbackCosts> costs(String hostId) {
        return ReplicationJob.<ReplicationJob>find("state = ?1 and scenarioName = ?2 and failoverDirection = ?3 and targetProviderId = ?4",
                        Sort.descending("endTime"), JobState.Succeeded, Scenario.PlannedFailback.scenarioName(),
                        Scenario.PlannedFailback.direction(), hostId)
                .page(Page.ofSize(JOBS_READ)).list()
                .map(FailbackCosts::learn);
    }

    /** What each disk of the Azure VM wrote since the suspended failback's snapshot, summed over the disks. */
    private Uni<AzureVms.ChangedSince> writtenSinceSnapshot(ReplicationProtectedItem item, ReplicationJob suspended, AzureVmMetrics metrics) {
        Map<String, Long> points = suspended.details.checkpoint().trackingPoints();
        return Multi.createFrom().iterable(metrics.disks())
                .onItem().transformToUniAndConcatenate(disk -> points.get(disk.diskId()) == null
                        ? Uni.createFrom().item(new AzureVms.ChangedSince(disk.sizeBytes(), disk.sizeBytes()))
                        : azureVms.changedSince(item.recoveryAzureVmName, disk.diskId(), points.get(disk.diskId())))
                .collect().asList()
                .map(changes -> new AzureVms.ChangedSince(changes.stream().mapToLong(AzureVms.ChangedSince::touchedBytes).sum(),
                        changes.stream().mapToLong(AzureVms.ChangedSince::changedBytes).sum()));
    }

    private static Estimate beforeFailback(ReplicationProtectedItem item, AzureVmMetrics metrics, FailbackCosts costs) {
        long diskBytes = metrics.sizeBytes();
        Long dataBytes = metrics.dataBytes();
        long copiedDataBytes = dataBytes == null ? diskBytes : dataBytes;
        Long sinceFailover = sum(metrics, AzureVmMetrics.Disk::blocksWrittenSinceFailover);
        Long sinceShutdown = sum(metrics, AzureVmMetrics.Disk::blocksWrittenSinceShutdown);
        long blockSize = metrics.disks().isEmpty() ? 65536 : metrics.disks().get(0).blockSize();
        long differingBlocks;
        // What the differing blocks' writes carry (of blocks written in part, their pages); null: every block whole.
        Long changedBytes;
        String deltaNote;
        if (sinceFailover != null) {
            differingBlocks = sinceFailover;
            changedBytes = sum(metrics, AzureVmMetrics.Disk::bytesChangedSinceFailover);
            deltaNote = "phase 1 sends the blocks the Azure VM wrote since the failover created it from its replica";
        } else if (sinceShutdown != null) {
            differingBlocks = sinceShutdown;
            changedBytes = sum(metrics, AzureVmMetrics.Disk::bytesChangedSinceShutdown);
            deltaNote = "phase 1 sends the blocks the Azure VM wrote since its last shutdown, assuming the on-premises disk is the copy "
                    + "a failback made then (if not, it sends what differs, which may be more)";
        } else {
            differingBlocks = diskBytes / blockSize;
            changedBytes = null;
            deltaNote = "the Azure VM did not come from this item's replica and never shut down: phase 1 may have to send every block "
                    + "(an upper bound)";
        }
        long differingBytes = Math.min(diskBytes, differingBlocks * blockSize);
        long phase1Sends = changedBytes == null ? differingBytes : Math.min(differingBytes, changedBytes);
        // Each small write touches a block (the proof rehashes it whole) and sends its pages.
        long writeBytesPerSecond = metrics.diskWriteOperationsPerSecond() * Math.max(blockSize, metrics.writeSizeBytes());
        long pageBytes = blockSize / io.failback.contracts.site.PageMasks.pagesPerBlock((int) blockSize);
        long sentPerWrite = metrics.writeSizeBytes() <= 0 ? blockSize
                : Math.min(blockSize, (metrics.writeSizeBytes() + pageBytes - 1) / pageBytes * pageBytes);

        FailbackCosts.Prediction full = costs.fullDownload(diskBytes, copiedDataBytes);
        FailbackCosts.Prediction fullDowntime = costs.fullDownloadDowntime(diskBytes, copiedDataBytes);
        FailbackCosts.Prediction phase1 = costs.snapshotPhase(diskBytes, phase1Sends, differingBytes);
        long touchedDuringPhase1 = Math.min(diskBytes, (long) (writeBytesPerSecond * phase1.seconds()));
        long writtenDuringPhase1 = touchedDuringPhase1 / Math.max(blockSize, Math.max(1, metrics.writeSizeBytes())) * sentPerWrite;
        FailbackCosts.Prediction phase2 = costs.finalPhase(writtenDuringPhase1, touchedDuringPhase1);
        FailbackCosts.Prediction delta = phase1.plus(phase2);
        String zeros = dataBytes == null ? "azure-sim does not say how much of the disks holds data: all of it is counted as data"
                : "zeros (" + percent(diskBytes - dataBytes, diskBytes) + " of the disks) travel as run lengths";
        List<OptionEstimate> options = List.of(
                new OptionEstimate(DataSyncOption.ForSynchronization.name(), diskBytes, round(full.seconds()), round(fullDowntime.seconds()),
                        null, null, round(full.spreadSeconds()), round(fullDowntime.spreadSeconds()),
                        "the Azure VM shuts down at once; every block is sent and proven; " + zeros),
                new OptionEstimate(DataSyncOption.ForDownTime.name(), phase1Sends + writtenDuringPhase1, round(delta.seconds()),
                        round(phase2.seconds()), round(phase1.seconds()), round(phase2.seconds()), round(delta.spreadSeconds()),
                        round(phase2.spreadSeconds()), deltaNote + "; phase 2 what it writes during phase 1 at its present rate"));
        Basis basis = basis(item.primaryProviderId, costs, List.of(
                step("DataSynchronization", costs.fullCopies, FailbackCosts.DEFAULT_FULL_COPY,
                        new double[] {1, copiedDataBytes, diskBytes - copiedDataBytes}, "data", "zeros"),
                step("SnapshotSynchronization", costs.snapshotSyncs, FailbackCosts.DEFAULT_SNAPSHOT_SYNC,
                        FailbackCosts.snapshotFeatures(diskBytes, phase1Sends, differingBytes), "listed", "sent", "compared"),
                step("FinalDeltaSynchronization", costs.finalDeltas, FailbackCosts.DEFAULT_FINAL_DELTA,
                        FailbackCosts.finalFeatures(writtenDuringPhase1, touchedDuringPhase1), "sent", "rehashed")));
        return new Estimate(item.name, diskBytes, dataBytes, sinceFailover, differingBytes / blockSize, writeBytesPerSecond, basis, options);
    }

    /** A suspended ForDownTime failback: its phase 2, which sends what the Azure VM wrote since the snapshot. */
    private static Estimate completingFailback(ReplicationProtectedItem item, AzureVmMetrics metrics, FailbackCosts costs,
            AzureVms.ChangedSince written) {
        long diskBytes = metrics.sizeBytes();
        long blockSize = metrics.disks().isEmpty() ? 65536 : metrics.disks().get(0).blockSize();
        long writeBytesPerSecond = metrics.diskWriteOperationsPerSecond() * Math.max(blockSize, metrics.writeSizeBytes());
        long writtenBytes = Math.min(diskBytes, written.changedBytes());
        long touchedBytes = Math.min(diskBytes, written.touchedBytes());
        FailbackCosts.Prediction phase2 = costs.finalPhase(writtenBytes, touchedBytes);
        List<OptionEstimate> options = List.of(new OptionEstimate(DataSyncOption.ForDownTime.name(), writtenBytes, round(phase2.seconds()),
                round(phase2.seconds()), null, round(phase2.seconds()), round(phase2.spreadSeconds()), round(phase2.spreadSeconds()),
                "phase 1 is done and the failback waits for Complete Failover: phase 2 shuts the Azure VM down and sends the "
                        + touchedBytes / blockSize + " blocks it wrote since the snapshot (of blocks written in part, only their pages;"
                        + " more if it keeps writing until then)"));
        Basis basis = basis(item.primaryProviderId, costs, List.of(step("FinalDeltaSynchronization", costs.finalDeltas,
                FailbackCosts.DEFAULT_FINAL_DELTA, FailbackCosts.finalFeatures(writtenBytes, touchedBytes), "sent", "rehashed")));
        return new Estimate(item.name, diskBytes, metrics.dataBytes(), sum(metrics, AzureVmMetrics.Disk::blocksWrittenSinceFailover), 0,
                writeBytesPerSecond, basis, options);
    }

    private static Basis basis(String hostId, FailbackCosts costs, List<StepBasis> dataSteps) {
        List<StepBasis> steps = new java.util.ArrayList<>();
        for (FailbackCosts.FixedStep fixed : List.of(costs.control, costs.snapshotPhaseControl, costs.finalPhaseControl, costs.prepare,
                costs.shutdown, costs.start)) {
            steps.add(new StepBasis(fixed.step(), fixed.runs(), round(fixed.seconds()), Map.of()));
        }
        steps.addAll(dataSteps);
        int runs = costs.jobsLearnedFrom.size();
        String summary = runs == 0
                ? "no failback to host '" + hostId + "' has taught anything yet: every figure is the benchmark's (docs/benchmarks.md), "
                        + "and this machine may well be twice as fast or slow"
                : "learned from the " + runs + " newest failbacks to host '" + hostId + "' that ran undisturbed, ended " + costs.oldestRun
                        + " to " + costs.newestRun + "; a data step's rates lean on the benchmark's until a run at least as large as "
                        + "this one was seen";
        return new Basis(hostId, runs, costs.newestRun, costs.oldestRun, costs.jobsLearnedFrom, List.copyOf(steps), summary);
    }

    private static StepBasis step(String step, List<TaskCostModel.Run> runs, double[] defaults, double[] features, String... kinds) {
        TaskCostModel model = FailbackCosts.model(defaults, runs, features);
        Map<String, Double> rates = new LinkedHashMap<>();
        for (int k = 0; k < kinds.length; k++) {
            rates.put(kinds[k], (double) Math.round(model.bytesPerSecond(k + 1)));
        }
        return new StepBasis(step, runs.size(), round(model.fixedSeconds()), rates);
    }

    private static Long sum(AzureVmMetrics metrics, java.util.function.Function<AzureVmMetrics.Disk, Long> count) {
        long sum = 0;
        for (AzureVmMetrics.Disk disk : metrics.disks()) {
            Long value = count.apply(disk);
            if (value == null) {
                return null;
            }
            sum += value;
        }
        return sum;
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "0%" : Math.round(100.0 * part / whole) + "%";
    }

    private static double round(double seconds) {
        return Math.round(seconds * 100) / 100.0;
    }
}
