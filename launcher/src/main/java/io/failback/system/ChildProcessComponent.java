package io.failback.system;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A component that is one {@link ChildProcess} of this launcher, a new one on each {@link #launch()}. Subclasses say
 * how to start it and when it is ready; running, stopping and killing it are the same for all of them.
 */
abstract class ChildProcessComponent implements Component {

    private final String name;
    private final Path logFile;
    private final ProcessListener listener;
    /** Null until the first launch; afterwards the latest process, which may have ended. */
    private ChildProcess process;

    ChildProcessComponent(String name, Path logFile, ProcessListener listener) {
        this.name = name;
        this.logFile = logFile;
        this.listener = listener;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Path logFile() {
        return logFile;
    }

    /** True on a restart: the log then already holds the earlier runs, which a crash report should keep. */
    final boolean launchedBefore() {
        return process != null;
    }

    /**
     * Starts {@code command} as this component's process, its output in {@link #logFile()} (see
     * {@link ChildProcess#start} for {@code appendToLog}), and tells the listener if it ends without being asked to.
     */
    final void startProcess(List<String> command, Map<String, String> environment, Path workDir, boolean appendToLog)
            throws IOException {
        process = ChildProcess.start(command, environment, workDir, logFile, appendToLog);
        process.onUnexpectedExit(exitCode -> listener.exitedUnexpectedly(name, exitCode, logFile));
    }

    /** For {@link #awaitReady}: fails, quoting the log, if the process ended before it became ready. */
    final void failIfExitedWhileStarting(String displayName) {
        if (!process.isAlive()) {
            throw new SystemStartException(LogTail.explain(
                    displayName + " exited with code " + process.exitCode() + " while starting.", logFile));
        }
    }

    @Override
    public final boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public final Optional<ProcessHandle> process() {
        return isRunning() ? Optional.of(process.handle()) : Optional.empty();
    }

    @Override
    public final void stop() {
        if (process != null) {
            process.stop();
        }
    }

    @Override
    public final void kill() {
        if (process != null) {
            process.kill();
        }
    }
}
