package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.Scenario;
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
 * What a failback to one host of this installation costs, learned from what ran to that host; until something has,
 * the benchmark's figures (docs/benchmarks.md). A failback is a sum of steps:
 * <ul>
 * <li>job-service's and Kafka's part of each phase (its time outside its tasks: a full download's, ForDownTime's phase
 * 1 up to its suspension, and its phase 2 from Complete Failover on, each learned from its own kind), and the steps of
 * fixed cost (prepare the on-premises VM, shut the Azure VM down, start the VM on-premises): the median of their last
 * runs, the default counting as two of them. Only failbacks that ran alone teach them: a job beside others to the same
 * host waits for the host, Kafka and PostgreSQL behind them;</li>
 * <li>the copies, which share the link from Azure to the host: a fixed cost per copy plus costs per byte of each kind,
 * fitted by {@link TaskCostModel} to the <em>periods</em> in which copies to the host ran (a period lasts while any copy
 * runs or waits its turn; its bytes are all its copies', so a recovery plan's twenty copies at 5 MB/s each teach the
 * 100 MB/s the link gave them together, not 5). Each copy also costs its fixed part, side by side or not: on a host and
 * a sync-service that are busy, its setup, its proof's end and its job's own steps take their time from the others';
 * a period of many small copies and one of a large copy tell the two apart. A full download costs per byte of data and per byte of zeros (they
 * travel as run lengths); phase 1 per byte of the disk (hash lists), per byte sent and per byte of differing blocks
 * beyond it (compared page by page); phase 2 per byte sent and per byte of written blocks beyond it (rehashed whole for
 * the proof).</li>
 * </ul>
 * A period in which any copy was interrupted (its job given back to sync-service or restarted), waited for a part that
 * was away, resumed from a checkpoint, belonged to a cancelled or failed job, or was no failback's (a replication to
 * Azure from the host) teaches nothing. An estimate also accounts for the copies to the host under way when it is made:
 * they share the link with the one estimated ({@link #load}).
 */
final class FailbackCosts {
    /** How many of its newest runs each fixed step learns from: the data path changes with upgrades, old runs mislead. */
    static final int RUNS_PER_STEP = 10;
    /** How many of the newest periods of copying to the host the link's costs learn from. */
    static final int PERIODS_LEARNED = 20;
    /**
     * How many standard deviations from what the periods before predicted make a period a change of the link rather
     * than noise: beyond it the older periods are dropped, so that a link that became slower (or faster) is learned
     * from its first period at its new speed rather than averaged with twenty at the old one.
     */
    static final double LINK_CHANGE_SPREADS = 3;

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
    /** How sure the defaults are: an installation may well be twice as fast or slow as the benchmark's machine. */
    static final double DEFAULT_RATE_SPREAD = 1.0;
    /**
     * How sure a copy's default fixed cost is: less than its rates. Alone, a copy's setup and proof take about 0.1 s; among
     * a recovery plan's copies on two cores, with their jobs' steps and events beside them, three or four times that
     * (2026-12-06: twelve 64 MiB copies side by side took 4.3 s where their bytes alone take 1.7 s).
     */
    static final double COPY_FIXED_SPREAD_SECONDS = 0.3;
    /** How sure the wait behind copies under way is: they may end sooner (a smaller delta) or later (a busier link). */
    static final double SHARING_SPREAD = 0.25;

    /**
     * The kinds of copy, each with its default fixed cost and seconds per byte of each kind, and where its features sit
     * among the link's: its count among the first {@link #COUNTS}, its bytes after them.
     */
    enum Copy {
        /**
         * DataSynchronization: fixed seconds, then seconds per byte of data and per byte of zeros, proof included (6.2–6.7 s
         * for 2.45 GB of data and 1.84 GB of zeros; zeros travel as run lengths and are hashed as a constant).
         */
        FULL(SyncTask.DataSynchronization, 0, 3, new double[] {0.1, 1 / 400e6, 1 / 10e9}, "data", "zeros"),
        /**
         * SnapshotSynchronization: fixed seconds, per byte of the disk (both sites list their blocks' hashes, mostly
         * remembered), per byte sent, and per byte of the differing blocks beyond what is sent (read and hashed page by page
         * on both sites, rehashed whole on the host): 0.05–0.09 s with nothing to send, 0.30–0.37 s at 1% (43 MB), 2.42–2.52 s
         * at 10% (430 MB), 0.51–0.67 s for 43 MB of 4 KiB pages in 640 MB of blocks.
         */
        SNAPSHOT(SyncTask.SnapshotSynchronization, 1, 5, new double[] {0.04, 1 / 150e9, 1 / 175e6, 1 / 1.9e9}, "listed", "sent", "compared"),
        /**
         * FinalDeltaSynchronization: fixed seconds, per byte sent, and per byte of the written blocks beyond what is sent
         * (4 KiB writes: the host rehashes the whole block for the proof): 0.04–0.06 s with nothing to send, 0.17–0.21 s for
         * 43 MB of whole blocks, 0.61–0.66 s for 43 MB of pages in 640 MB of blocks.
         */
        FINAL(SyncTask.FinalDeltaSynchronization, 2, 8, new double[] {0.045, 1 / 300e6, 1 / 1.34e9}, "sent", "rehashed");

        final SyncTask task;
        final int countIndex;
        final int firstByteIndex;
        /** Fixed seconds, then seconds per byte of each kind. */
        final double[] defaults;
        final List<String> byteKinds;

        Copy(SyncTask task, int countIndex, int firstByteIndex, double[] defaults, String... byteKinds) {
            this.task = task;
            this.countIndex = countIndex;
            this.firstByteIndex = firstByteIndex;
            this.defaults = defaults;
            this.byteKinds = List.of(byteKinds);
        }

        /** The link's features of one copy of this kind: {@code kindFeatures} is {count, bytes of each kind}. */
        double[] link(double[] kindFeatures) {
            double[] x = new double[FEATURES];
            x[countIndex] = kindFeatures[0];
            for (int k = 1; k < kindFeatures.length; k++) {
                x[firstByteIndex + k - 1] = kindFeatures[k];
            }
            return x;
        }

        static Copy of(String taskName) {
            for (Copy copy : values()) {
                if (copy.task.name().equals(taskName)) {
                    return copy;
                }
            }
            return null;
        }
    }

    /** The link's features: three counts of copies, then the bytes of each kind of each. */
    static final int COUNTS = 3;
    static final int FEATURES = 10;

    /** The link's features of copies side by side: their counts and bytes summed. */
    static double[] together(List<double[]> copies) {
        double[] sum = new double[FEATURES];
        for (double[] x : copies) {
            for (int k = 0; k < FEATURES; k++) {
                sum[k] += x[k];
            }
        }
        return sum;
    }

    /** The link's defaults, feature by feature. */
    static double[] linkDefaults() {
        double[] prior = new double[FEATURES];
        for (Copy copy : Copy.values()) {
            prior[copy.countIndex] = copy.defaults[0];
            for (int k = 1; k < copy.defaults.length; k++) {
                prior[copy.firstByteIndex + k - 1] = copy.defaults[k];
            }
        }
        return prior;
    }

    /**
     * The copies to the host under way when the costs were read, which the copy estimated will share the link with.
     *
     * @param remaining of each copy whose size is known, the link's features of what it has left to do
     * @param ofUnknownSize copies under way or about to start whose size is not known yet (a delta not yet compared)
     * @param jobs the jobs they belong to
     */
    record Load(List<double[]> remaining, int ofUnknownSize, List<String> jobs) {
        int copies() {
            return remaining.size() + ofUnknownSize;
        }
    }

    /**
     * A period that took far longer or shorter than the periods before it predicted: the link changed (another network
     * path, a host moved, an upgrade), and what came before no longer tells what it does now.
     *
     * @param endedAt when that period ended: the periods before it teach nothing since
     * @param expectedSeconds what the periods before it predicted, with {@code spreadSeconds} its one standard deviation
     */
    record LinkChange(Instant endedAt, double seconds, double expectedSeconds, double spreadSeconds) {
    }

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
    /** The periods of copying that taught the link's costs, newest first. */
    final List<TaskCostModel.Run> periods;
    /** How many copies they held, and the most that ran (or waited their turn) at once in one of them. */
    final int copiesInPeriods;
    final int mostCopiesAtOnce;
    /** The newest period the ones before it could not account for; null if none did (then all of them teach). */
    final LinkChange linkChange;
    final Load load;
    /** The jobs that taught anything, newest first. */
    final List<String> jobsLearnedFrom;
    final Instant newestRun;
    final Instant oldestRun;

    private FailbackCosts(Map<String, List<Double>> fixedSamples, List<TaskCostModel.Run> periods, int copiesInPeriods, int mostCopiesAtOnce,
            LinkChange linkChange, Load load, List<String> jobsLearnedFrom, Instant newestRun, Instant oldestRun) {
        this.control = fixed(CONTROL, DEFAULT_CONTROL_SECONDS, fixedSamples);
        this.snapshotPhaseControl = fixed(SNAPSHOT_PHASE_CONTROL, DEFAULT_SNAPSHOT_PHASE_CONTROL_SECONDS, fixedSamples);
        this.finalPhaseControl = fixed(FINAL_PHASE_CONTROL, DEFAULT_FINAL_PHASE_CONTROL_SECONDS, fixedSamples);
        this.prepare = fixed(SyncTask.PrepareOnPremisesVm.name(), DEFAULT_PREPARE_SECONDS, fixedSamples);
        this.shutdown = fixed(SyncTask.ShutdownAzureVm.name(), DEFAULT_SHUTDOWN_SECONDS, fixedSamples);
        this.start = fixed(SyncTask.StartOnPremisesVm.name(), DEFAULT_START_SECONDS, fixedSamples);
        this.periods = periods;
        this.copiesInPeriods = copiesInPeriods;
        this.mostCopiesAtOnce = mostCopiesAtOnce;
        this.linkChange = linkChange;
        this.load = load;
        this.jobsLearnedFrom = jobsLearnedFrom;
        this.newestRun = newestRun;
        this.oldestRun = oldestRun;
    }

    /** The steps outside the tasks, as the estimate's basis names them. */
    static final String CONTROL = "control";
    static final String SNAPSHOT_PHASE_CONTROL = "controlSnapshotPhase";
    static final String FINAL_PHASE_CONTROL = "controlFinalPhase";

    /**
     * @param jobs the newest jobs of every kind and state that involved one host (failbacks to it, replications from
     *        it), newest first
     * @param now when the estimate is made: copies under way run until then
     */
    static FailbackCosts learn(List<ReplicationJob> jobs, Instant now) {
        Set<String> learnedFrom = new java.util.LinkedHashSet<>();
        TreeSet<Instant> runEnds = new TreeSet<>();

        List<CopyPeriod> teaching = CopyPeriod.of(jobs, now).stream().filter(CopyPeriod::teaches).toList();
        List<CopyPeriod> newest = teaching.subList(Math.max(0, teaching.size() - PERIODS_LEARNED), teaching.size());
        // Oldest first: each period is set against what the ones before it predicted.
        List<CopyPeriod> current = new ArrayList<>();
        // Their runs, newest first, as the fit takes them: each period's run is summed once.
        List<TaskCostModel.Run> periods = new ArrayList<>();
        LinkChange change = null;
        for (CopyPeriod period : newest) {
            TaskCostModel.Run run = period.run();
            if (!current.isEmpty()) {
                TaskCostModel model = fit(periods, run.features());
                double expected = model.seconds(run.features());
                double spread = model.spreadSeconds(run.features());
                if (Math.abs(run.seconds() - expected) > LINK_CHANGE_SPREADS * spread) {
                    current.clear();
                    periods.clear();
                    change = new LinkChange(period.to(), run.seconds(), expected, spread);
                }
            }
            current.add(period);
            periods.add(0, run);
        }
        int mostAtOnce = 0;
        int copies = 0;
        for (CopyPeriod period : current) {
            mostAtOnce = Math.max(mostAtOnce, period.mostAtOnce());
            copies += period.spans().size();
            period.spans().forEach(span -> learnedFrom.add(span.job().name));
            runEnds.add(period.to());
        }

        Map<String, List<Double>> fixedSamples = new LinkedHashMap<>();
        for (ReplicationJob job : jobs) {
            if (!failback(job) || job.state != JobState.Succeeded || interrupted(job) || !alone(job, jobs, now)) {
                continue;
            }
            int taught = 0;
            if (job.dataSyncOption == DataSyncOption.ForSynchronization) {
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
            if (taught > 0) {
                learnedFrom.add(job.name);
                runEnds.add(job.endTime);
            }
        }
        List<String> newestFirst = jobs.stream().map(job -> job.name).filter(learnedFrom::contains).toList();
        return new FailbackCosts(fixedSamples, List.copyOf(periods), copies, mostAtOnce, change, load(jobs), newestFirst,
                runEnds.isEmpty() ? null : runEnds.last(), runEnds.isEmpty() ? null : runEnds.first());
    }

    /** One copy's time: from its start (or its wait for a turn) to its end, or until now while it runs. */
    record CopySpan(ReplicationJob job, JobTask task, Instant from, Instant to) {
    }

    /**
     * A period in which copies to the host ran, one after the other or side by side with no gap: its seconds are the
     * link's, shared by all of them.
     */
    record CopyPeriod(List<CopySpan> spans, Instant from, Instant to) {
        /** The host's copies, merged into periods, oldest first. */
        static List<CopyPeriod> of(List<ReplicationJob> jobs, Instant now) {
            List<CopySpan> spans = new ArrayList<>();
            for (ReplicationJob job : jobs) {
                for (JobTask task : job.tasks()) {
                    if (task.startTime() != null && (Copy.of(task.name()) != null || task.progress() != null)) {
                        Instant to = task.endTime() != null ? task.endTime() : task.state().isFinal() ? task.startTime() : now;
                        spans.add(new CopySpan(job, task, task.startTime(), to.isBefore(task.startTime()) ? task.startTime() : to));
                    }
                }
            }
            spans.sort(Comparator.comparing(CopySpan::from));
            List<CopyPeriod> periods = new ArrayList<>();
            List<CopySpan> current = new ArrayList<>();
            Instant from = null;
            Instant to = null;
            for (CopySpan span : spans) {
                if (to != null && span.from().isAfter(to)) {
                    periods.add(new CopyPeriod(List.copyOf(current), from, to));
                    current.clear();
                    from = null;
                }
                current.add(span);
                from = from == null ? span.from() : from;
                to = to == null || span.to().isAfter(to) ? span.to() : to;
            }
            if (!current.isEmpty()) {
                periods.add(new CopyPeriod(List.copyOf(current), from, to));
            }
            return periods;
        }

        /** Every copy in it a failback's that ran as failbacks normally run, with features the estimate knows. */
        boolean teaches() {
            return spans.stream().allMatch(span -> failback(span.job()) && span.job().state != JobState.Cancelled
                    && span.job().state != JobState.Failed && !interrupted(span.job()) && ranNormally(span.task())
                    && features(span.job(), span.task()) != null);
        }

        /** The most of its copies that ran (or waited their turn) at one moment. */
        int mostAtOnce() {
            int most = 0;
            for (CopySpan span : spans) {
                most = Math.max(most, (int) spans.stream()
                        .filter(other -> !other.from().isAfter(span.from()) && other.to().isAfter(span.from())).count());
            }
            return Math.max(most, spans.isEmpty() ? 0 : 1);
        }

        TaskCostModel.Run run() {
            double[] sum = together(spans.stream().map(span -> features(span.job(), span.task())).toList());
            String name = spans.size() == 1 ? spans.get(0).job().name : spans.size() + " copies from " + spans.get(0).job().name;
            return new TaskCostModel.Run(name, sum, seconds(from, to), to);
        }
    }

    /** The link's features of a finished copy, from what it reported; null when it reported too little. */
    private static double[] features(ReplicationJob job, JobTask task) {
        Copy copy = Copy.of(task.name());
        TaskProgress p = task.progress();
        if (copy == null || p == null) {
            return null;
        }
        return switch (copy) {
            case FULL -> {
                if (job.sourceDataBytes == null) {
                    yield null;
                }
                long data = Math.min(job.sourceDataBytes, p.bytesTotal());
                yield copy.link(new double[] {1, data, p.bytesTotal() - data});
            }
            // Scanned: the disk's hash lists, then the differing blocks compared page by page.
            case SNAPSHOT -> copy.link(snapshotFeatures(p.bytesTotal(), p.bytesToSend(), Math.max(0, p.bytesScanned() - p.bytesTotal())));
            // Scanned: the blocks the writes touched.
            case FINAL -> copy.link(finalFeatures(p.bytesToSend(), p.bytesScanned()));
        };
    }

    /**
     * The failbacks' copies to the host under way or about to start: what each has left, as far as its reports tell.
     * A full download's size is known from its start; a delta's only once its comparison has said what it sends.
     */
    private static Load load(List<ReplicationJob> jobs) {
        List<double[]> remaining = new ArrayList<>();
        int unknown = 0;
        Set<String> loadJobs = new java.util.LinkedHashSet<>();
        for (ReplicationJob job : jobs) {
            if (!failback(job) || job.state != JobState.InProgress) {
                continue;
            }
            for (JobTask task : job.tasks()) {
                Copy copy = Copy.of(task.name());
                if (copy == null || task.state().isFinal()) {
                    continue;
                }
                // A suspended failback's phase 2 does not start by itself; one in progress has sent its phase 1.
                if (copy == Copy.FINAL && job.resumedAt == null || copy != Copy.FINAL && job.resumedAt != null) {
                    continue;
                }
                double[] left = remaining(job, task, copy);
                if (left == null) {
                    unknown++;
                } else {
                    remaining.add(left);
                }
                loadJobs.add(job.name);
            }
        }
        return new Load(List.copyOf(remaining), unknown, List.copyOf(loadJobs));
    }

    /** What a copy under way has left, as the link's features (its fixed cost spent); null when its size is unknown. */
    private static double[] remaining(ReplicationJob job, JobTask task, Copy copy) {
        TaskProgress p = task.progress();
        double[] whole;
        double done;
        if (p == null || p.bytesTotal() == 0) {
            if (copy != Copy.FULL || job.sourceDataBytes == null) {
                return null;
            }
            // Not started yet: its data is known from the job's start, its zeros (cheap) are not.
            whole = copy.link(new double[] {0, job.sourceDataBytes, 0});
            done = 0;
        } else {
            double[] reported = features(job, task);
            whole = reported != null ? reported : copy.link(new double[] {0, p.bytesTotal(), 0});
            done = p.bytesToSend() > 0 ? (double) p.bytesSent() / p.bytesToSend() : (double) p.bytesScanned() / p.bytesTotal();
        }
        double left = Math.max(0, Math.min(1, 1 - done));
        double[] x = new double[FEATURES];
        for (int k = COUNTS; k < FEATURES; k++) {
            x[k] = whole[k] * left;
        }
        return x;
    }

    /** Whether the job is a failback (Azure to on-premises): the copies the estimate is of. */
    private static boolean failback(ReplicationJob job) {
        return Scenario.PlannedFailback.scenarioName().equals(job.scenarioName) && job.failoverDirection == Scenario.PlannedFailback.direction();
    }

    /** No other job to the host was active while it was: its steps waited for nothing but themselves. */
    private static boolean alone(ReplicationJob job, List<ReplicationJob> jobs, Instant now) {
        for (ReplicationJob other : jobs) {
            if (other == job) {
                continue;
            }
            for (Instant[] mine : activeSpans(job, now)) {
                for (Instant[] theirs : activeSpans(other, now)) {
                    if (mine[0].isBefore(theirs[1]) && theirs[0].isBefore(mine[1])) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** When the job was at work: from its start to its end (or now), less a suspension's wait. */
    private static List<Instant[]> activeSpans(ReplicationJob job, Instant now) {
        if (job.startTime == null) {
            return List.of();
        }
        Instant end = job.endTime != null ? job.endTime : job.state.isFinal() ? job.startTime : now;
        if (job.suspendedAt == null) {
            return List.<Instant[]>of(new Instant[] {job.startTime, end});
        }
        List<Instant[]> spans = new ArrayList<>();
        spans.add(new Instant[] {job.startTime, job.suspendedAt});
        if (job.resumedAt != null) {
            spans.add(new Instant[] {job.resumedAt, end});
        }
        return spans;
    }

    /** ForSynchronization: everything, with the Azure VM down from its shutdown on; its copy starts now. */
    Prediction fullDownload(long diskBytes, long dataBytes) {
        return Prediction.NONE.plus(control).plus(prepare).plus(shutdown).plus(fullCopy(diskBytes, dataBytes)).plus(start);
    }

    /** The part of a full download the VM is down for: from its shutdown on. */
    Prediction fullDownloadDowntime(long diskBytes, long dataBytes) {
        return Prediction.NONE.plus(control).plus(shutdown).plus(fullCopy(diskBytes, dataBytes)).plus(start);
    }

    private Prediction fullCopy(long diskBytes, long dataBytes) {
        return copy(Copy.FULL.link(new double[] {1, dataBytes, diskBytes - dataBytes}), true);
    }

    /**
     * ForDownTime's phase 1, while the Azure VM runs, starting now: both sides list every block's hash, compare the
     * differing blocks page by page, and the differing pages travel.
     *
     * @param touchedBytes the bytes of the blocks that differ
     * @param bytesToSend what of them travels (of blocks that differ in part, only the pages that do)
     */
    Prediction snapshotPhase(long diskBytes, long bytesToSend, long touchedBytes) {
        return Prediction.NONE.plus(snapshotPhaseControl).plus(prepare)
                .plus(copy(Copy.SNAPSHOT.link(snapshotFeatures(diskBytes, bytesToSend, touchedBytes)), true));
    }

    /**
     * ForDownTime's phase 2, the downtime: shut down, send what was written since the snapshot, prove, start.
     *
     * @param touchedBytes the bytes of the blocks written since the snapshot
     * @param bytesToSend what of them travels
     * @param now whether it starts now (Complete Failover of a suspended failback), sharing the link with the copies
     *        under way, or after a phase 1 still to come, when those may have ended
     */
    Prediction finalPhase(long bytesToSend, long touchedBytes, boolean now) {
        return Prediction.NONE.plus(finalPhaseControl).plus(shutdown)
                .plus(copy(Copy.FINAL.link(finalFeatures(bytesToSend, touchedBytes)), now)).plus(start);
    }

    /**
     * A copy (or several at once: their features summed), from the link's costs; one that starts now also waits for its
     * share of the link behind the copies under way. With equal shares, each of them delays it by as long as its own
     * bytes or theirs take, whichever is less.
     */
    Prediction copy(double[] features, boolean now) {
        TaskCostModel model = model(features);
        double seconds = model.seconds(features);
        double spread = model.spreadSeconds(features);
        double behind = now ? sharingDelay(model, features) : 0;
        return new Prediction(seconds + behind, Math.sqrt(spread * spread + Math.pow(SHARING_SPREAD * behind, 2)));
    }

    /** How much longer the copy takes for sharing the link with the copies under way. */
    double sharingDelay(double[] features) {
        return sharingDelay(model(features), features);
    }

    private double sharingDelay(TaskCostModel model, double[] features) {
        double own = model.byteSeconds(features);
        double behind = 0;
        for (double[] other : load.remaining()) {
            behind += Math.min(own, model.byteSeconds(other));
        }
        return behind;
    }

    /** Phase 1's features: a copy, the disk, what is sent, and the differing blocks' bytes beyond it. */
    static double[] snapshotFeatures(long diskBytes, long bytesToSend, long touchedBytes) {
        return new double[] {1, diskBytes, bytesToSend, Math.max(0, touchedBytes - bytesToSend)};
    }

    /** Phase 2's features: a copy, what is sent, and the written blocks' bytes beyond it. */
    static double[] finalFeatures(long bytesToSend, long touchedBytes) {
        return new double[] {1, bytesToSend, Math.max(0, touchedBytes - bytesToSend)};
    }

    /** The link's costs fitted for a prediction of these features. */
    TaskCostModel model(double[] features) {
        return fit(periods, features);
    }

    private static TaskCostModel fit(List<TaskCostModel.Run> periods, double[] features) {
        return TaskCostModel.fit(linkDefaults(), COUNTS, DEFAULT_RATE_SPREAD, COPY_FIXED_SPREAD_SECONDS, periods, features);
    }

    /** How many of the periods learned from had copies of this kind. */
    int periodsWith(Copy copy) {
        return (int) periods.stream().filter(run -> run.features()[copy.countIndex] > 0).count();
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

    /** ForDownTime's phase 2, from Complete Failover on; the job's other tasks are its phase 1's. */
    private static final Set<String> FINAL_PHASE_TASKS = Set.of(SyncTask.ShutdownAzureVm.name(),
            SyncTask.FinalDeltaSynchronization.name(), SyncTask.StartOnPremisesVm.name());

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
