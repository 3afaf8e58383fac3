package io.failback.system.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.FailbackApi;
import io.failback.system.HostAgent;
import io.failback.system.LocalSystem;
import io.failback.system.ProjectLayout;
import io.failback.system.bench.SoakPlan.PlannedRun;
import io.failback.system.bench.SoakPlan.Scenario;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code ./failback soak}: failbacks back to back on the whole system, one fault injected into each at a random point
 * of its copy, no Restart ever pressed; each must end {@code Succeeded} with the on-premises disk image equal to the
 * Azure one. Prints a line per run, writes docs/reliability.md, exits 1 unless every run passed.
 */
public final class Soak {
    private static final int BLOCK_BYTES = 65536;
    private static final Duration POLL = Duration.ofMillis(100);
    /**
     * While it is phase 1's copy the Azure VM writes this much; Complete Failover shuts it down and sends those writes
     * that came after the snapshot.
     */
    private static final int AZURE_WRITES_PER_SECOND = 100;
    private static final int AZURE_WRITE_BYTES = 4096;

    private final SoakOptions options;
    private final Path root;
    private final Path workDir;
    private final HttpClient slowRequests = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LocalSystem system;
    private FailbackApi api;
    private HostAgent host;

    private Soak(SoakOptions options, Path root) {
        this.options = options;
        this.root = root;
        this.workDir = root.resolve(".failback").resolve("soak-" + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    public static void main(String[] args) {
        // As in Benchmark: the children log to their own files; slf4j-simple in this JVM would bury the output.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
        SoakOptions options;
        try {
            options = SoakOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + SoakOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(SoakOptions.USAGE);
            return;
        }
        System.exit(new Soak(options, ProjectLayout.find().root()).run());
    }

    private int run() {
        ZonedDateTime startedAt = ZonedDateTime.now();
        Instant start = Instant.now();
        String codeVersion = BuildSnapshot.codeVersion(root);
        Machine machine = Machine.describe(root);
        List<PlannedRun> plan = SoakPlan.draw(options.seed(), options.runs());
        List<SoakRun> runs = new ArrayList<>();
        Path doc = root.resolve("docs").resolve("reliability.md");
        say("seed %d: %d runs on a %d MiB disk; repeat with: %s", options.seed(), options.runs(), options.diskMib(), options.command());
        try {
            failIfTooLittleSpace();
            ProjectLayout build = BuildSnapshot.freeze(new ProjectLayout(root), workDir.resolve("build"));
            say("starting Kafka, PostgreSQL and the four services in " + root.relativize(workDir));
            // No supervise(): the soak takes each part away and starts it again itself, after the pause it drew.
            try (LocalSystem started = LocalSystem.builder().layout(build).workDir(workDir).securityDir(root.resolve(".failback"))
                    .start()) {
                system = started;
                api = system.api();
                host = system.hosts().get(0);
                for (PlannedRun planned : plan) {
                    SoakRun result = runOne(planned);
                    runs.add(result);
                    System.out.println(result.line(options.seed(), options.runs()));
                    // After every run, so that a soak cut short still leaves its figures.
                    report(machine, startedAt, start, codeVersion, runs).writeTo(doc);
                }
                say("stopping the system");
            }
        } catch (Exception | Error e) {
            System.err.println("[soak] failed: " + e.getMessage());
            System.err.println("[soak] the services' logs are in " + workDir.resolve("logs"));
            return 1;
        } finally {
            if (!options.keepData()) {
                deleteTree(workDir.resolve("data"));
                deleteTree(workDir.resolve("build"));
            }
        }
        SoakReport report = report(machine, startedAt, start, codeVersion, runs);
        System.out.println();
        System.out.println(report.totals());
        try {
            report.writeTo(doc);
            say("wrote " + root.relativize(doc));
        } catch (IOException e) {
            System.err.println("[soak] cannot write " + doc + ": " + e.getMessage());
            return 1;
        }
        return report.allPassed() ? 0 : 1;
    }

    private SoakReport report(Machine machine, ZonedDateTime startedAt, Instant start, String codeVersion, List<SoakRun> runs) {
        double minutes = Duration.between(start, Instant.now()).toSeconds() / 60.0;
        return new SoakReport(options, machine, startedAt, minutes, root.relativize(workDir).toString(), codeVersion, runs);
    }

    /** One failback with its fault; whatever goes wrong is this run's result, and the next run still runs. */
    private SoakRun runOne(PlannedRun planned) {
        String vm = "soak-" + options.seed() + "-" + planned.run();
        SoakRun.Builder result = new SoakRun.Builder(planned, vm);
        Instant posted = null;
        try {
            api.awaitProviderConnected(host.id(), Duration.ofSeconds(120));
            createAzureVm(vm, planned);
            api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
            Shell.sync();
            posted = Instant.now();
            String job = api.failback(vm, planned.scenario().dataSyncOption, "CreateVmIfNotFound", null);
            result.job(job);
            Instant deadline = posted.plus(options.jobTimeout());
            JsonNode ended = followAndInject(job, planned, result, deadline);
            result.jobSeconds(FailbackDriver.secondsSince(posted));
            String state = ended.path("properties").path("state").asText();
            result.state(state);
            if (!state.equals("Succeeded")) {
                result.detail("job " + job + " ended " + state + ": " + ended.path("properties").path("errors"));
                return result.build();
            }
            compareImages(vm, result);
        } catch (RuntimeException | IOException e) {
            if (posted != null && !result.hasJobSeconds()) {
                result.jobSeconds(FailbackDriver.secondsSince(posted));
            }
            result.detail(e.getMessage());
        } finally {
            if (!options.keepData()) {
                deleteVms(vm);
            }
        }
        return result.build();
    }

    /**
     * Polls the job; once its copy task has sent the planned share of its bytes, takes the part away and brings it
     * back; resumes a ForDownTime job when it is Suspended ("Complete Failover"); answers the ended job. Polls that
     * fail (job-service or its database away) are retried until the deadline.
     */
    private JsonNode followAndInject(String job, PlannedRun planned, SoakRun.Builder result, Instant deadline) {
        boolean injected = false;
        long lastBytesSent = 0;
        while (Instant.now().isBefore(deadline)) {
            JsonNode current = poll(job);
            if (current == null) {
                FailbackDriver.sleep(POLL);
                continue;
            }
            JsonNode properties = current.path("properties");
            String state = properties.path("state").asText();
            JsonNode copy = task(properties, planned.scenario().copyTask);
            long sent = copy.path("progress").path("bytesSent").asLong();
            long toSend = copy.path("progress").path("bytesToSend").asLong();
            if (sent < lastBytesSent) {
                result.progressWentBack(lastBytesSent - sent);
            }
            lastBytesSent = Math.max(lastBytesSent, sent);
            if (!injected) {
                String copyState = copy.path("state").asText();
                boolean copying = copyState.equals("InProgress") && toSend > 0 && sent < toSend;
                if (copying && sent >= planned.atShare() * toSend) {
                    result.faultAt(Instant.now(), (double) sent / toSend);
                    planned.fault().inject(system, planned.pause());
                    injected = true;
                    continue;
                }
                boolean copied = (toSend > 0 && sent >= toSend) || !List.of("", "NotStarted", "InProgress").contains(copyState);
                if (copied) {
                    // The copy ended between two polls, before the planned share: this run proves nothing about the fault.
                    injected = true;
                    result.missed("%s had sent %d of %d bytes (%s) before the fault at %d%% could strike; use a larger --disk-mib"
                            .formatted(planned.scenario().copyTask, sent, toSend, copyState, Math.round(planned.atShare() * 100)));
                }
            }
            if (state.equals("Suspended") && planned.scenario() == Scenario.FOR_DOWN_TIME) {
                resume(job);
                FailbackDriver.sleep(POLL);
                continue;
            }
            if (List.of("Succeeded", "Failed", "Cancelled").contains(state)) {
                return current;
            }
            FailbackDriver.sleep(POLL);
        }
        throw new IllegalStateException("job " + job + " did not end within " + options.jobTimeout().toMinutes() + " min");
    }

    private JsonNode poll(String job) {
        try {
            return api.job(job);
        } catch (IllegalStateException awayForNow) {
            return null;
        }
    }

    /** "Complete Failover"; if job-service or its database is still coming back, the next poll finds it Suspended again. */
    private void resume(String job) {
        try {
            api.exchange("POST", system.jobServiceUrl().resolve("/api/replicationJobs/" + job + "/resume"), "");
        } catch (IllegalStateException awayForNow) {
            // tried again after the next poll
        }
    }

    private static JsonNode task(JsonNode jobProperties, String name) {
        for (JsonNode task : jobProperties.path("tasks")) {
            if (task.path("name").asText().equals(name)) {
                return task;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /**
     * The run's VM in Azure, shaped like the benchmark's (1 MiB extents, 43% zeros) with content of its own; idle for a
     * full download, writing for ForDownTime. azure-sim writes the content before it answers, which for a large disk
     * takes longer than FailbackApi's 30 s per request.
     */
    private void createAzureVm(String vm, PlannedRun planned) throws IOException {
        int writes = planned.scenario() == Scenario.FOR_DOWN_TIME ? AZURE_WRITES_PER_SECOND : 0;
        HttpRequest request = HttpRequest.newBuilder(system.azureSimUrl().resolve("/api/vms")).timeout(options.jobTimeout())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 43,
                         "workload": {"pattern": "RandomSmall", "writesPerSecond": %d, "writeSizeBytes": %d, "seed": %d}}"""
                        .formatted(vm, options.diskBytes(), planned.contentSeed(), writes, AZURE_WRITE_BYTES, planned.contentSeed())))
                .build();
        try {
            HttpResponse<String> response = slowRequests.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("creating " + vm + " in azure-sim answered " + response.statusCode() + ": " + response.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The Azure VM must be shut down (its file is the disk at shutdown); the on-premises VM, which the failback started
     * and which writes, is stopped first, and the blocks it wrote since the failback verified its disk are left out
     * of both hashes: its change tracking says which.
     */
    private void compareImages(String vm, SoakRun.Builder result) throws IOException {
        String azureState = api.get(system.azureSimUrl().resolve("/api/vms/" + vm)).path("state").asText();
        result.azureState(azureState);
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        long verifiedAt = api.get(hostVm).path("disks").get(0).path("verifiedTrackingPoint").asLong();
        JsonNode written = api.get(URI.create(hostVm + "/disks/disk-0/changed-blocks?since=" + verifiedAt));
        if (written.path("blockSize").asInt() != BLOCK_BYTES) {
            throw new IllegalStateException("host-agent's block size is " + written.path("blockSize") + ", not 64 KiB");
        }
        Set<Long> writtenOnPremises = new HashSet<>();
        for (JsonNode range : written.path("ranges")) {
            for (long b = range.get(0).asLong(); b < range.get(0).asLong() + range.get(1).asLong(); b++) {
                writtenOnPremises.add(b);
            }
        }
        Path azureImage = system.azureStorageDir().resolve("vms").resolve(vm).resolve("disk-0.img");
        Path onPremisesImage = system.hostStorageDir(host.id()).resolve("vms").resolve(vm).resolve("disk-0.img");
        result.comparison(ImageComparison.of(azureImage, onPremisesImage, BLOCK_BYTES, writtenOnPremises));
    }

    private void deleteVms(String vm) {
        for (URI site : List.of(system.azureSimUrl(), system.hostAgentUrl(host.id()))) {
            try {
                api.exchange("DELETE", site.resolve("/api/vms/" + vm), null);
            } catch (RuntimeException e) {
                System.err.println("[soak] could not delete " + vm + " from " + site + ": " + e.getMessage());
            }
        }
    }

    /** A run holds the Azure disk and the on-premises copy (both sparse, 57% data) at once; runs delete theirs. */
    private void failIfTooLittleSpace() throws IOException {
        Files.createDirectories(workDir);
        long needed = 2 * options.diskBytes() * (options.keepData() ? options.runs() : 1) + (2L << 30);
        long free = Files.getFileStore(workDir).getUsableSpace();
        if (free < needed) {
            throw new IllegalStateException("%s has %.1f GiB free; this soak needs about %.1f GiB".formatted(workDir,
                    free / 1073741824.0, needed / 1073741824.0));
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("[soak] could not delete " + dir + ": " + e.getMessage());
        }
    }

    private static void say(String format, Object... args) {
        System.out.println("[soak] " + (args.length == 0 ? format : format.formatted(args)));
    }
}
