package io.failback.system.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to its end within a time limit; its output goes to a temporary file so a chatty command never blocks. */
final class Shell {

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Shell() {
    }

    static Result run(Duration timeout, String... command) {
        Path output = null;
        try {
            output = Files.createTempFile("failback-bench-", ".out");
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                // Only what this call started: the process and its children.
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(process.exitValue(), Files.readString(output));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    /** Like {@link #run} but throws unless the exit code is 0. */
    static String check(Duration timeout, String... command) {
        Result result = run(timeout, command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + result.exitCode()
                    + ": " + result.output().strip());
        }
        return result.output();
    }

    /** Flushes dirty pages, so one measurement does not pay for the writes of the step before it. */
    static void sync() {
        check(Duration.ofMinutes(5), "sync");
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : List.of(path.split(File.pathSeparator))) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
