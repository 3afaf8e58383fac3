package io.failback.sitedisk.blockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.BlockHashes;
import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.ChangedBlocks;
import io.failback.contracts.site.PageHashes;
import io.failback.contracts.site.PageMasks;
import io.failback.sitedisk.VirtualDisk;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block API's 4 KiB page fields over real HTTP: changed pages, per-page hashes of a selection, and a selection
 * that names pages, whose stream leaves the target equal to the source.
 */
class PageSelectionOverHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BLOCK = 64 * 1024;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;
    private Vertx vertx;
    private int port;
    private VirtualDisk source;
    private VirtualDisk target;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        source = VirtualDisk.create(JSON, dir, "source", 16L * BLOCK, BLOCK);
        target = VirtualDisk.create(JSON, dir, "target", 16L * BLOCK, BLOCK);
        byte[] content = new byte[16 * BLOCK];
        new Random(1).nextBytes(content);
        source.write(0, ByteBuffer.wrap(content));
        target.write(0, ByteBuffer.wrap(content));
        Router router = Router.router(vertx);
        BlockApi.register(vertx, router, new BlockApi.Disks() {
            @Override
            public VirtualDisk disk(String vmName, String diskId) {
                return diskId.equals("source") ? source : target;
            }

            @Override
            public VirtualDisk openForWrite(String vmName, String diskId, boolean fullCopy) {
                return disk(vmName, diskId);
            }
        });
        port = vertx.createHttpServer().requestHandler(router).listen(0).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS).actualPort();
    }

    @AfterEach
    void stop() throws Exception {
        source.close();
        target.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void changedBlocksListThePagesOfBlocksOnlyPartlyWrittenAndNoneForWholeOnes() throws Exception {
        long since = source.trackingPoint();
        write(source, 2L * BLOCK + 3L * PAGE, PAGE, 1);
        write(source, 2L * BLOCK + 9L * PAGE + 100, 10, 2);
        write(source, 5L * BLOCK, BLOCK, 3);
        write(source, 7L * BLOCK - PAGE, 2 * PAGE, 4);

        String body = new String(call(HttpMethod.GET, "/api/vms/vm/disks/source/changed-blocks?since=" + since, null, 200));
        ChangedBlocks changed = JSON.readValue(body, ChangedBlocks.class);

        assertEquals(List.of(List.of(2L, 1L), List.of(5L, 3L)), changed.ranges().stream().map(r -> List.of(r[0], r[1])).toList());
        assertEquals(List.of(List.of(2L, (1L << 3) | (1L << 9)), List.of(6L, 1L << 15), List.of(7L, 1L)),
                changed.pages().stream().map(p -> List.of(p[0], p[1])).toList(), body);
        assertEquals(4L * BLOCK, changed.blockCount() * BLOCK);
        assertEquals(2L * PAGE + BLOCK + 2L * PAGE, changed.changedBytes());

        long now = source.trackingPoint();
        write(source, 0, BLOCK, 5);
        String whole = new String(call(HttpMethod.GET, "/api/vms/vm/disks/source/changed-blocks?since=" + now, null, 200));
        assertFalse(new JsonObject(whole).containsKey("pages"), "no partial block, no pages field: " + whole);
        assertNull(JSON.readValue(whole, ChangedBlocks.class).pages());
    }

    @Test
    void thePageHashesOfASelectionAreEachSelectedPagesXxh64InBlockOrder() throws Exception {
        List<long[]> ranges = List.of(new long[] {1, 2}, new long[] {9, 1}, new long[] {15, 1});
        byte[] list = call(HttpMethod.POST, "/api/vms/vm/disks/source/hashes/select", BlockSelection.of(ranges), 200);

        long[] hashes = PageHashes.parse(ByteBuffer.wrap(list), BLOCK, 4);
        int i = 0;
        for (long block : new long[] {1, 2, 9, 15}) {
            ByteBuffer bytes = ByteBuffer.allocate(BLOCK);
            source.read(block, bytes);
            for (int page = 0; page < 16; page++) {
                assertEquals(BlockHashes.hash(bytes.slice(page * PAGE, PAGE)), hashes[i++], "block " + block + " page " + page);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> PageHashes.parse(ByteBuffer.wrap(list), BLOCK, 3), "another count");
        list[PageHashes.HEADER_BYTES + 77] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> PageHashes.parse(ByteBuffer.wrap(list), BLOCK, 4), "a flipped bit");
    }

    @Test
    void thePageHashesOfASnapshotShowItsMomentAndEmptySelectionsAnswerAnEmptyList() throws Exception {
        source.snapshot("s");
        byte[] before = call(HttpMethod.POST, "/api/vms/vm/disks/source/hashes/select", BlockSelection.of(List.<long[]>of(new long[] {4, 1})), 200);
        write(source, 4L * BLOCK + 6L * PAGE, PAGE, 9);

        long[] atSnapshot = PageHashes.parse(ByteBuffer.wrap(call(HttpMethod.POST, "/api/vms/vm/disks/source/hashes/select?snapshot=s",
                BlockSelection.of(List.<long[]>of(new long[] {4, 1})), 200)), BLOCK, 1);
        long[] live = PageHashes.parse(ByteBuffer.wrap(call(HttpMethod.POST, "/api/vms/vm/disks/source/hashes/select",
                BlockSelection.of(List.<long[]>of(new long[] {4, 1})), 200)), BLOCK, 1);

        assertEquals(List.of(PageHashes.parse(ByteBuffer.wrap(before), BLOCK, 1)).size(), 1);
        for (int page = 0; page < 16; page++) {
            assertEquals(PageHashes.parse(ByteBuffer.wrap(before), BLOCK, 1)[page], atSnapshot[page]);
            assertEquals(page != 6, atSnapshot[page] == live[page], "only page 6 differs: page " + page);
        }
        assertEquals(0, PageHashes.parse(ByteBuffer.wrap(call(HttpMethod.POST, "/api/vms/vm/disks/source/hashes/select",
                BlockSelection.of(List.of()), 200)), BLOCK, 0).length);
    }

    @Test
    void aSelectionNamingPagesLeavesTheTargetEqualToTheSource() throws Exception {
        long since = source.trackingPoint();
        write(source, 3L * BLOCK + 2L * PAGE, PAGE, 11);
        write(source, 8L * BLOCK, 3 * BLOCK + 100, 12);
        write(source, 13L * BLOCK + 15L * PAGE + 7, 1, 13);
        ChangedBlocks changed = JSON.readValue(call(HttpMethod.GET, "/api/vms/vm/disks/source/changed-blocks?since=" + since, null, 200),
                ChangedBlocks.class);
        assertEquals(Map.of(3L, 1L << 2, 11L, 1L, 13L, 1L << 15), Map.of(changed.pages().get(0)[0], changed.pages().get(0)[1],
                changed.pages().get(1)[0], changed.pages().get(1)[1], changed.pages().get(2)[0], changed.pages().get(2)[1]));

        byte[] stream = call(HttpMethod.POST, "/api/vms/vm/disks/source/blocks/select",
                new BlockSelection(changed.ranges(), changed.pages()), 200);
        String written = new String(call(HttpMethod.POST, "/api/vms/vm/disks/target/blocks", stream, 200));

        assertTrue(written.contains("\"dataBlocks\""), written);
        assertEquals(source.digest(), target.digest(), "whatever travels for the pages, the target ends equal to the source");
    }

    @Test
    void pagesThatAreNotSomePagesOfASelectedBlockAreRefused() throws Exception {
        List<long[]> ranges = List.<long[]>of(new long[] {2, 3});
        for (List<long[]> pages : List.of(List.<long[]>of(new long[] {3, 0}), List.<long[]>of(new long[] {3, 0xFFFF}),
                List.<long[]>of(new long[] {3, 0x10000}), List.<long[]>of(new long[] {9, 1}),
                List.<long[]>of(new long[] {4, 1}, new long[] {3, 1}))) {
            String problem = new String(call(HttpMethod.POST, "/api/vms/vm/disks/source/blocks/select", new BlockSelection(ranges, pages), 400));
            assertEquals("InvalidPages", new JsonObject(problem).getString("type"), problem);
        }
    }

    private static void write(VirtualDisk disk, long offset, int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        disk.write(offset, ByteBuffer.wrap(data));
    }

    /** A request with a JSON (or, for a byte array, raw) body; answers the body after checking the status. */
    private byte[] call(HttpMethod method, String uri, Object body, int status) throws Exception {
        HttpClient client = vertx.createHttpClient();
        Buffer payload = body == null ? null : body instanceof byte[] bytes ? Buffer.buffer(bytes) : Json.encodeToBuffer(body);
        HttpClientResponse[] answered = new HttpClientResponse[1];
        byte[] bytes = client.request(new RequestOptions().setMethod(method).setPort(port).setHost("127.0.0.1").setURI(uri))
                .compose(request -> payload == null ? request.send() : request.send(payload))
                .compose(response -> {
                    answered[0] = response;
                    return response.body();
                })
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).getBytes();
        assertEquals(status, answered[0].statusCode(), () -> new String(bytes));
        return bytes;
    }

    static {
        assert PageMasks.PAGE_BYTES == PAGE;
    }
}
