package io.failback.contracts.blockstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.failback.contracts.site.BlockWriteSummary;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block API's sender and receiver over real HTTP on loopback: a disk streamed out of one server and into another
 * (piped through a client, as sync-service does) must arrive byte for byte.
 */
class BlockStreamOverHttpTest {
    private static final int BLOCK = 64 * 1024;

    @TempDir
    Path dir;
    private Vertx vertx;
    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private int serve(Path source, Path target) throws Exception {
        Router router = Router.router(vertx);
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public DiskFile openForRead(String vmName, String diskId) {
                return DiskFile.open(source, BLOCK);
            }

            @Override
            public DiskFile openForWrite(String vmName, String diskId, boolean fullCopy) {
                if (fullCopy) {
                    DiskFile.createZeroed(target, Files.exists(source) ? sizeOf(source) : 0);
                }
                return DiskFile.open(target, BLOCK);
            }
        });
        server = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        return server.actualPort();
    }

    private static long sizeOf(Path path) {
        try {
            return Files.size(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Half random extents, half zero extents, like the generated Azure disks. */
    private static void writeDisk(Path path, long size, long seed) {
        DiskFile.createZeroed(path, size);
        Random random = new Random(seed);
        byte[] extent = new byte[1 << 20];
        try (DiskFile disk = DiskFile.open(path, BLOCK)) {
            for (long offset = 0; offset < size; offset += extent.length) {
                if (random.nextBoolean()) {
                    random.nextBytes(extent);
                    disk.write(offset / BLOCK, ByteBuffer.wrap(extent));
                }
            }
        }
    }

    private BlockWriteSummary relay(int port, String query) throws Exception {
        HttpClient client = vertx.createHttpClient();
        HttpClientResponse source = client.request(new RequestOptions().setMethod(HttpMethod.GET).setPort(port)
                .setHost("127.0.0.1").setURI("/api/vms/vm/disks/d/blocks")).compose(r -> r.send())
                // Paused as soon as its head arrives, or the first chunks would be read before anyone listens.
                .map(response -> response.pause())
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(200, source.statusCode());
        String answer = client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(port).setHost("127.0.0.1")
                .setURI("/api/vms/vm/disks/d/blocks" + query))
                .compose(target -> {
                    target.setChunked(true);
                    return source.pipeTo(target).compose(v -> target.response())
                            .compose(response -> response.body().map(body -> response.statusCode() + " " + body));
                })
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).toString();
        assertEquals("200", answer.substring(0, 3), answer);
        answer = answer.substring(4);
        return new JsonObject(answer).mapTo(BlockWriteSummary.class);
    }

    @Test
    void aDiskStreamedThroughTheBlockApiArrivesByteForByte() throws Exception {
        Path source = dir.resolve("source.img");
        Path target = dir.resolve("target.img");
        writeDisk(source, 64L << 20, 7);
        int port = serve(source, target);

        BlockWriteSummary summary = relay(port, "?fullCopy=true");

        String expected;
        try (DiskFile disk = DiskFile.open(source, BLOCK)) {
            expected = disk.digest();
        }
        try (DiskFile disk = DiskFile.open(target, BLOCK)) {
            assertEquals(expected, disk.digest());
        }
        assertEquals(1024, summary.dataBlocks() + summary.zeroBlocks());
        assertEquals(summary.dataBlocks() * BLOCK, summary.dataBytes());
        assertNotEquals(0, summary.zeroBlocks());
    }

    @Test
    void zeroRunsOverwriteOldDataWhenTheTargetIsNotFresh() throws Exception {
        Path source = dir.resolve("source.img");
        Path target = dir.resolve("target.img");
        writeDisk(source, 16L << 20, 1);
        writeDisk(target, 16L << 20, 2); // different data where the source has zeros
        int port = serve(source, target);

        relay(port, "");

        try (DiskFile a = DiskFile.open(source, BLOCK); DiskFile b = DiskFile.open(target, BLOCK)) {
            assertEquals(a.digest(), b.digest());
        }
    }
}
