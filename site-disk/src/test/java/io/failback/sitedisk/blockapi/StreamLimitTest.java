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

/** A site that serves one block stream at once refuses a second with 503 SiteBusy, and takes the next once the first ended or was cut. */
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
        return client.request(new RequestOptions().setMethod(method).setPort(port).setHost("127.0.0.1").setURI(path))
                .compose(request -> method == HttpMethod.POST ? request.send("{\"ranges\": [[0, " + BLOCKS + "]]}") : request.send())
                .map(HttpClientResponse::pause)
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
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
    void aStreamBeyondTheLimitIsRefusedUntilOneEnds() throws Exception {
        HttpClientResponse first = open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks");
        assertEquals(200, first.statusCode());
        assertBusy(open(HttpMethod.GET, "/api/vms/vm/disks/d/blocks"));
        assertBusy(open(HttpMethod.POST, "/api/vms/vm/disks/d/blocks/select"));
        // What is not a block stream is not counted.
        HttpClientResponse changed = open(HttpMethod.GET, "/api/vms/vm/disks/d/changed-blocks?since=0");
        assertEquals(200, changed.statusCode(), body(changed));

        Future<Integer> length = first.body().map(io.vertx.core.buffer.Buffer::length);
        first.resume();
        assertTrue(length.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS) > BLOCKS * BLOCK,
                "the first stream carried the disk");
        HttpClientResponse next = open(HttpMethod.POST, "/api/vms/vm/disks/d/blocks/select");
        assertEquals(200, next.statusCode());
        body(next);
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
