package io.failback.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A real child process running a shell script in {@code dir}, ready once the script has created the file
 * {@code ready} there; for tests of starting and supervising that need no JVM or server.
 */
final class ScriptComponent extends ChildProcessComponent {

    private final Path dir;
    private final String script;

    ScriptComponent(String name, Path dir, String script, ProcessListener listener) {
        super(name, dir.resolve(name + ".log"), listener);
        this.dir = dir;
        this.script = script;
    }

    @Override
    public void launch() throws IOException {
        Files.deleteIfExists(dir.resolve("ready"));
        startProcess(List.of("sh", "-c", script), Map.of(), dir, true);
    }

    @Override
    public void awaitReady(Instant deadline) throws InterruptedException {
        while (!Files.exists(dir.resolve("ready"))) {
            failIfExitedWhileStarting(name());
            if (Instant.now().isAfter(deadline)) {
                throw new SystemStartException(name() + " was not ready in time");
            }
            Thread.sleep(20);
        }
    }

    @Override
    public String address() {
        return dir.toString();
    }
}
