package io.failback.jobs;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Plays azure-sim's one answer job-service needs when an item is registered in Azure ({@code GET /api/vms/{name}}), as
 * the tests play sync-service and the hosts over Kafka: every VM exists except those whose name starts with
 * {@value #ABSENT_PREFIX}. {@link #goAway()} and {@link #comeBack()} stop and start it on the same port, as azure-sim
 * restarting would. The system tests register items against the real azure-sim.
 */
public class AzureSimStandIn implements QuarkusTestResourceLifecycleManager {
    /** Names of VMs Azure does not have. */
    static final String ABSENT_PREFIX = "absent-";

    private static HttpServer server;
    private static int port;

    @Override
    public synchronized Map<String, String> start() {
        if (server == null) {
            comeBack();
        }
        return Map.of("failback.azure-url", "http://127.0.0.1:" + port);
    }

    @Override
    public void stop() {
        goAway();
    }

    /** azure-sim is away: nothing listens on its port. */
    static synchronized void goAway() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    static synchronized void comeBack() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = server.getAddress().getPort();
        server.createContext("/api/vms/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring("/api/vms/".length());
            boolean exists = "GET".equals(exchange.getRequestMethod()) && !name.contains("/") && !name.startsWith(ABSENT_PREFIX);
            byte[] body = (exists ? "{\"name\": \"" + name + "\", \"powerState\": \"Running\"}"
                    : "{\"type\": \"VmNotFound\", \"status\": 404}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(exists ? 200 : 404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }
}
