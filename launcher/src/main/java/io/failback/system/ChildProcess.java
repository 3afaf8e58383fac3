package io.failback.system;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/** An operating-system process this launcher started, with its output in a log file. */
final class ChildProcess {

    /** How long a child may take to shut down after SIGTERM before it gets SIGKILL. */
    static final Duration STOP_GRACE = Duration.ofSeconds(15);

    /*
     * Children run in their own session so that Ctrl-C in the terminal reaches only the launcher, which then stops
     * them in order (services before Kafka before PostgreSQL). setsid execs in place, so the pid stays the child's.
     * Without it (not Linux) they still stop, just all at the same moment.
     */
    private static final Optional<Path> SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid")
            .map(Path::of).filter(Files::isExecutable).findFirst();

    private final Process process;
    private volatile boolean stopRequested;

    private ChildProcess(Process process) {
        this.process = process;
    }

    /**
     * Starts {@code command} with the launcher's environment plus {@code environment}. The log is truncated unless
     * {@code appendToLog}, which restarts use so a crash stays readable next to the run after it.
     */
    static ChildProcess start(List<String> command, Map<String, String> environment, Path workingDir,
                              Path logFile, boolean appendToLog) throws IOException {
        Files.createDirectories(logFile.getParent());
        Files.createDirectories(workingDir);
        List<String> fullCommand = new ArrayList<>();
        SETSID.ifPresent(setsid -> fullCommand.add(setsid.toString()));
        fullCommand.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(fullCommand)
                .directory(workingDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(appendToLog ? Redirect.appendTo(logFile.toFile()) : Redirect.to(logFile.toFile()))
                .redirectInput(Redirect.from(nullDevice()));
        builder.environment().putAll(environment);
        return new ChildProcess(builder.start());
    }

    /** Runs a short command (like formatting Kafka storage) to its end, its output appended to {@code logFile}. */
    static void runToCompletion(String name, List<String> command, Path workingDir, Path logFile, Duration timeout)
            throws IOException, InterruptedException {
        ChildProcess child = start(command, Map.of(), workingDir, logFile, true);
        if (!child.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            child.kill();
            throw new SystemStartException(LogTail.explain(name + " did not finish within " + timeout.toSeconds() + " s.", logFile));
        }
        if (child.process.exitValue() != 0) {
            throw new SystemStartException(LogTail.explain(name + " failed with exit code " + child.process.exitValue() + ".", logFile));
        }
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int exitCode() {
        return process.exitValue();
    }

    /** Calls {@code listener} with the exit code if the process ends without {@link #stop} or {@link #kill}. */
    void onUnexpectedExit(IntConsumer listener) {
        process.onExit().thenAccept(ended -> {
            if (!stopRequested) {
                listener.accept(ended.exitValue());
            }
        });
    }

    /** SIGTERM, then SIGKILL if it is still running after {@link #STOP_GRACE}. */
    void stop() {
        stopRequested = true;
        terminate(process.toHandle(), STOP_GRACE);
    }

    /** SIGKILL, as a crash would. */
    void kill() {
        stopRequested = true;
        process.destroyForcibly();
        awaitExit(process.toHandle(), STOP_GRACE);
    }

    /** Stops any process, ours or recorded by an earlier launcher: SIGTERM, wait, then SIGKILL. */
    static void terminate(ProcessHandle handle, Duration grace) {
        if (!handle.isAlive()) {
            return;
        }
        handle.destroy();
        if (!awaitExit(handle, grace)) {
            handle.destroyForcibly();
            awaitExit(handle, STOP_GRACE);
        }
    }

    static boolean awaitExit(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    /** No child reads its input; an open pipe nobody writes to would only wait forever if one tried. */
    private static File nullDevice() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
