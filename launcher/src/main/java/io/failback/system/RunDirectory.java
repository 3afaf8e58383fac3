package io.failback.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code .failback/run}: one {@code <name>.pid} file per process a launcher started (and {@code launcher.pid} for the
 * launcher), so another invocation can tell whether Failback runs and stop every process even after the launcher
 * itself died. A file holds the pid and the process start time: a pid alone could by now belong to another program.
 */
final class RunDirectory {

    static final String LAUNCHER = "launcher";
    private static final String PID_SUFFIX = ".pid";
    private static final String ENDPOINTS = "endpoints";
    /** The path of the PEM certificates that job-service's HTTPS is checked against. */
    private static final String JOB_SERVICE_TRUST = "job-service-trust";
    /** Per part, how often the launcher started it again after it crashed: {@code name count} per line. */
    private static final String RESTARTS = "restarts";

    private final Path dir;

    RunDirectory(Path dir) {
        this.dir = dir;
    }

    Path path() {
        return dir;
    }

    void record(String name, ProcessHandle process) {
        long startedAt = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        write(dir.resolve(name + PID_SUFFIX), process.pid() + " " + startedAt + System.lineSeparator());
    }

    void forget(String name) {
        delete(dir.resolve(name + PID_SUFFIX));
    }

    Optional<ProcessHandle> liveLauncher() {
        return live(dir.resolve(LAUNCHER + PID_SUFFIX));
    }

    /** Recorded processes other than the launcher that still run, services first, then Kafka, then PostgreSQL. */
    Map<String, ProcessHandle> liveChildren() {
        Map<String, ProcessHandle> children = new TreeMap<>(Comparator.comparingInt(RunDirectory::stopRank)
                .thenComparing(Comparator.naturalOrder()));
        for (Path file : pidFiles()) {
            String name = file.getFileName().toString().replace(PID_SUFFIX, "");
            if (!name.equals(LAUNCHER)) {
                live(file).ifPresent(process -> children.put(name, process));
            }
        }
        return children;
    }

    /** The reverse of the start order: callers before what they call. */
    private static int stopRank(String name) {
        if (name.startsWith(ProjectLayout.HOST_AGENT + "-")) {
            return 2;
        }
        if (name.startsWith(ProjectLayout.SYNC_SERVICE + "-")) {
            return 1; // a further instance, sync-service-2...
        }
        return switch (name) {
            case ProjectLayout.JOB_SERVICE -> 0;
            case ProjectLayout.SYNC_SERVICE -> 1;
            case ProjectLayout.AZURE_SIM -> 3;
            case KafkaBroker.NAME -> 4;
            case PostgresServer.NAME -> 5;
            default -> 0;
        };
    }

    /** What {@code status} shows: name and address per line, in the launcher's order. */
    void writeEndpoints(Map<String, String> addresses) {
        StringBuilder lines = new StringBuilder();
        addresses.forEach((name, address) -> lines.append(name).append(' ').append(address).append(System.lineSeparator()));
        write(dir.resolve(ENDPOINTS), lines.toString());
    }

    Map<String, String> readEndpoints() {
        Map<String, String> addresses = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve(ENDPOINTS))) {
                String[] fields = line.trim().split(" ", 2);
                if (fields.length == 2) {
                    addresses.put(fields[0], fields[1]);
                }
            }
        } catch (IOException noFile) {
            // nothing recorded
        }
        return addresses;
    }

    /** Which certificates {@code status} trusts when it asks job-service over HTTPS whether it is ready. */
    void writeJobServiceTrust(Path trustedCertificates) {
        write(dir.resolve(JOB_SERVICE_TRUST), trustedCertificates.toAbsolutePath() + System.lineSeparator());
    }

    Optional<Path> readJobServiceTrust() {
        try {
            return Optional.of(Path.of(Files.readString(dir.resolve(JOB_SERVICE_TRUST)).trim())).filter(Files::isRegularFile);
        } catch (IOException noFile) {
            return Optional.empty();
        }
    }

    /** Sets {@code name}'s restart count, keeping the others'. */
    synchronized void recordRestarts(String name, int restarts) {
        Map<String, Integer> counts = new LinkedHashMap<>(readRestarts());
        counts.put(name, restarts);
        StringBuilder lines = new StringBuilder();
        counts.forEach((part, count) -> lines.append(part).append(' ').append(count).append(System.lineSeparator()));
        write(dir.resolve(RESTARTS), lines.toString());
    }

    /** Restart counts by part; a part never restarted is missing. */
    Map<String, Integer> readRestarts() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve(RESTARTS))) {
                String[] fields = line.trim().split(" ");
                if (fields.length == 2) {
                    counts.put(fields[0], Integer.parseInt(fields[1]));
                }
            }
        } catch (IOException | NumberFormatException noneRecorded) {
            // none recorded
        }
        return counts;
    }

    /** Removes every pid file, the endpoints, the trust and the restart counts. */
    void clear() {
        pidFiles().forEach(RunDirectory::delete);
        delete(dir.resolve(RESTARTS));
        delete(dir.resolve(ENDPOINTS));
        delete(dir.resolve(JOB_SERVICE_TRUST));
    }

    private Iterable<Path> pidFiles() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + PID_SUFFIX)) {
            List<Path> list = new ArrayList<>();
            files.forEach(list::add);
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The recorded process if it still runs and is the same process (same start time) that was recorded. */
    private static Optional<ProcessHandle> live(Path pidFile) {
        String[] fields;
        try {
            fields = Files.readString(pidFile).trim().split("\\s+");
        } catch (IOException noFile) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(fields[0]);
            long recordedStart = fields.length > 1 ? Long.parseLong(fields[1]) : 0;
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(process -> recordedStart == 0 || sameStart(process, recordedStart));
        } catch (NumberFormatException corrupt) {
            return Optional.empty();
        }
    }

    private static boolean sameStart(ProcessHandle process, long recordedStartMillis) {
        return process.info().startInstant()
                .map(start -> Duration.between(Instant.ofEpochMilli(recordedStartMillis), start).abs().toMillis() < 2_000)
                .orElse(true);
    }

    private void write(Path file, String content) {
        try {
            Files.createDirectories(dir);
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
