package io.failback.system;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code src/test/node/seed-story.mjs}, the seed's story through Microsoft's official Site Recovery SDK for
 * JavaScript, run one step at a time by Node.js: its dependencies installed from the committed lock file, its
 * environment (endpoint, token, the CA it must trust), and its JSON lines read back.
 */
final class SeedStoryScript {
    /** Failsafe runs in the module's folder. */
    static final Path NODE_PROJECT = Path.of("src", "test", "node");
    private static final int REQUIRED_NODE_MAJOR = 20;
    /** Written after a successful {@code npm ci}: the lock file's hash it installed. */
    private static final String INSTALLED_LOCK_MARKER = ".failback-installed-lock.sha256";

    private final Map<String, String> environment;
    private final Path traceFile;
    private final Duration stepTimeout;

    /**
     * @param environment the script's variables (see the script's header); {@code NODE_EXTRA_CA_CERTS} among them
     * @param traceFile   where the script records every HTTP exchange, for failure messages
     */
    SeedStoryScript(Map<String, String> environment, Path traceFile, Duration stepTimeout) {
        this.environment = Map.copyOf(environment);
        this.traceFile = traceFile.toAbsolutePath();
        this.stepTimeout = stepTimeout;
    }

    /**
     * Fails (not skips: CI has Node) when Node.js 20 or newer is missing, then runs {@code npm ci} unless
     * node_modules already holds exactly what the lock file pins.
     */
    static void install() throws IOException, InterruptedException {
        String version = run(List.of("node", "--version"), NODE_PROJECT, Duration.ofSeconds(30), "node is not on the PATH").trim();
        int major = Integer.parseInt(version.replaceFirst("^v(\\d+)\\..*$", "$1"));
        if (major < REQUIRED_NODE_MAJOR) {
            throw new AssertionError("OfficialSdkIT needs Node.js " + REQUIRED_NODE_MAJOR + " or newer, found " + version + howToInstallNode());
        }
        Path marker = NODE_PROJECT.resolve("node_modules").resolve(INSTALLED_LOCK_MARKER);
        String lock = sha256(NODE_PROJECT.resolve("package-lock.json"));
        if (Files.exists(marker) && Files.readString(marker).trim().equals(lock)) {
            return;
        }
        // On Windows npm is a batch file, which ProcessBuilder does not find by its bare name.
        String npm = System.getProperty("os.name").startsWith("Windows") ? "npm.cmd" : "npm";
        run(List.of(npm, "ci", "--no-audit", "--no-fund"), NODE_PROJECT, Duration.ofMinutes(5), "npm is not on the PATH");
        Files.writeString(marker, lock + "\n");
    }

    /** The same script with one variable changed, or removed when {@code value} is null. */
    SeedStoryScript withEnvironment(String name, String value) {
        Map<String, String> changed = new HashMap<>(environment);
        if (value == null) {
            changed.remove(name);
        } else {
            changed.put(name, value);
        }
        return new SeedStoryScript(changed, traceFile, stepTimeout);
    }

    /**
     * Runs the given steps and answers the JSON lines they printed; throws with everything the script said, and the
     * last HTTP exchanges it recorded, when it exits non-zero or runs out of time.
     */
    List<JsonNode> run(String... steps) throws IOException, InterruptedException {
        Outcome outcome = execute(steps);
        if (outcome.exitCode != 0) {
            throw new AssertionError(outcome.describe(steps) + traceTail(6));
        }
        return outcome.lines();
    }

    /** Runs steps that must fail and answers the error the failing step printed ({@code {step, error}}). */
    JsonNode failure(String... steps) throws IOException, InterruptedException {
        Outcome outcome = execute(steps);
        List<JsonNode> lines = outcome.lines();
        JsonNode last = lines.isEmpty() ? null : lines.get(lines.size() - 1);
        if (outcome.exitCode == 0 || last == null || !last.has("error")) {
            throw new AssertionError("expected a failure. " + outcome.describe(steps));
        }
        return last;
    }

    private Outcome execute(String... steps) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", "seed-story.mjs"));
        command.addAll(List.of(steps));
        ProcessBuilder builder = new ProcessBuilder(command).directory(NODE_PROJECT.toFile());
        // Only what this script is given: no CA, token or switched-off TLS check leaks in from the build's environment.
        builder.environment().keySet().removeIf(name -> name.startsWith("FAILBACK_")
                || name.equals("NODE_EXTRA_CA_CERTS") || name.equals("NODE_TLS_REJECT_UNAUTHORIZED"));
        builder.environment().putAll(environment);
        builder.environment().put("FAILBACK_SDK_TRACE", traceFile.toString());
        builder.environment().put("FAILBACK_STEP_TIMEOUT_SECONDS", Long.toString(stepTimeout.toSeconds()));
        Path stdout = Files.createTempFile(traceFile.getParent(), "seed-story-", ".out");
        Path stderr = Files.createTempFile(traceFile.getParent(), "seed-story-", ".err");
        Process process = builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        // The script enforces the step timeout itself; this only catches a script that hangs anyway.
        boolean exited = process.waitFor(stepTimeout.multipliedBy(steps.length).plusMinutes(1).toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor();
        }
        Outcome outcome = new Outcome(exited ? process.exitValue() : -1, Files.readString(stdout), Files.readString(stderr));
        Files.delete(stdout);
        Files.delete(stderr);
        return outcome;
    }

    /** @param exitCode -1 when the script hung and was killed */
    private record Outcome(int exitCode, String out, String err) {
        List<JsonNode> lines() {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    System.out.println("seed-story.mjs: " + line); // each operation, its job and how long it took, in the build's log
                    lines.add(FailbackApi.json(line));
                }
            }
            return lines;
        }

        String describe(String... steps) {
            return "seed-story.mjs " + String.join(" ", steps) + (exitCode < 0 ? " hung" : " exited " + exitCode)
                    + "\n--- stdout\n" + out + "--- stderr\n" + err + "--- the last HTTP exchanges\n";
        }
    }

    private String traceTail(int exchanges) throws IOException {
        if (!Files.exists(traceFile)) {
            return "(none)\n";
        }
        List<String> lines = Files.readAllLines(traceFile);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - exchanges), lines.size())) + "\n";
    }

    /** Runs a command to its end and answers its output; a command that cannot start or fails is an AssertionError. */
    private static String run(List<String> command, Path directory, Duration timeout, String whenMissing)
            throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        } catch (IOException notFound) {
            throw new AssertionError("OfficialSdkIT drives the official Azure SDK for JavaScript, but " + whenMissing + " ("
                    + notFound.getMessage() + ")." + howToInstallNode(), notFound);
        }
        // Read while it runs, so a chatty command never blocks on a full pipe.
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " in " + directory + " exited " + process.exitValue() + ":\n" + text);
        }
        return text;
    }

    private static String howToInstallNode() {
        return " Install Node.js " + REQUIRED_NODE_MAJOR + " LTS with npm (https://nodejs.org/en/download, or e.g."
                + " 'curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs', or 'nvm install 20')"
                + " and put node and npm on the PATH; CI runs Node 20.";
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
