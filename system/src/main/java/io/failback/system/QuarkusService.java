package io.failback.system;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One of the packaged Quarkus services, run as {@code java -jar quarkus-run.jar} in its own JVM. */
final class QuarkusService extends ChildProcessComponent {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path jar;
    private final int port;
    private final Map<String, String> environment;
    private final Path workDir;

    QuarkusService(String name, Path jar, int port, Map<String, String> environment, Path workDir, Path logFile,
                   ProcessListener listener) {
        super(name, logFile, listener);
        this.jar = jar;
        this.port = port;
        this.workDir = workDir;
        this.environment = new HashMap<>(environment);
        this.environment.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        this.environment.put("QUARKUS_HTTP_PORT", String.valueOf(port));
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    int port() {
        return port;
    }

    @Override
    public String address() {
        return baseUrl().toString();
    }

    @Override
    public void launch() throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new SystemStartException(name() + " is not built: " + jar + " is missing. Build it with ./failback build"
                    + " (or ./mvnw -DskipTests install).");
        }
        List<String> command = List.of(ProjectLayout.javaExecutable(), "-Xmx192m", "-XX:+UseSerialGC", "-jar", jar.toString());
        startProcess(command, environment, workDir, launchedBefore());
    }

    /** Waits for HTTP 200 from the readiness endpoint, failing early if the JVM exits. */
    @Override
    public void awaitReady(Instant deadline) throws InterruptedException {
        while (!isReady()) {
            failIfExitedWhileStarting(name());
            if (Instant.now().isAfter(deadline)) {
                throw new SystemStartException(LogTail.explain(
                        name() + " did not answer ready on " + readinessUrl() + " in time.", logFile()));
            }
            Thread.sleep(250);
        }
    }

    boolean isReady() {
        return isReady(readinessUrl());
    }

    URI readinessUrl() {
        return baseUrl().resolve("/q/health/ready");
    }

    static boolean isReady(URI readinessUrl) {
        HttpRequest request = HttpRequest.newBuilder(readinessUrl).timeout(Duration.ofSeconds(2)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
