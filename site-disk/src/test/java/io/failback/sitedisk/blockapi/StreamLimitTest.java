package io.failback.sitedisk.blockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.Problem;
import io.failback.sitedisk.VirtualDisk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site that serves one block stream at once holds a second for a moment and lets it through as soon as the first
 * ends; it refuses one that waited the whole moment, or one beyond those it holds, with 503 SiteBusy; and a stream cut
 * half-way gives its place back.
 */
class StreamLimitTest {
    private static final int BLOCK = 64 * 1024;
    private static final int BLOCKS = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Vertx vertx;
    private HttpClient client;
    private int port;

    @BeforeEach
    void serveOneStreamAtOnce() throws Exception {
        vertx = Vertx.vertx();
        // Random, so that no run-length frame shortens it, and more than the sockets buffer: a paused reader holds the stream open.
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "d", (long) BLOCKS * BLOCK, BLOCK);
        byte[] data = new byte[BLOCKS * BLOCK];
        new Random(7).nextBytes(data);
        disk.write(0, ByteBuffer.wrap(data));
        Router router = Router.router(vertx);
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public VirtualDisk disk(String vmName, String diskId) {
                return disk;
            }

            @Override
            public VirtualDisk openForWrite(String vmName, String diskId, boolean fullCopy) {
                return disk;
            }

            @Override
            public BlockApi.StreamLimit streamLimit() {
                return new BlockApi.StreamLimit(1, "TEST_MAX_STREAMS");
            }
        });
        port = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS).actualPort();
        client = vertx.createHttpClient();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpClientResponse open(HttpMethod method, String path) throws Exception {
        return opening(method, path).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Future<HttpClientResponse> opening(HttpMethod method, String path) {
        return client.request(new RequestOptions().setMethod(method).setPort(port).setHost("127.0.0.1").setURI(path))
                .compose(request -> method == HttpMethod.POST ? request.send("{\"ranges\": [[0, " + BLOCKS + "]]}") : request.send())
                .map(HttpClientResponse::pause);
    }

    /** Reads the stream to its end; answers how many bytes it carried. */
    private static int drain(HttpClientResponse stream) throws Exception {
        Future<Integer> length = stream.body().map(io.vertx.core.buffer.Buffer::length);
        stream.resume();
        return length.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String body(HttpClientResponse response) throws Exception {
        Future<String> body = response.body().map(Object::toString);
        response.resume();
        return body.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void assertBusy(HttpClientResponse refused) throws Exception {
        assertEquals(503, refused.statusCode());
        assertEquals(String.valueOf(BlockApi.BUSY_RETRY_SECONDS), refused.getHeader("Retry-After"));
        JsonObject problem = new JsonObject(body(refused));
        assertEquals(Problem.SITE_BUSY, problem.getString("type"));
        assertTrue(problem.getString("detail").contains("serves 1 block streams at once (TEST_MAX_STREAMS)"), problem.encode());
    }

    @Test
    void aStreamBeyondTheLimitWaitsAMomentThenIsRefused() throws Exception {
        HttpClientResponse first = open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        assertEquals(200, first.statusCode());
        long started = System.nanoTime();
        Future<HttpClientResponse> held = opening(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        // The site holds as many as it serves: one more is refused at once.
        assertBusy(open(HttpMethod.POST, "/api/vms/vm/disks/d/blocks/select"));
        assertBusy(held.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - started >= StreamGate.HOLD.toNanos(), "the held stream waited its moment before it was refused");
        // What is not a block stream is not counted.
        HttpClientResponse changed = open(HttpMethod.GET, "/api/vms/vm/disks/d/changed-blocks?since=0");
        assertEquals(200, changed.statusCode(), body(changed));

        assertTrue(drain(first) > BLOCKS * BLOCK, "the first stream carried the disk");
        HttpClientResponse next = open(HttpMethod.POST, "/api/vms/vm/disks/d/blocks/select");
        assertEquals(200, next.statusCode());
        body(next);
    }

    @Test
    void aHeldStreamTakesThePlaceOfOneThatEnds() throws Exception {
        HttpClientResponse first = open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        assertEquals(200, first.statusCode());
        Future<HttpClientResponse> held = opening(HttpMethod.POST, "/api/vms/vm/disks/d/blocks/select");
        Thread.sleep(StreamGate.HOLD.toMillis() / 4);
        assertTrue(!held.isComplete(), "the second stream waits while the first runs");
        drain(first);
        HttpClientResponse second = held.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(200, second.statusCode(), "the held stream went on once the first ended");
        assertTrue(drain(second) > BLOCKS * BLOCK, "and carried the disk");
    }

    @Test
    void aStreamCutHalfWayGivesItsPlaceBack() throws Exception {
        HttpClientResponse cut = open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        assertEquals(200, cut.statusCode());
        cut.request().connection().close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        HttpClientResponse next = open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        while (next.statusCode() == 503 && System.nanoTime() < deadline) {
            body(next);
            Thread.sleep(50);
            next = open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        }
        assertEquals(200, next.statusCode(), "the place of the stream cut half-way was given back");
        body(next);
    }
}
