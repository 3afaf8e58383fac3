package io.failback.system;

import io.failback.system.security.InternalTls;
import io.failback.system.security.ServiceIdentity;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/** {@code ./failback up}: start everything in {@code .failback/}, run the demo, stay until Ctrl-C or {@code stop}. */
final class UpCommand {

    private final ProjectLayout layout;
    private final RunDirectory runDirectory;
    private final LauncherOptions options;
    private final DemoScenario demo;
    private final PrintStream out;
    private final PrintStream err;
    /** Set once Ctrl-C or ./failback stop arrived; a start cut short by it is no failure to report. */
    private final AtomicBoolean stopping = new AtomicBoolean();

    UpCommand(ProjectLayout layout, RunDirectory runDirectory, LauncherOptions options, DemoScenario demo,
              PrintStream out, PrintStream err) {
        this.layout = layout;
        this.runDirectory = runDirectory;
        this.options = options;
        this.demo = demo;
        this.out = out;
        this.err = err;
    }

    int run() {
        if (!refuseIfAlreadyRunning()) {
            return 1;
        }
        Path state = layout.stateDir();
        LocalSystem system;
        try {
            system = options.configure(LocalSystem.builder())
                    .layout(layout)
                    .workDir(state)
                    .dataDir(state.resolve("data"))
                    .logDir(state.resolve("logs"))
                    .listener(new PidFiles())
                    // As Kubernetes would: a broker or service that crashes is started again.
                    .supervise()
                    .build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println(e.getMessage());
            return 2;
        }
        runDirectory.clear();
        runDirectory.record(RunDirectory.LAUNCHER, ProcessHandle.current());
        Thread stopOnExit = new Thread(() -> stop(system), "failback-stop");
        Runtime.getRuntime().addShutdownHook(stopOnExit);

        out.println("Starting Failback; data in " + relative(state.resolve("data")) + ", logs in " + relative(system.logDir()));
        try {
            system.start();
        } catch (SystemStartException e) {
            if (stopping.get()) {
                awaitShutdown();
            }
            err.println();
            err.println("Failback did not start: " + e.getMessage());
            err.println("Everything it had started is stopped again.");
            runDirectory.clear();
            removeHook(stopOnExit);
            return 1;
        }
        runDirectory.writeEndpoints(addresses(system));
        runDirectory.writeJobServiceTrust(system.jobServiceTls().trustAnchors());
        printTable(system);
        printApiAccess(system);
        printKafkaAccess(system);
        runDemo(system);
        out.println("Failback is running. Press Ctrl-C to stop it, or run ./failback stop in another terminal.");
        awaitShutdown();
        return 0;
    }

    /** True if we may start: no launcher runs and nothing of an earlier run is left over. */
    private boolean refuseIfAlreadyRunning() {
        Optional<ProcessHandle> launcher = runDirectory.liveLauncher();
        if (launcher.isPresent()) {
            err.println("Failback is already running (launcher pid " + launcher.get().pid() + ")."
                    + " See ./failback status, or stop it with ./failback stop.");
            return false;
        }
        Map<String, ProcessHandle> leftovers = runDirectory.liveChildren();
        if (!leftovers.isEmpty()) {
            err.println("Processes of an earlier run still live: " + leftovers.entrySet().stream()
                    .map(child -> child.getKey() + " (pid " + child.getValue().pid() + ")")
                    .collect(Collectors.joining(", ")) + ". Run ./failback stop first.");
            return false;
        }
        return true;
    }

    private void runDemo(LocalSystem system) {
        if (!options.runDemo()) {
            return;
        }
        try {
            demo.run(system.endpoints());
        } catch (Exception e) {
            err.println("The demo failed: " + e);
            err.println("The system keeps running so you can look around; the logs are in " + relative(system.logDir()));
        }
    }

    private void stop(LocalSystem system) {
        stopping.set(true);
        out.println();
        out.println("Stopping Failback...");
        system.close();
        runDirectory.clear();
        out.println("Stopped.");
    }

    private static void awaitShutdown() {
        try {
            new CountDownLatch(1).await(); // the shutdown hook ends the JVM
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs anyway and finds nothing left to stop
        }
    }

    private Map<String, String> addresses(LocalSystem system) {
        Map<String, String> addresses = new LinkedHashMap<>();
        system.components().forEach(component -> addresses.put(component.name(), component.address()));
        if (!system.names().contains(LocalSystem.KAFKA)) {
            addresses.put(LocalSystem.KAFKA, system.kafkaBootstrapServers());
        }
        if (!system.names().contains(LocalSystem.POSTGRES)) {
            addresses.put(LocalSystem.POSTGRES, system.datasource().url());
        }
        return addresses;
    }

    private void printTable(LocalSystem system) {
        String format = "  %-22s %-40s %s%n";
        out.println();
        out.printf(format, "NAME", "ADDRESS", "LOG");
        addresses(system).forEach((name, address) -> out.printf(format, name, address,
                system.names().contains(name) ? relative(system.logFile(name)) : "(external)"));
        out.println();
    }

    /** Where the API is, what to trust and how to get a token; never a token itself. */
    private void printApiAccess(LocalSystem system) {
        String ca = relative(system.jobServiceTls().trustAnchors());
        out.println("job-service API: " + system.jobServiceUrl() + " (HTTPS only, certificates trusted in " + ca + ")");
        out.println("  a token:  TOKEN=$(./failback token --role Operator)     (Reader, Operator or Contributor)");
        out.println("  a call:   curl --cacert " + ca + " -H \"Authorization: Bearer $TOKEN\" "
                + system.jobServiceUrl().resolve("/api/replicationJobs"));
        out.println("  console:  " + system.jobServiceUrl().resolve("/console/") + "  (sign in with such a token; trust the CA in the browser)");
        system.internalTls().ifPresent(tls -> {
            ServiceIdentity launcher = tls.identity(InternalTls.LAUNCHER);
            out.println("TLS between services (--tls-internal): the sites answer their API only to a certificate allowed there,");
            out.println("  as the launcher: curl --cacert " + relative(tls.internalCa()) + " --cert " + relative(launcher.certificate())
                    + " --key " + relative(launcher.privateKey()) + " " + system.azureSimUrl().resolve("/api/vms"));
        });
        out.println();
    }

    /** With --tls-internal: how an automation client logs in to Kafka; the password's file, never the password. */
    private void printKafkaAccess(LocalSystem system) {
        if (!system.kafkaSecured()) {
            return;
        }
        out.println("Kafka: SASL_SSL (SCRAM-SHA-512) on " + system.kafkaBootstrapServers() + ", CA "
                + relative(system.jobServiceTls().trustAnchors()) + "; automation logs in as user '" + KafkaAccess.AUTOMATION
                + "' with the password in " + relative(system.kafkaPasswordDirectory(KafkaAccess.AUTOMATION)
                        .resolve(io.failback.system.security.KafkaCredentials.PASSWORD_FILE)) + " (docs/security.md, \"Kafka\")");
        out.println();
    }

    private String relative(Path path) {
        return path.startsWith(layout.root()) ? layout.root().relativize(path).toString() : path.toString();
    }

    /** Keeps .failback/run in step with the processes, and tells the user about progress and crashes. */
    private final class PidFiles implements ProcessListener {
        @Override
        public void started(String name, ProcessHandle process) {
            runDirectory.record(name, process);
            out.println("  started " + name + " (pid " + process.pid() + ")");
        }

        @Override
        public void stopped(String name) {
            runDirectory.forget(name);
        }

        @Override
        public void exitedUnexpectedly(String name, int exitCode, Path logFile) {
            runDirectory.forget(name);
            err.println("!! " + name + " exited unexpectedly" + (exitCode < 0 ? "" : " with code " + exitCode) + "; see "
                    + relative(logFile));
        }

        @Override
        public void retryingStart(String name, int attempt, Duration pause, String reason) {
            err.println("!! " + name + " did not start: " + reason);
            err.println("   trying again (try " + attempt + ") in " + pause.toSeconds() + " s");
        }

        @Override
        public void restarting(String name, int restarts, Duration pause) {
            runDirectory.recordRestarts(name, restarts);
            err.println("   restarting " + name + " in " + pause.toSeconds() + " s (restart " + restarts + ")");
        }

        @Override
        public void restartFailed(String name, Exception failure) {
            String message = String.valueOf(failure.getMessage());
            err.println("!! restarting " + name + " failed: " + message.lines().findFirst().orElse(message));
        }
    }
}
