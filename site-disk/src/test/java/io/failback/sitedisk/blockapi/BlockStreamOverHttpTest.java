package io.failback.sitedisk.blockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.BlockHashes;
import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamException;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.contracts.site.BlockWriteSummary;
import io.failback.contracts.site.ChangedBlocks;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.VirtualDisk;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Serves disk "source" for reading and disk "target" for writing, both in {@link #dir}. */
    private int serve(VirtualDisk source, VirtualDisk target) throws Exception {
        Router router = Router.router(vertx);
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public VirtualDisk disk(String vmName, String diskId) {
                return source;
            }

            @Override
            public VirtualDisk openForWrite(String vmName, String diskId, boolean fullCopy) {
                if (fullCopy) {
                    target.zeroAll();
                }
                return target;
            }
        });
        server = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        return server.actualPort();
    }

    /** Half random extents, half zero extents, like the generated Azure disks. */
    private VirtualDisk disk(String name, long size, long seed) {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, name, size, BLOCK);
        Random random = new Random(seed);
        byte[] extent = new byte[1 << 20];
        for (long offset = 0; offset < size; offset += extent.length) {
            if (random.nextBoolean()) {
                random.nextBytes(extent);
                disk.write(offset, ByteBuffer.wrap(extent));
            }
        }
        return disk;
    }

    private BlockWriteSummary relay(int port, String query) throws Exception {
        HttpClient client = vertx.createHttpClient();
        HttpClientResponse source = client.request(new RequestOptions().setMethod(HttpMethod.GET).setPort(port)
                .setHost("127.0.0.1").setURI("/api/vms/vm/disks/d/blocks"))
                // Paused as its head arrives, inside the send's own future, or the first chunks would be read before
                // anyone listens (from this non-Vert.x thread a listener on the composed future may run a turn later).
                .compose(r -> r.send().map(response -> response.pause()))
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

    private byte[] get(int port, String uri) throws Exception {
        HttpClient client = vertx.createHttpClient();
        // The body is asked for as the head arrives (a body asked for later may be lost: vert.x#5904).
        return client.request(new RequestOptions().setMethod(HttpMethod.GET).setPort(port).setHost("127.0.0.1").setURI(uri))
                .compose(request -> request.send().compose(response -> {
                    assertEquals(200, response.statusCode());
                    return response.body();
                }))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).getBytes();
    }

    @Test
    void aHashListReadBackHoldsEachBlocksHashOfTheRangeAskedFor() throws Exception {
        VirtualDisk source = disk("source", 16L << 20, 3);
        int port = serve(source, disk("target", 16L << 20, 4));

        long[] hashes = BlockHashes.parse(ByteBuffer.wrap(get(port, "/api/vms/vm/disks/d/hashes?first=16&count=100")), 16, 100);

        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        for (int i = 0; i < 100; i++) {
            source.read(16 + i, block.clear());
            assertEquals(BlockHashes.hash(block.clear()), hashes[i], "block " + (16 + i));
        }
    }

    @Test
    void aSha256HashListCarriesEachBlocksSha256PrefixWithoutReadingBlocksTheDiskHashedAsItWroteThem() throws Exception {
        VirtualDisk source = disk("source", 16L << 20, 3);
        source.write(20L * BLOCK + 7, ByteBuffer.wrap(new byte[] {1, 2}));
        int port = serve(source, disk("target", 16L << 20, 4));
        long readBefore = source.blocksReadForDigests();

        BlockHashes.HashList list = BlockHashes.parseList(ByteBuffer.wrap(get(port,
                "/api/vms/vm/disks/d/hashes?first=16&count=100&" + BlockHashes.SHA256_PARAMETER)), 16, 100);

        assertEquals(BlockHashes.ALGORITHM_PAGE_TREE_PREFIX, list.algorithm());
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        for (int i = 0; i < 100; i++) {
            source.read(16 + i, block.clear());
            assertEquals(BlockHashes.sha256Prefix(io.failback.testing.ReferenceDigest.blockHash(block.array(), 0, BLOCK), 0),
                    list.hashes()[i], "block " + (16 + i));
        }
        assertEquals(readBefore, source.blocksReadForDigests(), "every hash was known from the writes");
        assertThrows(BlockStreamException.class, () -> BlockHashes.parse(ByteBuffer.wrap(get(port,
                "/api/vms/vm/disks/d/hashes?first=0&count=4&algorithm=sha256")), 0, 4), "an XXH64 reader is not handed SHA-256");
        String refused = vertx.createHttpClient().request(new RequestOptions().setMethod(HttpMethod.GET).setPort(port)
                .setHost("127.0.0.1").setURI("/api/vms/vm/disks/d/hashes?algorithm=md5"))
                .compose(request -> request.send().compose(response -> response.body().map(body -> response.statusCode() + " " + body)))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(refused.startsWith("400 ") && refused.contains("InvalidParameter"), refused);
    }

    @Test
    void aHashListOfAnotherRangeOrWithAFlippedBitIsRefused() throws Exception {
        int port = serve(disk("source", 8L << 20, 5), disk("target", 8L << 20, 6));
        byte[] list = get(port, "/api/vms/vm/disks/d/hashes?first=0&count=64");

        assertThrows(BlockStreamException.class, () -> BlockHashes.parse(ByteBuffer.wrap(list), 1, 64));
        assertThrows(BlockStreamException.class, () -> BlockHashes.parse(ByteBuffer.wrap(list), 0, 63));
        list[BlockHashes.HEADER_BYTES + 9] ^= 1;
        assertThrows(BlockStreamException.class, () -> BlockHashes.parse(ByteBuffer.wrap(list), 0, 64));
    }

    @Test
    void changedBlocksAnswerReadsBackAsItsRecord() throws Exception {
        VirtualDisk source = disk("source", 8L << 20, 7);
        long since = source.trackingPoint();
        source.write(3L * BLOCK, ByteBuffer.wrap(new byte[2 * BLOCK]));
        source.write(9L * BLOCK + 17, ByteBuffer.wrap(new byte[5]));
        int port = serve(source, disk("target", 8L << 20, 8));

        ChangedBlocks changed = JSON.readValue(get(port, "/api/vms/vm/disks/d/changed-blocks?since=" + since),
                ChangedBlocks.class);

        assertEquals(since, changed.since());
        assertEquals(3, changed.blockCount());
        assertEquals(List.of(List.of(3L, 2L), List.of(9L, 1L)),
                changed.ranges().stream().map(r -> List.of(r[0], r[1])).toList());
    }

    @Test
    void aDiskStreamedThroughTheBlockApiArrivesByteForByte() throws Exception {
        VirtualDisk source = disk("source", 64L << 20, 7);
        VirtualDisk target = disk("target", 64L << 20, 8);
        int port = serve(source, target);

        BlockWriteSummary summary = relay(port, "?fullCopy=true");

        assertEquals(source.digest(), target.digest());
        assertEquals(0, target.blocksReadForDigests(), "the target hashed every block as it wrote it; zeros are a constant");
        assertEquals(io.failback.sitedisk.DiskFile.digest(target::read, BLOCK, target.blockCount()), target.digest(),
                "the hashes filed on the way are those of the bytes on disk");
        assertEquals(1024, summary.dataBlocks() + summary.zeroBlocks());
        assertEquals(summary.dataBlocks() * BLOCK, summary.dataBytes());
        assertNotEquals(0, summary.zeroBlocks());
    }

    @Test
    void blocksNeverWrittenSinceTheDiskWasCreatedTravelAsZerosWithoutBeingRead() throws Exception {
        VirtualDisk source = disk("source", 16L << 20, 9);
        VirtualDisk target = disk("target", 16L << 20, 10);
        long untouched = -1;
        for (long block = 0; block < source.blockCount() && untouched < 0; block++) {
            if (source.knownZero(block)) {
                untouched = block;
            }
        }
        assertTrue(untouched >= 0, "the generated disk has extents it never wrote");
        String sourceDigest = source.digest();
        // Bytes put into the image file behind the disk's back, where the disk knows it never wrote: a sender that read
        // the block would send them.
        try (java.nio.channels.FileChannel image = java.nio.channels.FileChannel.open(VirtualDisk.imagePath(dir, "source"),
                java.nio.file.StandardOpenOption.WRITE)) {
            image.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), untouched * BLOCK + 100);
        }
        int port = serve(source, target);

        BlockWriteSummary summary = relay(port, "?fullCopy=true");

        assertEquals(sourceDigest, target.digest(), "the block travelled as zeros, the disk's content as the disk knows it");
        ByteBuffer arrived = ByteBuffer.allocate(BLOCK);
        target.read(untouched, arrived);
        assertTrue(io.failback.sitedisk.DiskFile.isAllZero(arrived.flip()));
        assertNotEquals(0, summary.zeroBlocks());
    }

    @Test
    void zeroRunsOverwriteOldDataWhenTheTargetIsNotFresh() throws Exception {
        VirtualDisk source = disk("source", 16L << 20, 1);
        VirtualDisk target = disk("target", 16L << 20, 2); // different data where the source has zeros
        int port = serve(source, target);

        relay(port, "");

        assertEquals(source.digest(), target.digest());
        assertEquals(0, target.blocksReadForDigests());
        assertEquals(io.failback.sitedisk.DiskFile.digest(target::read, BLOCK, target.blockCount()), target.digest());
    }

    @Test
    void scatteredBlocksReachTheDiskAsOneWriteRunsCallPerBatch() throws Exception {
        VirtualDisk target = VirtualDisk.create(JSON, dir, "target", 8L << 20, BLOCK);
        List<Integer> runsPerCall = new ArrayList<>();
        BlockDevice counting = new BlockDevice() {
            @Override
            public String diskId() {
                return target.diskId();
            }

            @Override
            public int blockSize() {
                return target.blockSize();
            }

            @Override
            public long sizeBytes() {
                return target.sizeBytes();
            }

            @Override
            public void read(long firstBlock, ByteBuffer dst) {
                target.read(firstBlock, dst);
            }

            @Override
            public void writeBlocks(long firstBlock, ByteBuffer blocks) {
                target.writeBlocks(firstBlock, blocks);
            }

            @Override
            public void writeRuns(List<Run> runs) {
                runsPerCall.add(runs.size());
                BlockDevice.super.writeRuns(runs);
            }

            @Override
            public void zeroAll() {
                target.zeroAll();
            }

            @Override
            public void force() {
                target.force();
            }

            @Override
            public String digest() {
                return target.digest();
            }
        };
        Router router = Router.router(vertx);
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public BlockDevice disk(String vmName, String diskId) {
                return counting;
            }

            @Override
            public BlockDevice openForWrite(String vmName, String diskId, boolean fullCopy) {
                return counting;
            }
        });
        server = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        // 40 single blocks, every other one: 40 runs of one block.
        byte[] content = new byte[40 * BLOCK];
        new Random(5).nextBytes(content);
        ByteBuffer stream = ByteBuffer.allocate(content.length + 40 * BlockStreamFormat.FRAME_OVERHEAD_BYTES + 200);
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        encoder.header(stream, new StreamHeader(BLOCK, 8L << 20, 0, 128));
        for (int i = 0; i < 40; i++) {
            encoder.data(stream, 2L * i, ByteBuffer.wrap(content, i * BLOCK, BLOCK));
        }
        encoder.end(stream, 128);
        byte[] body = new byte[stream.flip().remaining()];
        stream.get(body);
        HttpClient client = vertx.createHttpClient();
        String answer = client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(server.actualPort())
                .setHost("127.0.0.1").setURI("/api/vms/vm/disks/d/blocks"))
                .compose(request -> request.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(answered -> response.statusCode() + " " + answered))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals("200", answer.substring(0, 3), answer);

        // Batches of 1 MiB (16 blocks): three calls, not forty.
        assertEquals(List.of(16, 16, 8), runsPerCall);
        for (int i = 0; i < 40; i++) {
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            target.read(2L * i, block);
            assertEquals(ByteBuffer.wrap(content, i * BLOCK, BLOCK), block.flip(), "block " + 2 * i);
        }
    }

    @ParameterizedTest(name = "sealed: {0}")
    @ValueSource(booleans = {false, true})
    void aScatteredSelectionArrivesAsExactlyTheSelectedBlocks(boolean sealed) throws Exception {
        VirtualDisk source = disk("source", 64L << 20, 11);
        CloudKey key = sealed ? CloudKey.generate() : null;
        Router router = Router.router(vertx);
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public VirtualDisk disk(String vmName, String diskId) {
                return source;
            }

            @Override
            public VirtualDisk openForWrite(String vmName, String diskId, boolean fullCopy) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CloudKey outgoingKey() {
                return key;
            }
        });
        server = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        // Hundreds of runs of one to three blocks with gaps of one to five, across data and zero extents: many runs
        // share a batch, and zero runs must stop at each gap.
        Random random = new Random(3);
        List<long[]> ranges = new ArrayList<>();
        for (long block = 0; block < source.blockCount(); ) {
            long count = Math.min(1 + random.nextInt(3), source.blockCount() - block);
            ranges.add(new long[] {block, count});
            block += count + 1 + random.nextInt(5);
        }
        String selection = JSON.writeValueAsString(Map.of("ranges", ranges));
        HttpClient client = vertx.createHttpClient();
        byte[] stream = client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(server.actualPort())
                .setHost("127.0.0.1").setURI("/api/vms/vm/disks/d/blocks/select").putHeader("Content-Type", "application/json"))
                .compose(request -> request.send(selection))
                .compose(response -> {
                    assertEquals(200, response.statusCode());
                    return response.body();
                })
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).getBytes();

        Map<Long, ByteBuffer> arrived = new TreeMap<>();
        BlockStreamDecoder decoder = new BlockStreamDecoder(new BlockStreamDecoder.Handler() {
            @Override
            public void header(StreamHeader header) {
            }

            @Override
            public void data(long blockIndex, ByteBuffer payload) {
                arrived.put(blockIndex, ByteBuffer.allocate(BLOCK).put(payload).flip());
            }

            @Override
            public void zeros(long firstBlock, int runLength) {
                for (long b = firstBlock; b < firstBlock + runLength; b++) {
                    arrived.put(b, ByteBuffer.allocate(BLOCK));
                }
            }

            @Override
            public void end(long frames, long dataBytes) {
            }
        }, id -> key);
        decoder.feed(ByteBuffer.wrap(stream));
        assertEquals(true, decoder.ended());

        Map<Long, ByteBuffer> selected = new TreeMap<>();
        for (long[] range : ranges) {
            for (long b = range[0]; b < range[0] + range[1]; b++) {
                ByteBuffer block = ByteBuffer.allocate(BLOCK);
                source.read(b, block);
                selected.put(b, block.flip());
            }
        }
        assertEquals(selected.keySet(), arrived.keySet());
        for (Map.Entry<Long, ByteBuffer> block : selected.entrySet()) {
            assertEquals(block.getValue(), arrived.get(block.getKey()), "block " + block.getKey());
        }
        assertNotEquals(0, selected.values().stream().filter(b -> b.equals(ByteBuffer.allocate(BLOCK))).count());
    }
}
