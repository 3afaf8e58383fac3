package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.RecoveryPlan;
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
 * this installation's copies from Azure to the item's host and its failbacks there measured ({@link FailbackCosts}:
 * the link's throughput over the periods copies ran, however many shared it; the fixed steps of failbacks that ran
 * alone), or the benchmark's on a host without any; and the copies to that host under way now, which the failback
 * would share the link with. Every estimate says what it rests on and how uncertain it is. While a ForDownTime
 * failback waits suspended, the estimate is of its phase 2: what "Complete Failover" would cost now. A recovery plan's
 * estimate runs its groups in order, the items of a group side by side on their hosts' links.
 */
@ApplicationScoped
public class FailbackEstimator {
    /** The newest jobs involving the host that are read: each step learns from its newest usable runs among them. */
    private static final int JOBS_READ = 200;

    private final AzureVms azureVms;

    public FailbackEstimator(AzureVms azureVms) {
        this.azureVms = azureVms;
    }

    /**
     * @param dataBytes of the disks, the bytes in blocks that hold data (null: azure-sim does not say; all are counted)
     * @param blocksToSendInPhase1 the blocks that differ between Azure and on-premises, as far as is known
     * @param sharedLink the copies to the host under way, which this failback would share the link with
     */
    public record Estimate(String itemName, long diskBytes, Long dataBytes, Long blocksWrittenInAzureSinceFailover,
            long blocksToSendInPhase1, long azureWriteBytesPerSecond, SharedLink sharedLink, Basis basis, List<OptionEstimate> options) {
    }

    /**
     * What the estimate rests on.
     *
     * @param hostId the host whose copies and failbacks it learned from
     * @param link where the copies it learned from went: from Azure to the host, RecoveryToPrimary
     * @param runs how many jobs taught anything (0: every figure is the benchmark's default)
     * @param copyPeriods how many periods of copying to the host taught the link's costs (copies side by side are one)
     * @param copiesLearnedFrom how many copies those periods held
     * @param newestRun when the newest of them ended; null without any
     * @param oldestRun when the oldest of them ended
     * @param measuredFrom their job names, newest first
     * @param steps each step's figures as this estimate used them, and how many runs they come from
     */
    public record Basis(String hostId, String link, int runs, int copyPeriods, int copiesLearnedFrom, Instant newestRun, Instant oldestRun,
            List<String> measuredFrom, List<StepBasis> steps, String summary) {
    }

    /**
     * @param runs how many runs of the step its figures come from (for a copy, the periods that held one; 0: the default)
     * @param fixedSeconds its fixed cost (for a step without data, its whole cost)
     * @param bytesPerSecond for a copy, the link's rate for each kind of byte
     */
    public record StepBasis(String step, int runs, double fixedSeconds, Map<String, Double> bytesPerSecond) {
    }

    /**
     * @param copiesUnderWay the failbacks' copies to the host running, waiting their turn or about to start
     * @param copiesOfUnknownSize of them, those whose size is not known yet (a delta before its comparison): not counted
     * @param jobs their jobs
     */
    public record SharedLink(int copiesUnderWay, int copiesOfUnknownSize, List<String> jobs) {
    }

    /**
     * Seconds to two decimals; the uncertainties are one standard deviation (about two failbacks in three land within it).
     *
     * @param bytesToSend what travels, phases together (zeros as run lengths count as their size)
     * @param downtimeSeconds how long the VM is down (neither site runs it); for a plan, the longest any of its VMs is
     */
    public record OptionEstimate(String dataSyncOption, long bytesToSend, double totalSeconds, double downtimeSeconds,
            Double phase1Seconds, Double phase2Seconds, double totalUncertaintySeconds, double downtimeUncertaintySeconds, String note) {
    }

    /**
     * A recovery plan's failback: its groups in order, the items of each side by side.
     *
     * @param groups each group's items and time for each option
     * @param basis each host's basis, and a summary
     */
    public record PlanEstimate(String planName, List<GroupEstimate> groups, PlanBasis basis, List<OptionEstimate> options) {
    }

    /** @param seconds by data-sync option: for ForDownTime, the group's phase 2 (phase 1 runs for every item at once) */
    public record GroupEstimate(int group, List<String> items, Map<String, Double> seconds) {
    }

    public record PlanBasis(List<Basis> hosts, String summary) {
    }

    @WithSession
    public Uni<Estimate> estimate(String itemName) {
        Instant now = Instant.now();
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> FailoverService.itemNotFound(itemName))
                .chain(item -> suspendedFailback(item).chain(suspended -> {
                    if (suspended == null && !canFailBack(item)) {
                        return Uni.createFrom().failure(ProblemException.conflict("FailbackNotPossible", "item '" + itemName
                                + "' cannot fail back now (it is " + item.protectionState + " at " + item.activeLocation
                                + "); an estimate is for an item running in Azure, or one whose ForDownTime failback is suspended"));
                    }
                    return costs(item.primaryProviderId, now).chain(costs -> azureVms.metrics(item.recoveryAzureVmName)
                            .chain(metrics -> suspended == null ? Uni.createFrom().item(beforeFailback(item, metrics, costs))
                                    : writtenSinceSnapshot(item, suspended, metrics)
                                            .map(written -> completingFailback(item, metrics, costs, written))));
                }));
    }

    /**
     * A recovery plan's failback, as {@link RecoveryPlanRunner} runs it: ForSynchronization group by group; ForDownTime's
     * phase 1 for every item at once, then phase 2 group by group. Items on one host share its link; hosts run side by
     * side, so a group takes as long as its slowest host.
     */
    @WithSession
    public Uni<PlanEstimate> estimatePlan(String planName) {
        Instant now = Instant.now();
        return RecoveryPlan.<RecoveryPlan>findById(planName)
                .onItem().ifNull().failWith(() -> RecoveryPlanService.planNotFound(planName))
                .chain(plan -> ReplicationProtectedItem.<ReplicationProtectedItem>list("name in ?1", plan.itemNames()).chain(items -> {
                    Map<String, ReplicationProtectedItem> byName = new LinkedHashMap<>();
                    items.forEach(item -> byName.put(item.name, item));
                    List<String> refused = plan.itemNames().stream()
                            .filter(name -> byName.get(name) == null || !canFailBack(byName.get(name)))
                            .map(name -> byName.get(name) == null ? name + " (not found)"
                                    : name + " (" + byName.get(name).protectionState + " at " + byName.get(name).activeLocation + ")")
                            .toList();
                    if (plan.itemNames().isEmpty() || !refused.isEmpty()) {
                        return Uni.createFrom().failure(ProblemException.conflict("FailbackNotPossible", "recovery plan '" + planName
                                + "' cannot fail back now: " + (refused.isEmpty() ? "it has no items" : "of its items, " + String.join(", ", refused)
                                + " cannot (an estimate is for items running in Azure)")));
                    }
                    Map<String, FailbackCosts> costs = new LinkedHashMap<>();
                    Map<String, AzureVmMetrics> metrics = new LinkedHashMap<>();
                    return Multi.createFrom().iterable(plan.itemNames())
                            .onItem().transformToUniAndConcatenate(name -> {
                                ReplicationProtectedItem item = byName.get(name);
                                Uni<FailbackCosts> hostCosts = costs.containsKey(item.primaryProviderId)
                                        ? Uni.createFrom().item(costs.get(item.primaryProviderId))
                                        : costs(item.primaryProviderId, now).invoke(c -> costs.put(item.primaryProviderId, c));
                                return hostCosts.chain(ignored -> azureVms.metrics(item.recoveryAzureVmName)).invoke(m -> metrics.put(name, m));
                            })
                            .collect().last()
                            .map(ignored -> PlanEstimates.of(plan, byName, metrics, costs));
                }));
    }

    private static boolean canFailBack(ReplicationProtectedItem item) {
        return item.activeLocation == ActiveLocation.Recovery && ItemStateMachine.allows(item, ItemOperation.PlannedFailover);
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
        return costs(hostId, Instant.now()).map(costs -> round(costs.finalPhase(writtenBytes, writtenBytes, true).seconds()));
    }

    /** The costs learned from the newest jobs involving the host, and the copies to it under way. */
    private static Uni<FailbackCosts> costs(String hostId, Instant now) {
        return ReplicationJob.<ReplicationJob>find("targetProviderId = ?1", Sort.descending("startTime"), hostId)
                .page(Page.ofSize(JOBS_READ)).list()
                .map(jobs -> FailbackCosts.learn(jobs, now));
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
        AzureDisks disks = AzureDisks.of(metrics);
        FailbackCosts.Prediction full = costs.fullDownload(disks.diskBytes(), disks.copiedDataBytes());
        FailbackCosts.Prediction fullDowntime = costs.fullDownloadDowntime(disks.diskBytes(), disks.copiedDataBytes());
        FailbackCosts.Prediction phase1 = costs.snapshotPhase(disks.diskBytes(), disks.phase1Sends(), disks.differingBytes());
        long touchedDuringPhase1 = disks.touchedDuring(phase1.seconds());
        long writtenDuringPhase1 = disks.writtenDuring(phase1.seconds());
        FailbackCosts.Prediction phase2 = costs.finalPhase(writtenDuringPhase1, touchedDuringPhase1, false);
        FailbackCosts.Prediction delta = phase1.plus(phase2);
        String zeros = disks.dataBytes() == null ? "azure-sim does not say how much of the disks holds data: all of it is counted as data"
                : "zeros (" + percent(disks.diskBytes() - disks.dataBytes(), disks.diskBytes()) + " of the disks) travel as run lengths";
        double[] fullCopy = disks.fullCopy();
        double[] snapshotCopy = disks.snapshotCopy();
        List<OptionEstimate> options = List.of(
                new OptionEstimate(DataSyncOption.ForSynchronization.name(), disks.diskBytes(), round(full.seconds()), round(fullDowntime.seconds()),
                        null, null, round(full.spreadSeconds()), round(fullDowntime.spreadSeconds()),
                        "the Azure VM shuts down at once; every block is sent and proven; " + zeros + sharing(costs, fullCopy)),
                new OptionEstimate(DataSyncOption.ForDownTime.name(), disks.phase1Sends() + writtenDuringPhase1, round(delta.seconds()),
                        round(phase2.seconds()), round(phase1.seconds()), round(phase2.seconds()), round(delta.spreadSeconds()),
                        round(phase2.spreadSeconds()), disks.deltaNote() + "; phase 2 what it writes during phase 1 at its present rate"
                                + sharing(costs, snapshotCopy)));
        Basis basis = basis(item.primaryProviderId, costs, List.of(
                step(costs, FailbackCosts.Copy.FULL, fullCopy),
                step(costs, FailbackCosts.Copy.SNAPSHOT, snapshotCopy),
                step(costs, FailbackCosts.Copy.FINAL, disks.finalCopy(phase1.seconds()))));
        return new Estimate(item.name, disks.diskBytes(), disks.dataBytes(), disks.sinceFailover(), disks.differingBytes() / disks.blockSize(),
                disks.writeBytesPerSecond(), sharedLink(costs), basis, options);
    }

    /** A suspended ForDownTime failback: its phase 2, which sends what the Azure VM wrote since the snapshot. */
    private static Estimate completingFailback(ReplicationProtectedItem item, AzureVmMetrics metrics, FailbackCosts costs,
            AzureVms.ChangedSince written) {
        AzureDisks disks = AzureDisks.of(metrics);
        long writtenBytes = Math.min(disks.diskBytes(), written.changedBytes());
        long touchedBytes = Math.min(disks.diskBytes(), written.touchedBytes());
        FailbackCosts.Prediction phase2 = costs.finalPhase(writtenBytes, touchedBytes, true);
        double[] finalCopy = FailbackCosts.Copy.FINAL.link(FailbackCosts.finalFeatures(writtenBytes, touchedBytes));
        List<OptionEstimate> options = List.of(new OptionEstimate(DataSyncOption.ForDownTime.name(), writtenBytes, round(phase2.seconds()),
                round(phase2.seconds()), null, round(phase2.seconds()), round(phase2.spreadSeconds()), round(phase2.spreadSeconds()),
                "phase 1 is done and the failback waits for Complete Failover: phase 2 shuts the Azure VM down and sends the "
                        + touchedBytes / disks.blockSize() + " blocks it wrote since the snapshot (of blocks written in part, only their pages;"
                        + " more if it keeps writing until then)" + sharing(costs, finalCopy)));
        Basis basis = basis(item.primaryProviderId, costs, List.of(step(costs, FailbackCosts.Copy.FINAL, finalCopy)));
        return new Estimate(item.name, disks.diskBytes(), disks.dataBytes(), disks.sinceFailover(), 0, disks.writeBytesPerSecond(),
                sharedLink(costs), basis, options);
    }

    /**
     * An Azure VM's disks as a failback sees them: what a full download copies, what phase 1 sends, and what the VM's
     * writes add to phase 2 while phase 1 runs.
     *
     * @param copiedDataBytes what a full download sends as data (all of it when azure-sim does not say)
     * @param differingBytes the blocks that differ between Azure and on-premises, as far as is known
     * @param phase1Sends what of them travels (of blocks written in part, their pages)
     * @param sentPerWrite what one of the VM's writes adds to phase 2: its pages
     */
    record AzureDisks(long diskBytes, Long dataBytes, long copiedDataBytes, Long sinceFailover, long blockSize, long differingBytes,
            long phase1Sends, long writeBytesPerSecond, long writeSizeBytes, long sentPerWrite, String deltaNote) {
        static AzureDisks of(AzureVmMetrics metrics) {
            long diskBytes = metrics.sizeBytes();
            Long dataBytes = metrics.dataBytes();
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
            return new AzureDisks(diskBytes, dataBytes, dataBytes == null ? diskBytes : dataBytes, sinceFailover, blockSize, differingBytes,
                    phase1Sends, writeBytesPerSecond, metrics.writeSizeBytes(), sentPerWrite, deltaNote);
        }

        /** The bytes of the blocks the VM's writes touch in that many seconds. */
        long touchedDuring(double seconds) {
            return Math.min(diskBytes, (long) (writeBytesPerSecond * seconds));
        }

        /** What of them phase 2 sends. */
        long writtenDuring(double seconds) {
            return touchedDuring(seconds) / Math.max(blockSize, Math.max(1, writeSizeBytes)) * sentPerWrite;
        }

        /** The link's features of a full download of these disks. */
        double[] fullCopy() {
            return FailbackCosts.Copy.FULL.link(new double[] {1, copiedDataBytes, diskBytes - copiedDataBytes});
        }

        /** Of phase 1's copy. */
        double[] snapshotCopy() {
            return FailbackCosts.Copy.SNAPSHOT.link(FailbackCosts.snapshotFeatures(diskBytes, phase1Sends, differingBytes));
        }

        /** Of phase 2's copy after a phase 1 of {@code phase1Seconds}, during which the VM keeps writing. */
        double[] finalCopy(double phase1Seconds) {
            return FailbackCosts.Copy.FINAL.link(FailbackCosts.finalFeatures(writtenDuring(phase1Seconds), touchedDuring(phase1Seconds)));
        }
    }

    /** What the copies under way add to an option, said in its note. */
    private static String sharing(FailbackCosts costs, double[] copy) {
        FailbackCosts.Load load = costs.load;
        if (load.copies() == 0) {
            return "";
        }
        String unknown = load.ofUnknownSize() == 0 ? "" : " (" + load.ofUnknownSize() + " of them of a size not known yet, not counted)";
        return "; " + load.copies() + " copies to this host are under way" + unknown + ": sharing the link with them adds about "
                + round(costs.sharingDelay(copy)) + " s to its copy";
    }

    private static SharedLink sharedLink(FailbackCosts costs) {
        return new SharedLink(costs.load.copies(), costs.load.ofUnknownSize(), costs.load.jobs());
    }

    static Basis basis(String hostId, FailbackCosts costs, List<StepBasis> dataSteps) {
        List<StepBasis> steps = new java.util.ArrayList<>();
        for (FailbackCosts.FixedStep fixed : List.of(costs.control, costs.snapshotPhaseControl, costs.finalPhaseControl, costs.prepare,
                costs.shutdown, costs.start)) {
            steps.add(new StepBasis(fixed.step(), fixed.runs(), round(fixed.seconds()), Map.of()));
        }
        steps.addAll(dataSteps);
        int runs = costs.jobsLearnedFrom.size();
        int periods = costs.periods.size();
        int copies = costs.copiesInPeriods;
        int mostAtOnce = costs.mostCopiesAtOnce;
        String summary;
        if (runs == 0) {
            summary = "nothing that went from Azure to host '" + hostId + "' has taught anything yet: every figure is the benchmark's "
                    + "(docs/benchmarks.md), and this machine may well be twice as fast or slow";
        } else {
            String linkPart = periods == 0 ? "no copy to the host has taught the link's throughput yet (its rates are the benchmark's)"
                    : "the link's throughput from " + periods + (periods == 1 ? " period" : " periods") + " of copying (" + copies
                            + (copies == 1 ? " copy" : " copies") + (mostAtOnce > 1
                            ? ", up to " + mostAtOnce + " at once, their bytes counted together" : "") + ")";
            FailbackCosts.LinkChange change = costs.linkChange;
            String changed = change == null ? "" : "; the link changed: the period that ended " + change.endedAt() + " took "
                    + round(change.seconds()) + " s where the ones before it predicted " + round(change.expectedSeconds()) + " ± "
                    + round(change.spreadSeconds()) + " s, so they are left out";
            summary = "learned from " + runs + " jobs to host '" + hostId + "' that ended " + costs.oldestRun + " to " + costs.newestRun
                    + " (the newest " + ago(costs.newestRun) + "): " + linkPart + changed + ", and the fixed steps of the failbacks that ran alone;"
                    + " a period in which a copy was interrupted, waited for a part that was away, resumed, or was cancelled taught nothing;"
                    + " a kind of copy not seen yet, or seen only smaller than this one, leans on the benchmark's figures";
        }
        return new Basis(hostId, "Azure to " + hostId + " (RecoveryToPrimary)", runs, periods, copies, costs.newestRun, costs.oldestRun,
                costs.jobsLearnedFrom, List.copyOf(steps), summary);
    }

    private static String ago(Instant at) {
        long seconds = Math.max(0, java.time.Duration.between(at, Instant.now()).getSeconds());
        return seconds < 120 ? seconds + " s ago" : seconds < 7200 ? seconds / 60 + " min ago" : seconds < 172800 ? seconds / 3600 + " h ago"
                : seconds / 86400 + " days ago";
    }

    /** The copy step's figures as the link's costs give them for this copy. */
    static StepBasis step(FailbackCosts costs, FailbackCosts.Copy copy, double[] features) {
        TaskCostModel model = costs.model(features);
        Map<String, Double> rates = new LinkedHashMap<>();
        for (int k = 0; k < copy.byteKinds.size(); k++) {
            rates.put(copy.byteKinds.get(k), (double) Math.round(model.bytesPerSecond(copy.firstByteIndex + k)));
        }
        return new StepBasis(copy.task.name(), costs.periodsWith(copy), round(model.fixedSeconds(copy.countIndex)), rates);
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

    static String percent(long part, long whole) {
        return whole == 0 ? "0%" : Math.round(100.0 * part / whole) + "%";
    }

    static double round(double seconds) {
        return Math.round(seconds * 100) / 100.0;
    }
}
