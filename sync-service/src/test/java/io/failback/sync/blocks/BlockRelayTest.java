package io.failback.sync.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.Compression;
import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.BlockWriteSummary;
import io.failback.contracts.site.PageMasks;
import io.failback.sitedisk.BlockDevice;
import io.failback.sync.sites.SiteCallException;
import io.failback.sitedisk.VirtualDisk;
import io.failback.sitedisk.blockapi.BlockApi;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.failback.contracts.messaging.SyncTask;
import io.failback.sync.metrics.SyncMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay between two real block APIs over loopback: it asks the source for block stream version 2 (with LZ4 when
 * compression is on), forwards the source's Content-Type, and falls back to version 1 once when the target refuses
 * version 2. The target must end equal to the source (SHA-256) every time.
 */
class BlockRelayTest {
    private static final int BLOCK = 64 * 1024;
    private static final int PAGE = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Vertx vertx;
    private SiteStreams streams;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SyncMetrics metrics = new SyncMetrics(registry, new io.failback.sync.runs.CopySlots(2));
    /** The Accept, compression and Content-Type headers of every request the sites got, in order. */
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        streams = new SiteStreams(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Source disk as VM "src", target as VM "dst"; a target that reads only version 1 refuses v2 at once. */
    private int serve(VirtualDisk source, VirtualDisk target, boolean targetReadsVersion2) throws Exception {
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            requests.add(ctx.request().method() + " " + ctx.request().path() + " accept=" + ctx.request().getHeader("Accept")
                    + " compression=" + ctx.request().getHeader(BlockStreamFormat.COMPRESSION_HEADER)
                    + " type=" + ctx.request().getHeader("Content-Type"));
            ctx.next();
        });
        if (!targetReadsVersion2) {
            // As a version 1 target answers a version 2 header (docs/contracts.md, negotiation).
            router.post("/api/vms/dst/disks/:disk/blocks").handler(ctx -> {
                if (BlockStreamFormat.MEDIA_TYPE_V2.equals(ctx.request().getHeader("Content-Type"))) {
                    ctx.response().setStatusCode(422).putHeader("Content-Type", "application/problem+json")
                            .end("{\"code\":\"InvalidBlockStream\",\"status\":422,"
                                    + "\"detail\":\"block stream version 2 is not supported (this reader speaks 1)\"}");
                } else {
                    ctx.next();
                }
            });
        }
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public BlockDevice disk(String vm, String diskId) {
                return vm.equals("src") ? source : target;
            }

            @Override
            public BlockDevice openForWrite(String vm, String diskId, boolean fullCopy) {
                if (fullCopy) {
                    target.zeroAll();
                }
                return target;
            }
        });
        return vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS).actualPort();
    }

    private VirtualDisk disk(String name, long seed) {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, name, 16L << 20, BLOCK);
        Random random = new Random(seed);
        byte[] extent = new byte[256 << 10];
        byte[] words = "failback replica recovery point disk block page ".getBytes(StandardCharsets.US_ASCII);
        for (long offset = 0; offset < disk.sizeBytes(); offset += extent.length) {
            int kind = random.nextInt(3);
            if (kind == 2) {
                continue;
            }
            if (kind == 0) {
                random.nextBytes(extent);
            } else {
                for (int i = 0; i < extent.length; i++) {
                    extent[i] = words[(i + random.nextInt(4)) % words.length];
                }
            }
            disk.write(offset, ByteBuffer.wrap(extent));
        }
        return disk;
    }

    /** Counters of a relay of a data task, for the tests that do not read its meters. */
    private BlockRelay.Counters relayCounters() {
        return new BlockRelay(streams, null, metrics).counters(SyncTask.DataSynchronization);
    }

    private static <T> T await(io.vertx.core.Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Test
    void aFullCopyLandsByteForByteWithCompressionOnAndOff() throws Exception {
        VirtualDisk source = disk("source", 1);
        VirtualDisk target = VirtualDisk.create(JSON, dir, "target", source.sizeBytes(), BLOCK);
        int port = serve(source, target, true);
        String base = "http://127.0.0.1:" + port + "/api/vms/";
        for (Compression compression : new Compression[] {Compression.ZSTD, Compression.LZ4, null}) {
            requests.clear();
            BlockRelay relay = new BlockRelay(streams, compression, metrics);
            BlockRelay.Counters counters = relay.counters(SyncTask.DataSynchronization);
            BlockWriteSummary summary = await(relay.relay(base + "src/disks/d/blocks",
                    base + "dst/disks/d/blocks?fullCopy=true", counters));
            assertEquals(source.digest(), target.digest(), "compression " + compression);
            assertEquals(source.sizeBytes(), counters.bytesCovered());
            assertEquals(List.of(
                    "GET /api/vms/src/disks/d/blocks accept=" + BlockRelay.ACCEPT + " compression="
                            + (compression == null ? "null" : compression.headerValue()) + " type=null",
                    "POST /api/vms/dst/disks/d/blocks accept=null compression=null type=" + BlockStreamFormat.MEDIA_TYPE_V2),
                    requests);
            assertTrue(summary.dataBlocks() > 0);
        }
    }

    @Test
    void aRelayCountsTheDiskItCoveredAndTheBytesItSentInItsTasksMeters() throws Exception {
        VirtualDisk source = disk("metered-source", 4);
        VirtualDisk target = VirtualDisk.create(JSON, dir, "metered-target", source.sizeBytes(), BLOCK);
        String base = "http://127.0.0.1:" + serve(source, target, true) + "/api/vms/";
        double[] sent = new double[2];
        Compression[] settings = {null, Compression.ZSTD};
        for (int i = 0; i < settings.length; i++) {
            BlockRelay relay = new BlockRelay(streams, settings[i], metrics);
            double sentBefore = registry.counter("failback.blockstream.sent", "task", "DataSynchronization").count();
            double coveredBefore = registry.counter("failback.blockstream.covered", "task", "DataSynchronization").count();
            await(relay.relay(base + "src/disks/d/blocks", base + "dst/disks/d/blocks?fullCopy=true",
                    relay.counters(SyncTask.DataSynchronization)));
            assertEquals(source.digest(), target.digest());
            assertEquals(source.sizeBytes(), registry.counter("failback.blockstream.covered", "task", "DataSynchronization").count()
                    - coveredBefore, "the whole disk, compression " + settings[i]);
            sent[i] = registry.counter("failback.blockstream.sent", "task", "DataSynchronization").count() - sentBefore;
        }
        // A third of the disk is zeros (run-length frames), a third text that compresses: what travels is less than the disk.
        assertTrue(sent[0] > 0 && sent[0] < source.sizeBytes(), "sent uncompressed: " + sent[0]);
        assertTrue(sent[1] < sent[0] * 0.8, "sent with zstd " + sent[1] + " against " + sent[0]);
        assertEquals(0, registry.find("failback.blockstream.sent").tag("task", "ReplicateToAzure").counters().size(),
                "a task that copied nothing has no series");
    }

    @Test
    void pagesOfASelectionLandAndTheStreamFallsBackToVersion1ForATargetThatReadsOnlyThat() throws Exception {
        for (boolean targetReadsVersion2 : new boolean[] {true, false}) {
            requests.clear();
            VirtualDisk source = disk("source" + targetReadsVersion2, 2);
            VirtualDisk target = disk("target" + targetReadsVersion2, 2);
            Random random = new Random(3);
            TreeMap<Long, Long> masks = new TreeMap<>();
            for (int i = 0; i < 20; i++) {
                long block = random.nextInt((int) source.blockCount());
                int page = random.nextInt(BLOCK / PAGE);
                byte[] bytes = new byte[PAGE];
                random.nextBytes(bytes);
                source.write(block * BLOCK + (long) page * PAGE, ByteBuffer.wrap(bytes));
                masks.merge(block, 1L << page, (a, b) -> a | b);
            }
            List<long[]> ranges = new ArrayList<>();
            PageMasks.Builder pages = new PageMasks.Builder(BLOCK);
            masks.forEach((block, mask) -> {
                ranges.add(new long[] {block, 1});
                if (mask != PageMasks.fullMask(BLOCK)) {
                    pages.add(block, mask);
                }
            });
            int port = serve(source, target, targetReadsVersion2);
            String base = "http://127.0.0.1:" + port + "/api/vms/";

            BlockWriteSummary summary = await(new BlockRelay(streams, Compression.ZSTD, metrics).relaySelected(base + "src/disks/d/blocks/select",
                    BlockSelection.of(ranges, pages.build()), base + "dst/disks/d/blocks", relayCounters()));

            assertEquals(source.digest(), target.digest(), "target reads v2: " + targetReadsVersion2);
            if (targetReadsVersion2) {
                assertEquals(2, requests.size(), requests.toString());
                // Pages, not blocks: the target was told only the pages' bytes.
                assertEquals(pages.build().bytesOf(ranges, BLOCK), summary.dataBytes());
            } else {
                assertEquals(4, requests.size(), requests.toString());
                assertTrue(requests.get(2).contains("accept=" + BlockStreamFormat.MEDIA_TYPE + " compression=null"), requests.get(2));
                assertTrue(requests.get(3).endsWith("type=" + BlockStreamFormat.MEDIA_TYPE), requests.get(3));
                assertEquals((long) ranges.size() * BLOCK, summary.dataBytes());
            }
        }
    }

    @Test
    void aSourceWhoseAnswerIsNotHttpFailsTheRelayAsInterruptedAndTheTargetKeepsWhatItHad() throws Exception {
        // Answers a 200 head, then a chunk size that is not one: Netty's codec reports it on the message, not by throwing.
        int garbagePort = vertx.createNetServer().connectHandler(socket -> socket.handler(request -> socket.write(
                "HTTP/1.1 200 OK\r\nContent-Type: " + BlockStreamFormat.MEDIA_TYPE_V2
                        + "\r\nTransfer-Encoding: chunked\r\n\r\nnot-a-chunk-size\r\n")))
                .listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        VirtualDisk target = disk("kept", 5);
        String before = target.digest();
        int port = serve(disk("unused", 6), target, true);

        java.util.concurrent.ExecutionException failure = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> await(new BlockRelay(streams, null, metrics).relay("http://127.0.0.1:" + garbagePort + "/api/vms/src/disks/d/blocks",
                        "http://127.0.0.1:" + port + "/api/vms/dst/disks/d/blocks", relayCounters())));

        SiteCallException cause = (SiteCallException) failure.getCause();
        assertEquals("BlockStreamInterrupted", cause.code());
        assertTrue(cause.getMessage().contains("not valid HTTP"), cause.getMessage());
        assertEquals(before, target.digest());
    }

    @Test
    void theSettingIsZstdLz4OrOff() {
        assertEquals(Compression.ZSTD, BlockRelay.compressionSetting("zstd"));
        assertEquals(Compression.LZ4, BlockRelay.compressionSetting(" LZ4 "));
        assertEquals(null, BlockRelay.compressionSetting("off"));
        assertThrows(IllegalArgumentException.class, () -> BlockRelay.compressionSetting("gzip"));
        assertThrows(IllegalArgumentException.class, () -> BlockRelay.compressionSetting("zstd, lz4"));
        assertThrows(IllegalArgumentException.class, () -> BlockRelay.compressionSetting(""));
    }
}
