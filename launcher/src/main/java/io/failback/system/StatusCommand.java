package io.failback.system;

import io.failback.system.security.JobServiceTls;
import java.io.PrintStream;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code ./failback status}: whether a launcher runs, and the state of each part it recorded. */
record StatusCommand(RunDirectory runDirectory, PrintStream out) {

    /** The port in {@code 127.0.0.1:9092} or {@code postgresql://127.0.0.1:5433/failback}. */
    private static final Pattern PORT = Pattern.compile(":(\\d+)(/|$)");

    /** 0 when running, 3 (as LSB init scripts do) when not. */
    int run() {
        Optional<ProcessHandle> launcher = runDirectory.liveLauncher();
        Map<String, ProcessHandle> children = runDirectory.liveChildren();
        if (launcher.isEmpty() && children.isEmpty()) {
            out.println("Failback is not running.");
            return 3;
        }
        out.println(launcher.map(process -> "Failback is running (launcher pid " + process.pid() + ").")
                .orElse("The launcher is not running, but processes of its run are; ./failback stop ends them."));
        Map<String, Integer> restarts = runDirectory.readRestarts();
        String format = "  %-22s %-8s %-40s %-9s %s%n";
        out.printf(format, "NAME", "PID", "ADDRESS", "RESTARTS", "STATE");
        runDirectory.readEndpoints().forEach((name, address) -> {
            String pid = Optional.ofNullable(children.get(name)).map(process -> String.valueOf(process.pid())).orElse("-");
            out.printf(format, name, pid, address, restarts.getOrDefault(name, 0), state(address));
        });
        return launcher.isPresent() ? 0 : 3;
    }

    private String state(String address) {
        if (address.startsWith("http://")) {
            return QuarkusService.isReady(URI.create(address).resolve("/q/health/ready")) ? "ready" : "not ready";
        }
        if (address.startsWith("https://")) {
            // Trusting exactly what 'up' trusts for job-service; without it there is nothing to check the server against.
            return runDirectory.readJobServiceTrust()
                    .map(trust -> QuarkusService.isReady(URI.create(address).resolve("/q/health/ready"),
                            QuarkusService.readinessClient(JobServiceTls.trusting(trust))) ? "ready" : "not ready")
                    .orElse("unknown (no trusted certificate recorded)");
        }
        Matcher port = PORT.matcher(address);
        if (address.contains("127.0.0.1") && port.find()) {
            return FreePorts.isListening(Integer.parseInt(port.group(1))) ? "listening" : "down";
        }
        return "external";
    }
}
