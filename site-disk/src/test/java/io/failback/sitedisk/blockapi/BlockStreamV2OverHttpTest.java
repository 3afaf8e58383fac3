package io.failback.sitedisk.blockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.Compression;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.VirtualDisk;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block stream version 2 over real HTTP: a source answers version 2 when asked (pages of partly changed blocks,
 * LZ4-compressed frames when asked for, SEALED_PAGES when it seals), and a target writes exactly those pages. Every
 * copy is checked by the disks' SHA-256 digests.
 */
class BlockStreamV2OverHttpTest {
    private static final int BLOCK = 64 * 1024;
    private static final int PAGE = BlockStreamFormat.PAGE_SIZE;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Vertx vertx;
    private HttpClient client;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Serves {@code source} for reading (as VM "src") and {@code target} for writing (as VM "dst"). */
    private int serve(BlockDevice source, BlockDevice target, CloudKey key) throws Exception {
        Router router = Router.router(vertx);
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

            @Override
            public CloudKey outgoingKey() {
                return key;
            }

            @Override
            public BlockStreamDecoder.KeyRing keys() {
                return id -> key != null && key.certificateId().equals(id) ? key : null;
            }
        });
        return vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS).actualPort();
    }

    /** Text-like content in some extents (compresses), random in others, zeros in the rest. */
    private VirtualDisk disk(String name, long size, long seed) {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, name, size, BLOCK);
        Random random = new Random(seed);
        byte[] extent = new byte[256 << 10];
        for (long offset = 0; offset < size; offset += extent.length) {
            switch (random.nextInt(3)) {
                case 0 -> random.nextBytes(extent);
                case 1 -> text(random, extent);
                default -> {
                    continue;
                }
            }
            disk.write(offset, ByteBuffer.wrap(extent));
        }
        return disk;
    }

    private static void text(Random random, byte[] into) {
        String[] words = {"failback ", "replica ", "recovery ", "point ", "disk ", "block ", "page ", "azure "};
        int at = 0;
        while (at < into.length) {
            byte[] word = words[random.nextInt(words.length)].getBytes(StandardCharsets.US_ASCII);
            int n = Math.min(word.length, into.length - at);
            System.arraycopy(word, 0, into, at, n);
            at += n;
        }
    }

    /** What one relay saw: the source's answer headers, the bytes that crossed, the frames by type. */
    private record Relayed(String contentType, String compression, long wireBytes, TreeMap<Byte, Long> frameTypes, String answer) {
    }

    /** Reads from the source (GET without a body, else POST .../select) and pipes the stream into the target. */
    private Relayed relay(int port, String sourcePath, JsonObject selection, String accept, String compression, String targetQuery)
            throws Exception {
        RequestOptions read = new RequestOptions().setMethod(selection == null ? HttpMethod.GET : HttpMethod.POST).setPort(port)
                .setHost("127.0.0.1").setURI(sourcePath);
        if (accept != null) {
            read.putHeader("Accept", accept);
        }
        if (compression != null) {
            read.putHeader(BlockStreamFormat.COMPRESSION_HEADER, compression);
        }
        // Paused as its head arrives, inside the send's own future: from this (non-Vert.x) thread a listener on the
        // composed future may run a turn later, after body chunks that found no handler were dropped (vert.x#5904).
        var source = client.request(read)
                .compose(r -> (selection == null ? r.send() : r.send(selection.toBuffer())).map(response -> response.pause()))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(200, source.statusCode());
        AtomicLong wire = new AtomicLong();
        TreeMap<Byte, Long> types = new TreeMap<>();
        FrameTypes counter = new FrameTypes(types);
        String answer = client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(port).setHost("127.0.0.1")
                .setURI("/api/vms/dst/disks/d/blocks" + targetQuery).putHeader("Content-Type", source.getHeader("Content-Type")))
                .compose(target -> {
                    target.setChunked(true);
                    source.handler(chunk -> {
                        wire.addAndGet(chunk.length());
                        counter.feed(chunk);
                        target.write(chunk);
                    });
                    source.endHandler(v -> target.end());
                    source.resume();
                    return target.response().compose(response -> response.body().map(body -> response.statusCode() + " " + body));
                })
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals("200", answer.substring(0, 3), answer);
        return new Relayed(source.getHeader("Content-Type"), source.getHeader(BlockStreamFormat.COMPRESSION_HEADER), wire.get(),
                types, answer.substring(4));
    }

    /** Counts frames by type from their heads, holding back a frame that straddles chunks. */
    private static final class FrameTypes {
        private final TreeMap<Byte, Long> types;
        private final io.netty.buffer.ByteBuf pending = io.netty.buffer.Unpooled.buffer();
        private boolean headerSeen;

        FrameTypes(TreeMap<Byte, Long> types) {
            this.types = types;
        }

        void feed(Buffer chunk) {
            pending.writeBytes(chunk.getByteBuf());
            if (!headerSeen) {
                if (pending.readableBytes() < BlockStreamFormat.HEADER_BYTES) {
                    return;
                }
                pending.skipBytes(BlockStreamFormat.HEADER_BYTES);
                headerSeen = true;
            }
            while (pending.readableBytes() >= BlockStreamFormat.FRAME_HEAD_BYTES) {
                int at = pending.readerIndex();
                int length = pending.getInt(at + 9);
                if (pending.readableBytes() < BlockStreamFormat.FRAME_OVERHEAD_BYTES + length) {
                    break;
                }
                byte type = pending.getByte(at);
                types.merge(type, 1L, Long::sum);
                pending.skipBytes(BlockStreamFormat.FRAME_OVERHEAD_BYTES + length);
            }
            pending.discardReadBytes();
        }
    }

    /** Writes {@code pages} random 4 KiB pages at random page-aligned places; returns the selection that covers them. */
    private static JsonObject writeRandomPages(VirtualDisk disk, int pages, long seed) {
        Random random = new Random(seed);
        int pagesPerBlock = BLOCK / PAGE;
        TreeMap<Long, Long> masks = new TreeMap<>();
        byte[] page = new byte[PAGE];
        for (int i = 0; i < pages; i++) {
            long block = random.nextInt((int) disk.blockCount());
            int p = random.nextInt(pagesPerBlock);
            random.nextBytes(page);
            disk.write(block * BLOCK + (long) p * PAGE, ByteBuffer.wrap(page));
            masks.merge(block, 1L << p, (a, b) -> a | b);
        }
        JsonArray ranges = new JsonArray();
        JsonArray partial = new JsonArray();
        long full = (1L << pagesPerBlock) - 1;
        masks.forEach((block, mask) -> {
            ranges.add(new JsonArray().add(block).add(1));
            if (mask != full) {
                partial.add(new JsonArray().add(block).add(mask));
            }
        });
        return new JsonObject().put("ranges", ranges).put("pages", partial);
    }

    /**
     * A full copy in version 2 with either codec lands byte for byte and crosses in fewer bytes than the data; the
     * source names the codec it took from the reader's list, preferred first.
     */
    @Test
    void aFullCopyInVersion2WithCompressionLandsByteForByte() throws Exception {
        VirtualDisk source = disk("source", 32L << 20, 1);
        VirtualDisk target = VirtualDisk.create(JSON, dir, "target", source.sizeBytes(), BLOCK);
        int port = serve(source, target, null);

        Relayed plain = relay(port, "/api/vms/src/disks/d/blocks", null, BlockStreamFormat.MEDIA_TYPE_V2, null, "?fullCopy=true");
        assertNull(plain.compression());
        assertEquals(null, plain.frameTypes().get(BlockStreamFormat.TYPE_COMPRESSED));
        assertEquals(source.digest(), target.digest());
        for (Compression codec : Compression.values()) {
            Relayed compressed = relay(port, "/api/vms/src/disks/d/blocks", null, BlockStreamFormat.MEDIA_TYPE_V2,
                    "gzip, " + codec.headerValue() + ", lz4", "?fullCopy=true");
            assertEquals(BlockStreamFormat.MEDIA_TYPE_V2, compressed.contentType());
            assertEquals(codec.headerValue(), compressed.compression());
            assertEquals(source.digest(), target.digest(), codec.toString());
            assertTrue(compressed.frameTypes().getOrDefault(codec.frameType(), 0L) > 0, compressed.frameTypes().toString());
            // A third of the disk is text-like: compressed, the stream is clearly smaller.
            assertTrue(compressed.wireBytes() < plain.wireBytes() * 0.85, codec + ": " + compressed.wireBytes() + " vs "
                    + plain.wireBytes());
        }
    }

    /** A reader that does not ask for version 2 gets exactly version 1, whatever else it asks. */
    @Test
    void aVersion1ReaderGetsVersion1() throws Exception {
        VirtualDisk source = disk("source", 8L << 20, 2);
        VirtualDisk target = VirtualDisk.create(JSON, dir, "target", source.sizeBytes(), BLOCK);
        int port = serve(source, target, null);
        Relayed v1 = relay(port, "/api/vms/src/disks/d/blocks", null, null, "zstd", "?fullCopy=true");
        assertEquals(BlockStreamFormat.MEDIA_TYPE, v1.contentType());
        assertNull(v1.compression());
        assertEquals(source.digest(), target.digest());
        assertTrue(v1.frameTypes().keySet().stream().allMatch(t -> t == BlockStreamFormat.TYPE_DATA
                || t == BlockStreamFormat.TYPE_ZEROS || t == BlockStreamFormat.TYPE_END), v1.frameTypes().toString());
    }

    /**
     * Random 4 KiB writes on the source travel as PAGES (compressed or not) into a target with a snapshot: the target
     * then equals the source, the snapshot keeps the target's old content, and the stream carries about the pages'
     * bytes, not whole blocks. In version 1 the same selection carries whole blocks.
     */
    @Test
    void changedPagesTravelAsPagesIntoADiskWithASnapshot() throws Exception {
        for (String compression : new String[] {null, "lz4", "zstd"}) {
            VirtualDisk source = disk("source" + compression, 16L << 20, 3);
            VirtualDisk target = disk("target" + compression, 16L << 20, 3);
            assertEquals(source.digest(), target.digest());
            String before = target.digest();
            target.snapshot("before");
            JsonObject selection = writeRandomPages(source, 40, 4);
            assertNotEquals(before, source.digest());
            int port = serve(source, target, null);

            Relayed relayed = relay(port, "/api/vms/src/disks/d/blocks/select", selection, BlockStreamFormat.MEDIA_TYPE_V2 + ", "
                    + BlockStreamFormat.MEDIA_TYPE, compression, "");
            assertEquals(BlockStreamFormat.MEDIA_TYPE_V2, relayed.contentType());
            assertEquals(source.digest(), target.digest(), "compression " + compression);
            assertEquals(before, target.snapshotDigest("before"));
            long pages = relayed.frameTypes().getOrDefault(BlockStreamFormat.TYPE_PAGES, 0L)
                    + relayed.frameTypes().getOrDefault(BlockStreamFormat.TYPE_COMPRESSED, 0L)
                    + relayed.frameTypes().getOrDefault(BlockStreamFormat.TYPE_COMPRESSED_ZSTD, 0L);
            assertTrue(pages > 0, relayed.frameTypes().toString());
            // Random pages do not compress: about 40 pages and their framing, never 16 times that.
            assertTrue(relayed.wireBytes() < 40 * PAGE * 1.10, relayed.wireBytes() + " bytes for 40 pages");
        }
    }

    /** Version 1 readers of a selection with pages get the whole blocks, and the target still equals the source. */
    @Test
    void aVersion1SelectionWithPagesCarriesWholeBlocks() throws Exception {
        VirtualDisk source = disk("source", 16L << 20, 5);
        VirtualDisk target = disk("target", 16L << 20, 5);
        JsonObject selection = writeRandomPages(source, 20, 6);
        int port = serve(source, target, null);
        Relayed relayed = relay(port, "/api/vms/src/disks/d/blocks/select", selection, null, null, "");
        assertEquals(BlockStreamFormat.MEDIA_TYPE, relayed.contentType());
        assertEquals(null, relayed.frameTypes().get(BlockStreamFormat.TYPE_PAGES));
        assertEquals(source.digest(), target.digest());
    }

    /** A site that seals sends SEALED_PAGES, never compressed; the host opens them and writes only those pages. */
    @Test
    void sealedPagesLandByteForByte() throws Exception {
        CloudKey key = CloudKey.generate();
        VirtualDisk source = disk("source", 16L << 20, 7);
        VirtualDisk target = disk("target", 16L << 20, 7);
        JsonObject selection = writeRandomPages(source, 30, 8);
        int port = serve(source, target, key);
        Relayed relayed = relay(port, "/api/vms/src/disks/d/blocks/select", selection, BlockStreamFormat.MEDIA_TYPE_V2, "zstd", "");
        assertEquals(BlockStreamFormat.MEDIA_TYPE_V2, relayed.contentType());
        assertNull(relayed.compression());
        assertTrue(relayed.frameTypes().getOrDefault(BlockStreamFormat.TYPE_SEALED_PAGES, 0L) > 0, relayed.frameTypes().toString());
        assertEquals(null, relayed.frameTypes().get(BlockStreamFormat.TYPE_COMPRESSED));
        assertEquals(null, relayed.frameTypes().get(BlockStreamFormat.TYPE_COMPRESSED_ZSTD));
        assertEquals(null, relayed.frameTypes().get(BlockStreamFormat.TYPE_DATA));
        assertEquals(source.digest(), target.digest());
    }

    /** The receiver's pages path on its own: pages of many blocks in one batch, beside whole blocks. */
    @Test
    void theDefaultPagesWriteOverlaysOnlyThosePages() {
        VirtualDisk disk = disk("plain", 4L << 20, 9);
        ByteBuffer before = ByteBuffer.allocate(BLOCK);
        disk.read(5, before);
        // Through the interface's default (read, overlay, write whole), as a device without its own override does.
        BlockDevice viaDefault = new BlockDevice() {
            public String diskId() { return disk.diskId(); }
            public int blockSize() { return BLOCK; }
            public long sizeBytes() { return disk.sizeBytes(); }
            public void read(long first, ByteBuffer dst) { disk.read(first, dst); }
            public void writeBlocks(long first, ByteBuffer blocks) { disk.writeBlocks(first, blocks); }
            public void zeroAll() { disk.zeroAll(); }
            public void force() { disk.force(); }
            public String digest() { return disk.digest(); }
        };
        VirtualDisk twin = disk("twin", 4L << 20, 9);
        ByteBuffer pages = ByteBuffer.allocate(3 * PAGE);
        new Random(10).nextBytes(pages.array());
        long mask = 0b1000_0000_0110L;
        viaDefault.writePages(5, mask, pages.duplicate());
        twin.writePages(5, mask, pages.duplicate());
        assertEquals(twin.digest(), disk.digest());
        ByteBuffer after = ByteBuffer.allocate(BLOCK);
        disk.read(5, after);
        ByteBuffer expected = before.duplicate().clear();
        expected.put(PAGE, pages.array(), 0, 2 * PAGE).put(11 * PAGE, pages.array(), 2 * PAGE, PAGE);
        assertEquals(expected.clear(), after.clear());
        // Exactly those pages count as changed.
        long[] changed = twin.changedPagesSince(twin.trackingPoint() - 1).partial().pairs().get(0);
        assertEquals(5, changed[0]);
        assertEquals(mask, changed[1]);
    }
}
