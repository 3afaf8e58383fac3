package io.failback.system;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ./failback stop}: asks the launcher to shut down (SIGTERM, which runs its orderly shutdown), then stops
 * whatever it left behind, so no process of the run survives.
 */
record StopCommand(RunDirectory runDirectory, PrintStream out) {

    private static final Duration LAUNCHER_GRACE = Duration.ofSeconds(60);

    int run() {
        Optional<ProcessHandle> launcher = runDirectory.liveLauncher();
        Map<String, ProcessHandle> children = runDirectory.liveChildren();
        if (launcher.isEmpty() && children.isEmpty()) {
            out.println("Failback is not running.");
            runDirectory.clear();
            return 0;
        }
        launcher.ifPresent(this::stopLauncher);
        for (Map.Entry<String, ProcessHandle> leftover : runDirectory.liveChildren().entrySet()) {
            out.println("Stopping " + leftover.getKey() + " (pid " + leftover.getValue().pid() + "), left behind by the launcher");
            ChildProcess.terminate(leftover.getValue(), ChildProcess.STOP_GRACE);
        }
        runDirectory.clear();
        children.forEach((name, process) -> out.println("  stopped " + name + " (pid " + process.pid() + ")"));
        out.println("Failback is stopped.");
        return 0;
    }

    private void stopLauncher(ProcessHandle launcher) {
        out.println("Stopping the launcher (pid " + launcher.pid() + "); it stops the services, Kafka and PostgreSQL...");
        launcher.destroy();
        if (!ChildProcess.awaitExit(launcher, LAUNCHER_GRACE)) {
            out.println("The launcher did not stop within " + LAUNCHER_GRACE.toSeconds() + " s; killing it.");
            launcher.destroyForcibly();
            ChildProcess.awaitExit(launcher, ChildProcess.STOP_GRACE);
        }
        out.println("  stopped launcher (pid " + launcher.pid() + ")");
    }
}
