package io.failback.system.bench;

import io.failback.system.FreePorts;
import io.failback.system.bench.Measurements.RsyncRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * rsync as performance.md ran it: a daemon on 127.0.0.1 with one writable module, and a client pushing an image into
 * it with {@code --inplace -I -B 65536}, each run followed by {@code sync}. The file in the module carries over from
 * one run to the next, as the on-premises disk does between failbacks.
 */
final class RsyncPeer implements AutoCloseable {
    private static final String MODULE = "bench";
    private static final String TARGET_FILE = "disk.img";
    private static final Pattern SENT = Pattern.compile("Total bytes sent:\\s*([\\d,.]+)");
    private static final Pattern RECEIVED = Pattern.compile("Total bytes received:\\s*([\\d,.]+)");

    private final Path moduleDir;
    private final int port;
    private final Process daemon;
    private final Duration timeout;
    private final Thread stopAtExit;

    private RsyncPeer(Path moduleDir, int port, Process daemon, Duration timeout) {
        this.moduleDir = moduleDir;
        this.port = port;
        this.daemon = daemon;
        this.timeout = timeout;
        // Ctrl-C must not leave a daemon behind.
        this.stopAtExit = new Thread(this::stopDaemon, "rsync-daemon-stop-at-exit");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /** Empty when rsync is here (installed now if it was missing), else why it cannot be used. */
    static Optional<String> unavailable() {
        if (Shell.onPath("rsync")) {
            return Optional.empty();
        }
        if (!Shell.isRoot()) {
            return Optional.of("rsync is not installed and installing it needs root (apt-get install -y rsync)");
        }
        System.out.println("[bench] rsync is missing: apt-get install -y rsync");
        Shell.Result install = Shell.run(Duration.ofMinutes(5), "apt-get", "install", "-y", "-q", "rsync");
        if (install.ok() && Shell.onPath("rsync")) {
            return Optional.empty();
        }
        String[] lines = install.output().strip().split("\n");
        return Optional.of("rsync is not installed and 'apt-get install -y rsync' failed (exit " + install.exitCode() + "): "
                + lines[lines.length - 1]);
    }

    static RsyncPeer start(Path dir, Duration timeout) throws IOException {
        Path moduleDir = Files.createDirectories(dir.resolve("module"));
        int port = FreePorts.allocate(1).get(0);
        Path config = dir.resolve("rsyncd.conf");
        // As root the daemon would write as 'nobody' into a folder owned by root; keep the caller's identity.
        String identity = Shell.isRoot() ? "    uid = 0\n    gid = 0\n" : "";
        Files.writeString(config, """
                use chroot = no
                pid file = %s
                log file = %s
                [%s]
                    path = %s
                    read only = false
                %s""".formatted(dir.resolve("rsyncd.pid"), dir.resolve("rsyncd.log"), MODULE, moduleDir, identity));
        Process daemon = new ProcessBuilder("rsync", "--daemon", "--no-detach", "--address=127.0.0.1", "--port=" + port,
                "--config=" + config).redirectErrorStream(true).redirectOutput(dir.resolve("rsyncd.out").toFile()).start();
        Instant deadline = Instant.now().plusSeconds(15);
        while (!FreePorts.isListening(port)) {
            if (!daemon.isAlive() || Instant.now().isAfter(deadline)) {
                daemon.destroyForcibly();
                throw new IllegalStateException("the rsync daemon did not listen on 127.0.0.1:" + port + "; see " + dir);
            }
            FailbackDriver.sleep(Duration.ofMillis(100));
        }
        return new RsyncPeer(moduleDir, port, daemon, timeout);
    }

    /** Full copy into an empty module ({@code --whole-file}: no checksums, every byte travels). */
    RsyncRun fullCopy(String label, Path source) throws IOException {
        Files.deleteIfExists(moduleDir.resolve(TARGET_FILE));
        return timed(label, source, "--whole-file");
    }

    /** rsync's delta algorithm against what the module holds from the run before. */
    RsyncRun delta(String label, Path source) {
        if (!Files.isRegularFile(moduleDir.resolve(TARGET_FILE))) {
            throw new IllegalStateException("a delta needs the file of a full copy in the module first");
        }
        return timed(label, source, "--no-whole-file");
    }

    private RsyncRun timed(String label, Path source, String mode) {
        Shell.sync();
        Usage before = Usage.machineOnly();
        Instant start = Instant.now();
        String stats = Shell.check(timeout, "rsync", "--inplace", "-I", "-B", "65536", mode, "--stats", source.toString(),
                "rsync://127.0.0.1:" + port + "/" + MODULE + "/" + TARGET_FILE);
        Shell.sync();
        double seconds = FailbackDriver.secondsSince(start);
        return new RsyncRun(label, seconds, number(SENT, stats), number(RECEIVED, stats), Usage.machineOnly().since(before));
    }

    /** rsync prints counts with thousands separators whose character depends on the locale. */
    private static long number(Pattern pattern, String stats) {
        Matcher matcher = pattern.matcher(stats);
        if (!matcher.find()) {
            throw new IllegalStateException("rsync --stats printed no '" + pattern.pattern() + "': " + stats);
        }
        return Long.parseLong(matcher.group(1).replaceAll("[^0-9]", ""));
    }

    @Override
    public void close() {
        stopDaemon();
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException alreadyExiting) {
            // the hook runs or ran
        }
    }

    private void stopDaemon() {
        daemon.destroy();
        try {
            if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
