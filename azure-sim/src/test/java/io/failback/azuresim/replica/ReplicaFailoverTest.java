package io.failback.azuresim.replica;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.sitedisk.SiteFiles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Failover from replica storage over the real HTTP API, with blocks written through the block API as sync-service
 * writes them: a failover starts from exactly the latest recovery point, whatever a cycle cut off half-way left in the
 * replica. Its own storage folder, where the cloud does not encrypt (AzureSiteTest covers sealed replicas).
 */
@QuarkusTest
@WithTestResource(ReplicaFailoverTest.FreshStorage.class)
public class ReplicaFailoverTest {
    static final int BLOCK = 64 * 1024;
    static final int BLOCKS = 64;
    private static final Path STORAGE = Path.of("target", "azure-sim-test-data", "failover-" + ProcessHandle.current().pid());

    public static class FreshStorage implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            return Map.of("azure-sim.storage-dir", STORAGE.toString());
        }

        @Override
        public void stop() {
            // Runs once the application has stopped and closed its disks: its images (tens of MB) are not needed.
            SiteFiles.deleteTree(STORAGE);
        }
    }

    /** The replica's content as the test wrote it, and how to write more through the block API. */
    public static final class Replica {
        final String item;
        public final byte[] content = new byte[BLOCKS * BLOCK];
        private final Random random;

        public Replica(String item, long seed) {
            this.item = item;
            this.random = new Random(seed);
            given().contentType(ContentType.JSON).body("{\"disks\": [{\"diskId\": \"disk-0\", \"sizeBytes\": " + (long) BLOCKS * BLOCK + "}]}")
                    .put("/api/replicas/" + item).then().statusCode(201);
        }

        /**
         * A block stream of new random content for {@code blocks} (increasing), POSTed as sync-service does. With
         * {@code cutOff} the stream stops before its END frame, like a cycle whose host died: the receiver writes
         * the batches that arrived whole, then refuses the stream.
         */
        public void cycle(boolean cutOff, int... blocks) {
            stream("", cutOff, blocks);
        }

        /** A full copy ({@code fullCopy=true}: the disk is reset to zeros first) of {@code blocks}, the rest zeros. */
        void fullCopy(boolean cutOff, int... blocks) {
            java.util.Arrays.fill(content, (byte) 0);
            stream("?fullCopy=true", cutOff, blocks);
        }

        private void stream(String query, boolean cutOff, int... blocks) {
            ByteBuffer stream = ByteBuffer.allocate(blocks.length * (BLOCK + BlockStreamFormat.FRAME_OVERHEAD_BYTES) + 200);
            BlockStreamEncoder encoder = new BlockStreamEncoder();
            encoder.header(stream, new StreamHeader(BLOCK, (long) BLOCKS * BLOCK, 0, BLOCKS));
            for (int block : blocks) {
                byte[] bytes = new byte[BLOCK];
                random.nextBytes(bytes);
                encoder.data(stream, block, ByteBuffer.wrap(bytes));
            }
            if (!cutOff) {
                encoder.end(stream, BLOCKS);
            }
            byte[] body = new byte[stream.flip().remaining()];
            stream.get(body);
            given().contentType(BlockStreamFormat.MEDIA_TYPE).body(body).post("/api/replicas/" + item + "/disks/disk-0/blocks" + query)
                    .then().statusCode(cutOff ? 422 : 200);
            // What the replica holds now: every block of a whole stream; of a cut-off one, the whole batches.
            int written = cutOff ? blocks.length / 16 * 16 : blocks.length;
            for (int i = 0, at = 40; i < written; i++, at += BlockStreamFormat.FRAME_OVERHEAD_BYTES + BLOCK) {
                System.arraycopy(body, at + 13, content, blocks[i] * BLOCK, BLOCK);
            }
            if (cutOff) {
                // The refusal can be answered while the batch that arrived whole is still being written.
                String expected = digest(content);
                await().atMost(Duration.ofSeconds(10)).until(() -> expected.equals(liveDigest()));
            }
        }

        public void recordRecoveryPoint(String at, long trackingPoint) {
            given().contentType(ContentType.JSON)
                    .body("{\"consistentAt\": \"" + at + "\", \"sourceTrackingPoints\": {\"disk-0\": " + trackingPoint + "}}")
                    .post("/api/replicas/" + item + "/recoveryPoints").then().statusCode(200);
        }

        String liveDigest() {
            return given().get("/api/replicas/" + item + "/disks/disk-0/digest").then().statusCode(200).extract().path("digest");
        }
    }

    public static String failover(String item, String vmName, boolean test) {
        given().contentType(ContentType.JSON)
                .body("{\"vmName\": \"" + vmName + "\", \"test\": " + test
                        + ", \"workload\": {\"pattern\": \"RandomSmall\", \"writesPerSecond\": 0, \"writeSizeBytes\": 4096, \"seed\": 1}}")
                .post("/api/replicas/" + item + "/failover").then().statusCode(201)
                .body("name", equalTo(vmName)).body("state", equalTo("Running")).body("replicaOrigin.itemName", equalTo(item));
        return given().get("/api/vms/" + vmName + "/disks/disk-0/digest").then().statusCode(200).extract().path("digest");
    }

    public static String digest(byte[] content) {
        try {
            return ReplicaStoreRestartTest.digestOf(content);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static int[] range(int first, int count) {
        return java.util.stream.IntStream.range(first, first + count).toArray();
    }

    @Test
    void aFailoverAfterACycleCutOffHalfWayStartsFromTheRecoveryPoint() throws Exception {
        Replica replica = new Replica("vm-cut", 1);
        given().get("/api/replicas/vm-cut").then().body("encryptionCertificateId", nullValue());
        replica.cycle(false, range(0, 24));
        replica.recordRecoveryPoint("2026-11-26T10:00:00Z", 100);
        String atPoint = digest(replica.content);

        // The next cycle: one disk's stream arrives whole, then the host dies while the next one streams.
        replica.cycle(false, 3, 5, 30, 31);
        replica.cycle(true, range(8, 20));
        String mixed = digest(replica.content);
        assertNotEquals(atPoint, mixed);
        assertEquals(mixed, replica.liveDigest(), "the replica holds the mix");
        assertTrue(Files.size(STORAGE.resolve("replicas/vm-cut/disk-0.undo")) > 18L * BLOCK, "what the cycle overwrote is journaled (blocks 30 and 31 were zeros)");

        String vmDigest = failover("vm-cut", "vm-cut", false);

        assertEquals(atPoint, vmDigest, "the VM starts from the recovery point, not from the mix");
        assertEquals(atPoint, replica.liveDigest(), "the replica was rolled back to it");
        given().get("/api/replicas/vm-cut").then().body("failedOverTo", equalTo("vm-cut"));
        given().contentType(ContentType.JSON).body("{\"vmName\": \"vm-cut\"}").post("/api/replicas/vm-cut/failover")
                .then().statusCode(409).body("type", equalTo("AzureVmExists"));
    }

    @Test
    void aFullCopyCutOffHalfWayLeavesTheRecoveryPoint() {
        Replica replica = new Replica("vm-full", 3);
        replica.fullCopy(false, range(0, 40));
        replica.recordRecoveryPoint("2026-11-26T10:00:00Z", 1);
        String atPoint = digest(replica.content);

        replica.fullCopy(true, range(10, 20));
        assertEquals(digest(replica.content), replica.liveDigest(), "the replica holds 16 blocks of the new copy, zeros elsewhere");
        assertNotEquals(atPoint, replica.liveDigest());

        assertEquals(atPoint, failover("vm-full", "vm-full", false));
        assertEquals(atPoint, replica.liveDigest());
    }

    @Test
    void aTestFailoverStartsAVmFromTheRecoveryPointAndReplicationGoesOn() throws Exception {
        Replica replica = new Replica("vm-drill", 2);
        given().contentType(ContentType.JSON).body("{\"vmName\": \"vm-drill-test\", \"test\": true}")
                .post("/api/replicas/vm-drill/failover").then().statusCode(409).body("type", equalTo("NoRecoveryPoint"));
        replica.cycle(false, range(0, 16));
        replica.recordRecoveryPoint("2026-11-26T10:00:00Z", 10);
        String first = digest(replica.content);
        replica.cycle(true, range(4, 17)); // a cycle under way: its first batch is in the replica
        String underWay = replica.liveDigest();
        assertNotEquals(first, underWay);

        assertEquals(first, failover("vm-drill", "vm-drill-test", true));

        given().get("/api/replicas/vm-drill").then().statusCode(200).body("failedOverTo", nullValue())
                .body("recoveryPoint.consistentAt", equalTo("2026-11-26T10:00:00Z"));
        assertEquals(underWay, replica.liveDigest(), "the replica is left as replication left it");
        given().contentType(ContentType.JSON).body("{\"vmName\": \"vm-drill-test\", \"test\": true}")
                .post("/api/replicas/vm-drill/failover").then().statusCode(409).body("type", equalTo("AzureVmExists"));

        // Replication goes on: the next cycle completes and becomes the recovery point.
        replica.cycle(false, range(4, 17));
        replica.cycle(false, 40, 41);
        replica.recordRecoveryPoint("2026-11-26T10:05:00Z", 20);
        String second = digest(replica.content);
        assertEquals(second, replica.liveDigest());
        assertNotEquals(first, second);
        assertEquals(first, given().get("/api/vms/vm-drill-test/disks/disk-0/digest").then().extract().path("digest"),
                "the test VM's disks are a copy of their own");

        // Clean-up of the drill, another one, then the failover proper.
        given().delete("/api/vms/vm-drill-test").then().statusCode(200);
        assertEquals(second, failover("vm-drill", "vm-drill-test", true));
        given().get("/api/replicas/vm-drill").then().body("failedOverTo", nullValue());
        assertEquals(second, failover("vm-drill", "vm-drill", false));
        given().get("/api/replicas/vm-drill").then().body("failedOverTo", equalTo("vm-drill"));
    }
}
