package io.failback.hostagent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.sitedisk.DiskFile;
import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The consistency marker: a disk is marked inconsistent, durably, before a copy writes its first byte, and only a
 * verification whose digest matches clears it. A VM with an inconsistent disk refuses to start.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
class DiskConsistencyTest {
    private static final int BLOCKS = 32;
    private final String vm = HostVms.uniqueName("marker");

    @AfterEach
    void cleanUp() {
        HostVms.deleteQuietly(vm);
    }

    /** A VM that already lives on this host: disks filled and consistent, it boots. */
    private String bootableVmDigest() {
        HostVms.create(vm, HostVms.SWITCH, 7L, HostVms.disk("disk0", BLOCKS)).statusCode(201).body("disks[0].consistent", equalTo(true));
        HostVms.start(vm).statusCode(200).body("state", equalTo("Running"));
        given().when().post("/api/vms/{vm}/stop", vm).then().statusCode(200).body("state", equalTo("Off"));
        return BlockStreams.digest(BlockStreams.decode(HostVms.readBlocks(vm, "disk0"), BLOCKS * BlockStreams.BLOCK));
    }

    @Test
    void aCopyThatFailsBeforeItsFirstByteStillLeavesTheDiskInconsistentAndTheVmRefusesToStart() {
        String before = bootableVmDigest();

        // Not even a valid header: the copy is refused before it writes anything...
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0x5A);
        HostVms.writeBlocks(vm, "disk0", garbage, "").statusCode(422).body("type", equalTo("InvalidBlockStream"));

        // ...yet the disk was marked first, so the VM may not boot from it until a copy completes and is verified.
        given().when().get("/api/vms/{vm}", vm).then().statusCode(200)
                .body("disks[0].consistent", equalTo(false)).body("state", equalTo("Off"));
        HostVms.start(vm).statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("DiskInconsistent"))
                .body("detail", containsString("disk0"));
        String after = BlockStreams.digest(BlockStreams.decode(HostVms.readBlocks(vm, "disk0"), BLOCKS * BlockStreams.BLOCK));
        assertEquals(before, after, "no byte was written");
    }

    @Test
    void aCopyCutHalfWayLeavesTheDiskInconsistent() {
        bootableVmDigest();
        byte[] stream = BlockStreams.encode(BlockStreams.content(11, BLOCKS));

        HostVms.writeBlocks(vm, "disk0", Arrays.copyOf(stream, stream.length / 2), "").statusCode(422)
                .body("type", equalTo("InvalidBlockStream"));

        given().when().get("/api/vms/{vm}", vm).then().body("disks[0].consistent", equalTo(false));
        HostVms.start(vm).statusCode(409).body("type", equalTo("DiskInconsistent"));
    }

    @Test
    void theMarkerClearsOnlyWhenTheDigestMatchesTheSources() {
        bootableVmDigest();
        byte[] source = BlockStreams.content(23, BLOCKS);
        HostVms.writeBlocks(vm, "disk0", BlockStreams.encode(source), "?fullCopy=true").statusCode(200);
        given().when().get("/api/vms/{vm}", vm).then().body("disks[0].consistent", equalTo(false));

        String wrong = BlockStreams.digest(BlockStreams.content(24, BLOCKS));
        HostVms.verify(vm, "disk0", DiskFile.DIGEST_ALGORITHM, wrong).statusCode(409).body("type", equalTo("DigestMismatch"));
        given().when().get("/api/vms/{vm}", vm).then().body("disks[0].consistent", equalTo(false));
        HostVms.start(vm).statusCode(409).body("type", equalTo("DiskInconsistent"));

        HostVms.verify(vm, "disk0", DiskFile.DIGEST_ALGORITHM, BlockStreams.digest(source)).statusCode(200)
                .body("consistent", equalTo(true));
        given().when().get("/api/vms/{vm}", vm).then().body("disks[0].consistent", equalTo(true));
        HostVms.start(vm).statusCode(200).body("state", equalTo("Running"));
    }

    @Test
    void aRunningVmRefusesACopyIntoItsDisksAndStaysConsistent() {
        HostVms.create(vm, HostVms.SWITCH, 5L, HostVms.disk("disk0", BLOCKS)).statusCode(201);
        HostVms.start(vm).statusCode(200);

        HostVms.writeBlocks(vm, "disk0", BlockStreams.encode(BlockStreams.content(3, BLOCKS)), "?fullCopy=true").statusCode(409)
                .body("type", equalTo("VmRunning"));

        given().when().get("/api/vms/{vm}", vm).then().body("disks[0].consistent", equalTo(true)).body("state", equalTo("Running"));
    }
}
