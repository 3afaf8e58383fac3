package io.failback.system;

import io.failback.system.security.ServerTls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * One of the packaged Quarkus services, run as {@code java -jar quarkus-run.jar} in its own JVM, serving plain HTTP on
 * its port, or only HTTPS when it is given a certificate.
 */
final class QuarkusService extends ChildProcessComponent {

    /**
     * The control plane's JVMs (job-service; the broker in {@link KafkaBroker}) compile with C1 only. Their work comes in
     * bursts, a disaster's failbacks, and each burst touched code paths the JIT had not compiled yet: with C2, after 120
     * failbacks job-service still spent half its CPU compiling (about 700 methods per 20 failbacks, 2.8 s of compile
     * time), sharing two cores with the copies. With C1 alone job-service used 35% less CPU per 20 failbacks from the
     * second burst on, and the broker half. A C1 compilation is cheap, so it comes after a tenth of the usual invocations
     * ({@code CompileThresholdScaling=0.1}): a failback runs much of its code once, and job-service still spent an eighth
     * of its CPU in the interpreter after 140 failbacks; from the third burst of 20 on it used 22% less CPU per failback
     * (32–39 ms against 40–57). The data plane keeps C2: its hot loops (hashing, copying, compressing) are few, compiled
     * early, and run faster.
     */
    static final List<String> CONTROL_PLANE_JIT = List.of("-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=0.1");

    private static final HttpClient PLAIN_HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path jar;
    private final int port;
    private final boolean https;
    private final HttpClient readinessClient;
    private final Map<String, String> environment;
    private final Path workDir;
    private final boolean dataPlane;

    /**
     * A service that serves only HTTPS on {@code port} with {@code tls}, or plain HTTP when {@code tls} is null.
     * {@code dataPlane}: it moves disks' blocks (sync-service, azure-sim, a host agent) and keeps C2; the control plane
     * compiles with {@link #CONTROL_PLANE_JIT}.
     */
    QuarkusService(String name, Path jar, int port, ServerTls tls, Map<String, String> environment, Path workDir,
                   Path logFile, ProcessListener listener, boolean dataPlane) {
        super(name, logFile, listener);
        this.jar = jar;
        this.dataPlane = dataPlane;
        this.port = port;
        this.https = tls != null;
        this.workDir = workDir;
        this.environment = new HashMap<>(environment);
        this.environment.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        if (https) {
            this.environment.putAll(tls.quarkusEnvironment(port));
            // No plain HTTP listener is opened (QUARKUS_HTTP_INSECURE_REQUESTS=disabled); should one ever be, it takes a
            // free port rather than 8080, which another service or another checkout may hold.
            this.environment.put("QUARKUS_HTTP_PORT", "0");
            this.readinessClient = readinessClient(tls.clientContext());
        } else {
            this.environment.put("QUARKUS_HTTP_PORT", String.valueOf(port));
            this.readinessClient = PLAIN_HTTP;
        }
    }

    /** A client for readiness checks over HTTPS that trusts what {@code trust} trusts. */
    static HttpClient readinessClient(SSLContext trust) {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(trust).build();
    }

    /** Sets or replaces environment variables for the next start; the running process keeps what it started with. */
    void changeEnvironment(Map<String, String> changes) {
        environment.putAll(changes);
    }

    URI baseUrl() {
        return URI.create((https ? "https" : "http") + "://127.0.0.1:" + port);
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
        List<String> command = new ArrayList<>();
        command.addAll(List.of(ProjectLayout.javaExecutable(), "-Xmx192m", "-XX:+UseSerialGC"));
        if (!dataPlane) {
            command.addAll(CONTROL_PLANE_JIT);
        }
        command.addAll(List.of("-jar", jar.toString()));
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
        return isReady(readinessUrl(), readinessClient);
    }

    URI readinessUrl() {
        return baseUrl().resolve("/q/health/ready");
    }

    /** Whether a plain HTTP service answers 200 on its readiness URL. */
    static boolean isReady(URI readinessUrl) {
        return isReady(readinessUrl, PLAIN_HTTP);
    }

    /** Whether the service answers 200 on its readiness URL; an HTTPS one only with a certificate {@code client} trusts. */
    static boolean isReady(URI readinessUrl, HttpClient client) {
        HttpRequest request = HttpRequest.newBuilder(readinessUrl).timeout(Duration.ofSeconds(2)).GET().build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
