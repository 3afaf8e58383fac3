package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each step of a failback costs on one host of this installation, learned from its finished failbacks to that
 * host; until there are some, the benchmark's figures (docs/benchmarks.md). A failback is a sum of steps:
 * <ul>
 * <li>job-service's and Kafka's part of each phase (its time outside its tasks: a full download's, ForDownTime's phase
 * 1 up to its suspension, and its phase 2 from Complete Failover on, each learned from its own kind), and the steps of
 * fixed cost (prepare the on-premises VM, shut the Azure VM down, start the VM on-premises): the median of their last
 * runs, the default counting as two of them;</li>
 * <li>the data tasks, each a fixed cost plus costs per byte of each kind, fitted by {@link TaskCostModel}: a full
 * download per byte of data and per byte of zeros (they travel as run lengths); phase 1 per byte of the disk (hash
 * lists), per byte sent and per byte of differing blocks beyond it (compared page by page); phase 2 per byte sent and
 * per byte of written blocks beyond it (rehashed whole for the proof).</li>
 * </ul>
 * Only what ran as it normally runs teaches: a job that was interrupted and given back to sync-service or restarted, a
 * task that waited for a part that was away, a copy that resumed from a checkpoint, and a copy that ran while another
 * failback to the same host ran (they shared the link and the host) teach nothing. Cancelled and failed jobs are not
 * read at all.
 */
final class FailbackCosts {
    /** How many of its newest runs each step learns from: the data path changes with upgrades, old runs mislead. */
    static final int RUNS_PER_STEP = 10;

    // The defaults: the benchmark's runs of 2026-12-04 morning (both runs of `--disk-gib 4 --runs 2` once block streams
    // bypassed the page cache, 3049772: 4 GiB disk of 43% zeros, 2 cores, jobs followed by their events). A change that
    // makes the data path faster or slower should update them with the benchmark that shows it.
    /**
     * The job's time outside its tasks, per phase: outbox, Kafka both ways, job updates. A full download's one phase
     * 0.09–0.14 s; a ForDownTime failback's two 0.14–0.30 s together, of which its phase 2, which starts from a Resume
     * and has the fewest tasks, 0.06–0.09 s (the client's times of 2026-12-04, less the tasks').
     */
    static final double DEFAULT_CONTROL_SECONDS = 0.12;
    static final double DEFAULT_SNAPSHOT_PHASE_CONTROL_SECONDS = 0.10;
    static final double DEFAULT_FINAL_PHASE_CONTROL_SECONDS = 0.06;
    static final double DEFAULT_PREPARE_SECONDS = 0.03;
    static final double DEFAULT_SHUTDOWN_SECONDS = 0.02;
    static final double DEFAULT_START_SECONDS = 0.02;
    /**
     * DataSynchronization: fixed seconds, then seconds per byte of data and per byte of zeros, proof included (6.2–6.7 s
     * for 2.45 GB of data and 1.84 GB of zeros; zeros travel as run lengths and are hashed as a constant).
     */
    static final double[] DEFAULT_FULL_COPY = {0.1, 1 / 400e6, 1 / 10e9};
    /**
     * SnapshotSynchronization: fixed seconds, per byte of the disk (both sites list their blocks' hashes, mostly
     * remembered), per byte sent, and per byte of the differing blocks beyond what is sent (read and hashed page by page
     * on both sites, rehashed whole on the host): 0.05–0.09 s with nothing to send, 0.30–0.37 s at 1% (43 MB), 2.42–2.52 s
     * at 10% (430 MB), 0.51–0.67 s for 43 MB of 4 KiB pages in 640 MB of blocks.
     */
    static final double[] DEFAULT_SNAPSHOT_SYNC = {0.04, 1 / 150e9, 1 / 175e6, 1 / 1.9e9};
    /**
     * FinalDeltaSynchronization: fixed seconds, per byte sent, and per byte of the written blocks beyond what is sent
     * (4 KiB writes: the host rehashes the whole block for the proof): 0.04–0.06 s with nothing to send, 0.17–0.21 s for
     * 43 MB of whole blocks, 0.61–0.66 s for 43 MB of pages in 640 MB of blocks.
     */
    static final double[] DEFAULT_FINAL_DELTA = {0.045, 1 / 300e6, 1 / 1.34e9};
    /** How sure the defaults are: an installation may well be twice as fast or slow as the benchmark's machine. */
    static final double DEFAULT_RATE_SPREAD = 1.0;
    static final double DEFAULT_FIXED_SPREAD_SECONDS = 0.1;

    /** A step of fixed cost: the median of its runs, or its default. */
    record FixedStep(String step, double seconds, double spreadSeconds, int runs) {
    }

    /** A prediction: seconds, and one standard deviation of them. */
    record Prediction(double seconds, double spreadSeconds) {
        static final Prediction NONE = new Prediction(0, 0);

        Prediction plus(Prediction other) {
            return new Prediction(seconds + other.seconds, Math.sqrt(spreadSeconds * spreadSeconds + other.spreadSeconds * other.spreadSeconds));
        }

        Prediction plus(FixedStep step) {
            return plus(new Prediction(step.seconds(), step.spreadSeconds()));
        }
    }

    /** Outside the tasks: a full download's one phase, ForDownTime's phase 1 and its phase 2. */
    final FixedStep control;
    final FixedStep snapshotPhaseControl;
    final FixedStep finalPhaseControl;
    final FixedStep prepare;
    final FixedStep shutdown;
    final FixedStep start;
    final List<TaskCostModel.Run> fullCopies;
    final List<TaskCostModel.Run> snapshotSyncs;
    final List<TaskCostModel.Run> finalDeltas;
    /** The jobs that taught anything, newest first. */
    final List<String> jobsLearnedFrom;
    final Instant newestRun;
    final Instant oldestRun;

    private FailbackCosts(Map<String, List<Double>> fixedSamples, List<TaskCostModel.Run> fullCopies, List<TaskCostModel.Run> snapshotSyncs,
            List<TaskCostModel.Run> finalDeltas, List<String> jobsLearnedFrom, Instant newestRun, Instant oldestRun) {
        this.control = fixed(CONTROL, DEFAULT_CONTROL_SECONDS, fixedSamples);
        this.snapshotPhaseControl = fixed(SNAPSHOT_PHASE_CONTROL, DEFAULT_SNAPSHOT_PHASE_CONTROL_SECONDS, fixedSamples);
        this.finalPhaseControl = fixed(FINAL_PHASE_CONTROL, DEFAULT_FINAL_PHASE_CONTROL_SECONDS, fixedSamples);
        this.prepare = fixed(SyncTask.PrepareOnPremisesVm.name(), DEFAULT_PREPARE_SECONDS, fixedSamples);
        this.shutdown = fixed(SyncTask.ShutdownAzureVm.name(), DEFAULT_SHUTDOWN_SECONDS, fixedSamples);
        this.start = fixed(SyncTask.StartOnPremisesVm.name(), DEFAULT_START_SECONDS, fixedSamples);
        this.fullCopies = fullCopies;
        this.snapshotSyncs = snapshotSyncs;
        this.finalDeltas = finalDeltas;
        this.jobsLearnedFrom = jobsLearnedFrom;
        this.newestRun = newestRun;
        this.oldestRun = oldestRun;
    }

    /** The steps outside the tasks, as the estimate's basis names them. */
    static final String CONTROL = "control";
    static final String SNAPSHOT_PHASE_CONTROL = "controlSnapshotPhase";
    static final String FINAL_PHASE_CONTROL = "controlFinalPhase";

    /** The benchmark's costs, for a host no failback has gone to yet. */
    static FailbackCosts defaults() {
        return learn(List.of());
    }

    /** @param jobs succeeded failbacks to one host, newest first */
    static FailbackCosts learn(List<ReplicationJob> jobs) {
        Map<String, List<Double>> fixedSamples = new LinkedHashMap<>();
        List<TaskCostModel.Run> fullCopies = new ArrayList<>();
        List<TaskCostModel.Run> snapshotSyncs = new ArrayList<>();
        List<TaskCostModel.Run> finalDeltas = new ArrayList<>();
        Set<String> learnedFrom = new java.util.LinkedHashSet<>();
        TreeSet<Instant> runEnds = new TreeSet<>();
        for (ReplicationJob job : jobs) {
            if (job.state != JobState.Succeeded || interrupted(job)) {
                continue;
            }
            boolean alone = jobs.stream().noneMatch(other -> other != job && overlaps(job, other));
            boolean fullDownload = job.dataSyncOption == DataSyncOption.ForSynchronization;
            int taught = 0;
            if (fullDownload) {
                taught += addOutsideTasks(fixedSamples, CONTROL, job.startTime, job.endTime, job.tasks());
            } else {
                taught += addOutsideTasks(fixedSamples, SNAPSHOT_PHASE_CONTROL, job.startTime, job.suspendedAt,
                        job.tasks().stream().filter(t -> !FINAL_PHASE_TASKS.contains(t.name())).toList());
                taught += addOutsideTasks(fixedSamples, FINAL_PHASE_CONTROL, job.resumedAt, job.endTime,
                        job.tasks().stream().filter(t -> FINAL_PHASE_TASKS.contains(t.name())).toList());
            }
            for (String step : List.of(SyncTask.PrepareOnPremisesVm.name(), SyncTask.ShutdownAzureVm.name(), SyncTask.StartOnPremisesVm.name())) {
                JobTask task = job.task(step);
                if (task != null && ranNormally(task)) {
                    taught += add(fixedSamples, step, seconds(task.startTime(), task.endTime()));
                }
            }
            JobTask copy = job.task(SyncTask.DataSynchronization.name());
            if (alone && copy != null && ranNormally(copy) && copy.progress() != null && job.sourceDataBytes != null
                    && fullCopies.size() < RUNS_PER_STEP) {
                long total = copy.progress().bytesTotal();
                long data = Math.min(job.sourceDataBytes, total);
                fullCopies.add(run(job, copy, new double[] {1, data, total - data}));
                taught++;
            }
            JobTask snapshot = job.task(SyncTask.SnapshotSynchronization.name());
            if (alone && snapshot != null && ranNormally(snapshot) && snapshot.progress() != null && snapshotSyncs.size() < RUNS_PER_STEP) {
                TaskProgress p = snapshot.progress();
                // Scanned: the disk's hash lists, then the differing blocks compared page by page.
                long compared = Math.max(0, p.bytesScanned() - p.bytesTotal());
                snapshotSyncs.add(run(job, snapshot, snapshotFeatures(p.bytesTotal(), p.bytesToSend(), compared)));
                taught++;
            }
            JobTask finalDelta = job.task(SyncTask.FinalDeltaSynchronization.name());
            if (alone && finalDelta != null && ranNormally(finalDelta) && finalDelta.progress() != null && finalDeltas.size() < RUNS_PER_STEP) {
                TaskProgress p = finalDelta.progress();
                // Scanned: the blocks the writes touched.
                finalDeltas.add(run(job, finalDelta, finalFeatures(p.bytesToSend(), p.bytesScanned())));
                taught++;
            }
            if (taught > 0) {
                learnedFrom.add(job.name);
                runEnds.add(job.endTime);
            }
        }
        return new FailbackCosts(fixedSamples, fullCopies, snapshotSyncs, finalDeltas, List.copyOf(learnedFrom),
                runEnds.isEmpty() ? null : runEnds.last(), runEnds.isEmpty() ? null : runEnds.first());
    }

    /** ForSynchronization: everything, with the Azure VM down from its shutdown on. */
    Prediction fullDownload(long diskBytes, long dataBytes) {
        double[] features = {1, dataBytes, diskBytes - dataBytes};
        return Prediction.NONE.plus(control).plus(prepare).plus(shutdown).plus(data(DEFAULT_FULL_COPY, fullCopies, features)).plus(start);
    }

    /** The part of a full download the VM is down for: from its shutdown on. */
    Prediction fullDownloadDowntime(long diskBytes, long dataBytes) {
        double[] features = {1, dataBytes, diskBytes - dataBytes};
        return Prediction.NONE.plus(control).plus(shutdown).plus(data(DEFAULT_FULL_COPY, fullCopies, features)).plus(start);
    }

    /**
     * ForDownTime's phase 1, while the Azure VM runs: both sides list every block's hash, compare the differing blocks
     * page by page, and the differing pages travel.
     *
     * @param touchedBytes the bytes of the blocks that differ
     * @param bytesToSend what of them travels (of blocks that differ in part, only the pages that do)
     */
    Prediction snapshotPhase(long diskBytes, long bytesToSend, long touchedBytes) {
        return Prediction.NONE.plus(snapshotPhaseControl).plus(prepare)
                .plus(data(DEFAULT_SNAPSHOT_SYNC, snapshotSyncs, snapshotFeatures(diskBytes, bytesToSend, touchedBytes)));
    }

    /**
     * ForDownTime's phase 2, the downtime: shut down, send what was written since the snapshot, prove, start.
     *
     * @param touchedBytes the bytes of the blocks written since the snapshot
     * @param bytesToSend what of them travels
     */
    Prediction finalPhase(long bytesToSend, long touchedBytes) {
        return Prediction.NONE.plus(finalPhaseControl).plus(shutdown)
                .plus(data(DEFAULT_FINAL_DELTA, finalDeltas, finalFeatures(bytesToSend, touchedBytes))).plus(start);
    }

    /** Phase 1's features: the disk, what is sent, and the differing blocks' bytes beyond it. */
    static double[] snapshotFeatures(long diskBytes, long bytesToSend, long touchedBytes) {
        return new double[] {1, diskBytes, bytesToSend, Math.max(0, touchedBytes - bytesToSend)};
    }

    /** Phase 2's features: what is sent, and the written blocks' bytes beyond it. */
    static double[] finalFeatures(long bytesToSend, long touchedBytes) {
        return new double[] {1, bytesToSend, Math.max(0, touchedBytes - bytesToSend)};
    }

    /** The data task's model fitted for these features. */
    static TaskCostModel model(double[] defaults, List<TaskCostModel.Run> runs, double[] features) {
        return TaskCostModel.fit(defaults, DEFAULT_RATE_SPREAD, DEFAULT_FIXED_SPREAD_SECONDS, runs, features);
    }

    private static Prediction data(double[] defaults, List<TaskCostModel.Run> runs, double[] features) {
        TaskCostModel model = model(defaults, runs, features);
        return new Prediction(model.seconds(features), model.spreadSeconds(features));
    }

    /** Given back to sync-service after it went silent, or restarted after a failure: its times include the gap. */
    private static boolean interrupted(ReplicationJob job) {
        int commands = job.dataSyncOption == DataSyncOption.ForSynchronization ? 1 : 2;
        return job.attempts > commands;
    }

    /** Finished as it normally does: no wait for a part that was away, no copy resumed from a checkpoint. */
    private static boolean ranNormally(JobTask task) {
        return task.state() == JobState.Succeeded && task.startTime() != null && task.endTime() != null && !task.waitedForAPart()
                && (task.progress() == null || task.progress().bytesResumed() == 0);
    }

    /** Whether the two jobs copied data at the same time (a suspended failback's wait between its phases copies none). */
    private static boolean overlaps(ReplicationJob a, ReplicationJob b) {
        for (JobTask x : dataTasks(a)) {
            for (JobTask y : dataTasks(b)) {
                if (x.startTime().isBefore(y.endTime()) && y.startTime().isBefore(x.endTime())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<JobTask> dataTasks(ReplicationJob job) {
        return job.tasks().stream().filter(t -> DATA_TASKS.contains(t.name()) && t.startTime() != null && t.endTime() != null).toList();
    }

    /** ForDownTime's phase 2, from Complete Failover on; the job's other tasks are its phase 1's. */
    private static final Set<String> FINAL_PHASE_TASKS = Set.of(SyncTask.ShutdownAzureVm.name(),
            SyncTask.FinalDeltaSynchronization.name(), SyncTask.StartOnPremisesVm.name());

    private static final Set<String> DATA_TASKS = Set.of(SyncTask.DataSynchronization.name(), SyncTask.SnapshotSynchronization.name(),
            SyncTask.FinalDeltaSynchronization.name());

    private static TaskCostModel.Run run(ReplicationJob job, JobTask task, double[] features) {
        return new TaskCostModel.Run(job.name, features, seconds(task.startTime(), task.endTime()), task.endTime());
    }

    /** A phase from {@code from} to {@code to} whose tasks all ran normally teaches its time outside them. */
    private static int addOutsideTasks(Map<String, List<Double>> samples, String step, Instant from, Instant to, List<JobTask> tasks) {
        if (from == null || to == null || tasks.isEmpty() || !tasks.stream().allMatch(FailbackCosts::ranNormally)) {
            return 0;
        }
        double outside = seconds(from, to) - tasks.stream().mapToDouble(t -> seconds(t.startTime(), t.endTime())).sum();
        return add(samples, step, Math.max(0, outside));
    }

    private static int add(Map<String, List<Double>> samples, String step, double seconds) {
        List<Double> list = samples.computeIfAbsent(step, s -> new ArrayList<>());
        if (list.size() >= RUNS_PER_STEP) {
            return 0;
        }
        list.add(seconds);
        return 1;
    }

    /**
     * The median of the step's runs and of its default counted as {@link #DEFAULT_AS_RUNS} runs, so that one odd run
     * (the first job after a start, JIT cold and Kafka's partitions new, takes seconds where later ones take tenths)
     * cannot move it, and three that agree can; its spread is their median distance from it. Without runs, the default
     * with a wide spread.
     */
    private static FixedStep fixed(String step, double defaultSeconds, Map<String, List<Double>> samples) {
        List<Double> runs = samples.getOrDefault(step, List.of());
        if (runs.isEmpty()) {
            return new FixedStep(step, defaultSeconds, defaultSeconds * 0.5 + 0.02, 0);
        }
        List<Double> values = new ArrayList<>(runs);
        for (int i = 0; i < DEFAULT_AS_RUNS; i++) {
            values.add(defaultSeconds);
        }
        double median = median(values);
        double spread = median(runs.stream().map(r -> Math.abs(r - median)).toList());
        return new FixedStep(step, median, Math.max(spread, 0.01), runs.size());
    }

    /** How many runs a fixed step's default counts as in its median. */
    static final int DEFAULT_AS_RUNS = 2;

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted(Comparator.naturalOrder()).toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double seconds(Instant from, Instant to) {
        return from == null || to == null ? 0 : Duration.between(from, to).toNanos() / 1e9;
    }
}
