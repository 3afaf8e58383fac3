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
 * Plays azure-sim's answers job-service needs when an item is registered in Azure ({@code GET /api/vms/{name}}) and
 * when a failback is estimated (the VM's metrics, its blocks changed since a point), as the tests play sync-service and
 * the hosts over Kafka: every VM exists except those whose name starts with {@value #ABSENT_PREFIX}; those whose name
 * starts with {@value #SHAPED_PREFIX} have metrics: one idle disk of {@link #SHAPED_DISK_BYTES} like the benchmark's. {@link #goAway()} and {@link #comeBack()} stop and start it on the same port, as azure-sim
 * restarting would. The system tests register items against the real azure-sim.
 */
public class AzureSimStandIn implements QuarkusTestResourceLifecycleManager {
    /** Names of VMs Azure does not have. */
    static final String ABSENT_PREFIX = "absent-";
    /** Names of VMs with metrics. */
    static final String SHAPED_PREFIX = "shaped-";
    static final int SHAPED_BLOCK_SIZE = 65536;
    static final long SHAPED_DISK_BYTES = 4L << 30;
    /** 57% of the blocks hold data, as in the benchmark's disk. */
    static final long SHAPED_DATA_BYTES = 37376L * SHAPED_BLOCK_SIZE;
    /** 1% of the blocks written since the VM's last shutdown. */
    static final long SHAPED_WRITTEN_SINCE_SHUTDOWN = 655;
    /** ... in whole blocks: what those writes carry ... */
    static final long SHAPED_CHANGED_BYTES_SINCE_SHUTDOWN = SHAPED_WRITTEN_SINCE_SHUTDOWN * SHAPED_BLOCK_SIZE;
    /** ... or, for VMs named with this prefix, in 4 KiB writes, two pages a block. */
    static final String SMALL_WRITES_PREFIX = SHAPED_PREFIX + "pages-";
    static final long SMALL_WRITES_CHANGED_BYTES_SINCE_SHUTDOWN = SHAPED_WRITTEN_SINCE_SHUTDOWN * 2 * 4096;
    /** The blocks changed since any tracking point asked about: the first ones of the disk, each in its first page. */
    static final long SHAPED_CHANGED_SINCE_POINT = 656;

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
            if (name.startsWith(SHAPED_PREFIX) && name.contains("/")) {
                shaped(exchange, name.substring(0, name.indexOf('/')), name.substring(name.indexOf('/')));
                return;
            }
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

    private static void shaped(com.sun.net.httpserver.HttpExchange exchange, String vm, String path) throws IOException {
        String body;
        if (path.equals("/metrics")) {
            body = """
                    {"vmName": "%s", "state": "Running", "diskWriteOperationsPerSecond": 0, "writeSizeBytes": 0, "disks": [
                      {"diskId": "disk-0", "sizeBytes": %d, "blockSize": %d, "blocksWrittenSinceFailover": null,
                       "blocksWrittenSinceShutdown": %d, "dataBytes": %d, "bytesChangedSinceShutdown": %d}]}""".formatted(vm,
                    SHAPED_DISK_BYTES, SHAPED_BLOCK_SIZE, SHAPED_WRITTEN_SINCE_SHUTDOWN, SHAPED_DATA_BYTES,
                    vm.startsWith(SMALL_WRITES_PREFIX) ? SMALL_WRITES_CHANGED_BYTES_SINCE_SHUTDOWN : SHAPED_CHANGED_BYTES_SINCE_SHUTDOWN);
        } else if (path.startsWith("/disks/disk-0/changed-blocks")) {
            StringBuilder pages = new StringBuilder();
            for (long block = 0; block < SHAPED_CHANGED_SINCE_POINT; block++) {
                pages.append(block == 0 ? "" : ", ").append("[").append(block).append(", 1]");
            }
            body = """
                    {"diskId": "disk-0", "blockSize": %d, "blockCount": %d, "ranges": [[0, %d]], "pages": [%s]}""".formatted(
                    SHAPED_BLOCK_SIZE, SHAPED_CHANGED_SINCE_POINT, SHAPED_CHANGED_SINCE_POINT, pages);
        } else {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
