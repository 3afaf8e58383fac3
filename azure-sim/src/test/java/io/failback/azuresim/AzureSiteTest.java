package io.failback.azuresim;

import io.failback.testing.ReferenceDigest;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.azuresim.replica.JournaledReplicaDiskTest;
import io.failback.azuresim.replica.ReplicaFailoverTest;
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
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** azure-sim over its real HTTP API, on real files under target/azure-sim-test-data. */
@QuarkusTest
@WithTestResource(AzureSiteTest.FreshStorage.class)
class AzureSiteTest {
    private static final int BLOCK = 64 * 1024;
    private static final Path STORAGE = Path.of("target", "azure-sim-test-data", "run-" + ProcessHandle.current().pid());

    /** Every test JVM starts from empty storage of its own. */
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

    @Test
    void replicatedBlocksSealedUnderTheCloudKeyBecomeTheDisksOfAFailedOverVm() throws Exception {
        String certificate = given().post("/api/encryption/enable").then().statusCode(200)
                .body("enabled", equalTo(true)).extract().path("certificateId");
        given().get("/api/encryption/certificate").then().statusCode(200).body("certificateId", equalTo(certificate));

        given().contentType(ContentType.JSON).body("{\"disks\": [{\"diskId\": \"disk-0\", \"sizeBytes\": 4194304}]}")
                .put("/api/replicas/vm-replicated").then().statusCode(201)
                .body("encryptionCertificateId", equalTo(certificate));
        given().contentType(ContentType.JSON).body("{\"vmName\": \"vm-replicated\"}")
                .post("/api/replicas/vm-replicated/failover").then().statusCode(409).body("type", equalTo("NoRecoveryPoint"));

        // Replicate blocks 2..9 of random content (the rest of the 64-block disk stays zero).
        byte[] content = new byte[8 * BLOCK];
        new Random(3).nextBytes(content);
        ByteBuffer stream = ByteBuffer.allocate(content.length + 8 * BlockStreamFormat.FRAME_OVERHEAD_BYTES + 200);
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        encoder.header(stream, new StreamHeader(BLOCK, 64L * BLOCK, 2, 8));
        for (int i = 0; i < 8; i++) {
            encoder.data(stream, 2 + i, ByteBuffer.wrap(content, i * BLOCK, BLOCK));
        }
        encoder.end(stream, 10);
        byte[] body = new byte[stream.flip().remaining()];
        stream.get(body);
        given().contentType(BlockStreamFormat.MEDIA_TYPE).body(body)
                .post("/api/replicas/vm-replicated/disks/disk-0/blocks").then().statusCode(200).body("dataBlocks", equalTo(8));

        byte[] whole = new byte[64 * BLOCK];
        System.arraycopy(content, 0, whole, 2 * BLOCK, content.length);
        String expected = io.failback.testing.ReferenceDigest.of(whole, BLOCK);
        given().get("/api/replicas/vm-replicated/disks/disk-0/digest").then().body("digest", equalTo(expected));
        byte[] sealedFile = Files.readAllBytes(STORAGE.resolve("replicas/vm-replicated/disk-0.sealed.img"));
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(whole, 2 * BLOCK, 3 * BLOCK),
                java.util.Arrays.copyOfRange(sealedFile, 2 * BLOCK, 3 * BLOCK)), "replica data at rest is not in the clear");

        given().contentType(ContentType.JSON).body("{\"consistentAt\": \"2026-11-26T00:00:00Z\", \"sourceTrackingPoints\": {\"disk-0\": 42}}")
                .post("/api/replicas/vm-replicated/recoveryPoints").then().statusCode(200)
                .body("recoveryPoint.sourceTrackingPoints.disk-0", equalTo(42));
        given().contentType(ContentType.JSON)
                .body("{\"vmName\": \"vm-replicated\", \"workload\": {\"pattern\": \"RandomSmall\", \"writesPerSecond\": 0, \"writeSizeBytes\": 4096, \"seed\": 1}}")
                .post("/api/replicas/vm-replicated/failover").then().statusCode(201).body("state", equalTo("Running"));
        given().get("/api/vms/vm-replicated/disks/disk-0/digest").then().body("digest", equalTo(expected));

        // Commit deletes the VM and its disk files; the replica stays.
        given().delete("/api/vms/vm-replicated").then().statusCode(200).body("state", equalTo("Deleted"));
        assertFalse(Files.exists(STORAGE.resolve("vms/vm-replicated/disk-0.img")));
        given().get("/api/vms/vm-replicated").then().statusCode(404).body("type", equalTo("AzureVmNotFound"));
        given().get("/api/replicas/vm-replicated/disks/disk-0/digest").then().body("digest", equalTo(expected));
    }

    @Test
    void aSealedReplicasUndoJournalHoldsNoPlaintextAndItsFailoverStartsFromTheRecoveryPoint() throws Exception {
        given().post("/api/encryption/enable").then().statusCode(200).body("enabled", equalTo(true));
        ReplicaFailoverTest.Replica replica = new ReplicaFailoverTest.Replica("vm-sealed-journal", 4);
        given().get("/api/replicas/vm-sealed-journal").then().body("encryptionCertificateId", org.hamcrest.Matchers.notNullValue());
        replica.cycle(false, ReplicaFailoverTest.range(0, 16));
        replica.recordRecoveryPoint("2026-11-26T10:00:00Z", 7);
        byte[] atPoint = replica.content.clone();
        replica.cycle(false, ReplicaFailoverTest.range(0, 16)); // a cycle whose recovery point is never recorded

        byte[] journal = Files.readAllBytes(STORAGE.resolve("replicas/vm-sealed-journal/disk-0.undo"));
        assertTrue(journal.length > 16 * BLOCK, "the 16 overwritten blocks are journaled: " + journal.length + " bytes");
        for (byte[] content : new byte[][] {atPoint, replica.content}) {
            for (int at = 0; at + 32 <= 16 * BLOCK; at += 8192) {
                assertTrue(JournaledReplicaDiskTest.indexOf(journal, java.util.Arrays.copyOfRange(content, at, at + 32)) < 0,
                        "plaintext at byte " + at + " found in the journal");
            }
        }
        assertEquals(ReplicaFailoverTest.digest(atPoint), ReplicaFailoverTest.failover("vm-sealed-journal", "vm-sealed-journal", false));
    }

    @Test
    void aSnapshotOverTheApiKeepsItsMomentWhileTheVmWrites() throws Exception {
        given().contentType(ContentType.JSON).body("""
                {"name": "vm-busy", "disks": [{"diskId": "disk-0", "sizeBytes": 8388608}], "contentSeed": 9,
                 "workload": {"pattern": "HotSpot", "writesPerSecond": 200, "writeSizeBytes": 4096, "seed": 9}}""")
                .post("/api/vms").then().statusCode(201);
        String snapshot = given().post("/api/vms/vm-busy/snapshots").then().statusCode(201).extract().path("snapshotId");
        long point = ((Number) given().get("/api/vms/vm-busy").then().extract().path("snapshots[0].trackingPoints.disk-0")).longValue();
        String first = given().get("/api/vms/vm-busy/disks/disk-0/digest?snapshot=" + snapshot).then().statusCode(200).extract().path("digest");
        Thread.sleep(500);
        String later = given().get("/api/vms/vm-busy/disks/disk-0/digest?snapshot=" + snapshot).then().extract().path("digest");
        assertEquals(first, later, "the snapshot does not move while the VM writes");
        assertNotEquals(first, given().get("/api/vms/vm-busy/disks/disk-0/digest").then().extract().path("digest"));

        given().post("/api/vms/vm-busy/shutdown").then().statusCode(200).body("state", equalTo("Stopped"));
        long shutdownPoint = ((Number) given().get("/api/vms/vm-busy").then().extract().path("shutdownTrackingPoints.disk-0")).longValue();
        assertTrue(shutdownPoint > point);
        int changed = given().get("/api/vms/vm-busy/disks/disk-0/changed-blocks?since=" + point).then().statusCode(200)
                .extract().path("blockCount");
        assertTrue(changed > 0 && changed < 128, "a hot spot workload changes some blocks, not all: " + changed);
        given().get("/api/vms/vm-busy/disks/disk-0/changed-blocks").then().statusCode(400).body("type", equalTo("MissingParameter"));
        given().get("/api/vms/vm-busy/disks/disk-0/hashes").then().statusCode(200)
                .contentType("application/vnd.failback.block-hashes.v1");
        given().get("/api/vms/vm-busy/disks/disk-0/blocks?snapshot=nope").then().statusCode(404).body("type", equalTo("SnapshotNotFound"));
        given().delete("/api/vms/vm-busy/snapshots/" + snapshot).then().statusCode(204);
        given().contentType(ContentType.JSON).body("{\"name\": \"no spaces allowed\", \"disks\": []}").post("/api/vms")
                .then().statusCode(400).contentType("application/problem+json").body("type", equalTo("ValidationFailed"));
        // A record's own check (a workload writes whole pages) runs as the body is read: still a problem that says why.
        given().contentType(ContentType.JSON).body("""
                {"pattern": "Sequential", "writesPerSecond": 10, "writeSizeBytes": 6000, "seed": 1}""")
                .put("/api/vms/vm-busy/workload").then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("UnreadableBody"))
                .body("detail", containsString("writeSizeBytes must be a multiple of 4096, got 6000"));
        given().contentType(ContentType.JSON).body("{\"pattern\": ").put("/api/vms/vm-busy/workload")
                .then().statusCode(400).contentType("application/problem+json").body("type", equalTo("UnreadableBody"));
        given().get("/api/vms/vm-busy").then().body("snapshots", hasSize(0));
    }

    @Test
    void aVmAskedForTextGetsDisksOfLogLinesWhereOthersGetRandomBytes() throws Exception {
        given().contentType(ContentType.JSON).body("""
                {"name": "vm-text", "disks": [{"diskId": "disk-0", "sizeBytes": 4194304}], "contentSeed": 4, "zeroPercent": 0,
                 "textPercent": 100, "workload": {"pattern": "RandomSmall", "writesPerSecond": 0, "writeSizeBytes": 4096, "seed": 1}}""")
                .post("/api/vms").then().statusCode(201);
        byte[] image = Files.readAllBytes(STORAGE.resolve("vms").resolve("vm-text").resolve("disk-0.img"));
        assertEquals(4194304, image.length);
        for (byte b : image) {
            assertTrue(b == '\n' || (b >= 0x20 && b < 0x7f), "text only");
        }
        given().contentType(ContentType.JSON).body("""
                {"name": "vm-text-2", "disks": [{"diskId": "disk-0", "sizeBytes": 1048576}], "textPercent": 101}""")
                .post("/api/vms").then().statusCode(400);
        given().delete("/api/vms/vm-text").then().statusCode(200);
    }

    @Test
    void anAbsurdDiskSizeIsABadRequestAndLeavesNoVmFolder() {
        for (String size : new String[] {"1152921504606846976", "549755813888", "0", "-1048576", "1048577"}) {
            given().contentType(ContentType.JSON)
                    .body("{\"name\": \"vm-absurd\", \"disks\": [{\"diskId\": \"disk-0\", \"sizeBytes\": 4194304},"
                            + " {\"diskId\": \"disk-1\", \"sizeBytes\": " + size + "}]}")
                    .post("/api/vms").then().statusCode(400).contentType("application/problem+json");
            assertFalse(Files.exists(STORAGE.resolve("vms").resolve("vm-absurd")), "nothing written for " + size + " bytes");
        }
        given().contentType(ContentType.JSON).body("{\"disks\": [{\"diskId\": \"disk-0\", \"sizeBytes\": 1152921504606846976}]}")
                .put("/api/replicas/vm-absurd").then().statusCode(400).body("type", equalTo("InvalidDiskSize"));
        given().get("/api/vms/vm-absurd").then().statusCode(404);
    }

    @Test
    void aCreateThatFailsHalfWayLeavesNoVmBehind() throws Exception {
        Path folder = STORAGE.resolve("vms").resolve("vm-half");
        // A folder (not empty, so not deletable as an image) where the second disk's image goes: that image cannot be
        // created after the first disk's was.
        Path blocker = Files.createDirectories(folder.resolve("disk-1.img"));
        Files.writeString(blocker.resolve("keep"), "not the simulator's");
        String request = """
                {"name": "vm-half", "disks": [{"diskId": "disk-0", "sizeBytes": 4194304}, {"diskId": "disk-1", "sizeBytes": 4194304}]}""";
        given().contentType(ContentType.JSON).body(request).post("/api/vms").then().statusCode(500);
        given().get("/api/vms/vm-half").then().statusCode(404);
        try (var left = Files.list(folder)) {
            assertEquals(java.util.List.of("disk-1.img"), left.map(f -> f.getFileName().toString()).toList(),
                    "only what was there before stays");
        }

        Files.delete(blocker.resolve("keep"));
        Files.delete(blocker);
        given().contentType(ContentType.JSON).body(request).post("/api/vms").then().statusCode(201).body("state", equalTo("Running"));
        given().delete("/api/vms/vm-half").then().statusCode(200);
    }

    /**
     * The metrics tell a disk's data from its zeros: exactly for a small disk, and from a sample of 1024 blocks for a
     * larger one, which the generated content's 1 MiB extents (four sampled blocks each at 256 MiB) make exact too.
     * Expected: the generator's own choices, replayed from the same seed.
     */
    @Test
    void theMetricsSayHowManyBytesOfEachDiskHoldData() throws InterruptedException {
        long small = 8L << 20;
        long large = 256L << 20;
        given().contentType(ContentType.JSON).body("""
                {"name": "vm-shaped", "disks": [{"diskId": "disk-0", "sizeBytes": %d}, {"diskId": "disk-1", "sizeBytes": %d}],
                 "contentSeed": 21, "zeroPercent": 43, "workload": {"pattern": "RandomSmall", "writesPerSecond": 0, "writeSizeBytes": 4096, "seed": 1}}"""
                .formatted(small, large)).post("/api/vms").then().statusCode(201);
        Random generator = new Random(21);
        long[] expected = {extentsWithData(generator, small), extentsWithData(generator, large)};
        assertTrue(expected[1] > 0 && expected[1] < large, "a disk of data and zeros: " + expected[1]);
        // Created, never shut down: nothing to count writes from.

        given().get("/api/vms/vm-shaped/metrics").then().statusCode(200)
                .body("disks[0].sizeBytes", equalTo((int) small))
                .body("disks[0].dataBytes", equalTo((int) expected[0]))
                .body("disks[1].dataBytes", equalTo((int) expected[1]))
                .body("disks[0].blocksWrittenSinceShutdown", equalTo(null))
                .body("disks[0].bytesChangedSinceShutdown", equalTo(null));

        // After a shutdown, the blocks written since it, as the disk's own tracking counts them.
        given().post("/api/vms/vm-shaped/shutdown").then().statusCode(200);
        given().get("/api/vms/vm-shaped/metrics").then().statusCode(200).body("disks[0].blocksWrittenSinceShutdown", equalTo(0));
        long shutdownPoint = ((Number) given().get("/api/vms/vm-shaped").then().extract().path("shutdownTrackingPoints.disk-0")).longValue();
        given().post("/api/vms/vm-shaped/start").then().statusCode(200);
        given().contentType(ContentType.JSON).body("{\"pattern\": \"Sequential\", \"writesPerSecond\": 50, \"writeSizeBytes\": 65536, \"seed\": 2}")
                .put("/api/vms/vm-shaped/workload").then().statusCode(200);
        String changedSinceShutdown = "/api/vms/vm-shaped/disks/disk-0/changed-blocks?since=" + shutdownPoint;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (given().get(changedSinceShutdown).then().extract().<Integer>path("blockCount") == 0) {
            assertTrue(System.nanoTime() < deadline, "the workload wrote nothing in 30 s");
            Thread.sleep(20);
        }
        given().contentType(ContentType.JSON).body("{\"pattern\": \"Sequential\", \"writesPerSecond\": 0, \"writeSizeBytes\": 65536, \"seed\": 2}")
                .put("/api/vms/vm-shaped/workload").then().statusCode(200);
        int before;
        int reported;
        long reportedBytes;
        int after;
        do { // a write still under way as the workload stopped may land between the reads
            before = given().get(changedSinceShutdown).then().extract().path("blockCount");
            io.restassured.path.json.JsonPath metrics = given().get("/api/vms/vm-shaped/metrics").then().statusCode(200).extract().jsonPath();
            reported = metrics.getInt("disks[0].blocksWrittenSinceShutdown");
            reportedBytes = metrics.getLong("disks[0].bytesChangedSinceShutdown");
            after = given().get(changedSinceShutdown).then().extract().path("blockCount");
        } while (before != after);
        assertTrue(reported > 0);
        assertEquals(after, reported);
        assertEquals(reported * 65536L, reportedBytes, "whole blocks written: every byte of them changed");
        given().delete("/api/vms/vm-shaped").then().statusCode(200);
    }

    /** The bytes GeneratedContent fills with random data on a disk of {@code size}, drawing from {@code random} as it does. */
    private static long extentsWithData(Random random, long size) {
        byte[] extent = new byte[1 << 20];
        long data = 0;
        for (long offset = 0; offset < size; offset += extent.length) {
            if (random.nextInt(100) >= 43) {
                random.nextBytes(extent);
                data += extent.length;
            }
        }
        return data;
    }
}
