package io.failback.hostagent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.failback.sitedisk.DiskFile;
import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A copy into a host disk arrives byte for byte, and the host's digest of the disk is the SHA-256 of those bytes. */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
class VerifyDiskTest {
    private static final int BLOCKS = 48; // 3 MiB
    private final String vm = HostVms.uniqueName("verify");

    @AfterEach
    void cleanUp() {
        HostVms.deleteQuietly(vm);
    }

    @Test
    void aFullCopyArrivesByteForByteAndVerifyAnswersTheDisksSha256() {
        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("disk0", BLOCKS)).statusCode(201);
        byte[] source = BlockStreams.content(42, BLOCKS);
        String expected = BlockStreams.digest(source);

        HostVms.writeBlocks(vm, "disk0", BlockStreams.encode(source), "?fullCopy=true&syncId=test-sync").statusCode(200)
                .body("diskId", equalTo("disk0"))
                .body("zeroBlocks", equalTo(BLOCKS / 3))
                .body("dataBlocks", equalTo(BLOCKS - BLOCKS / 3))
                .body("dataBytes", equalTo((BLOCKS - BLOCKS / 3) * BlockStreams.BLOCK));

        assertArrayEquals(source, BlockStreams.decode(HostVms.readBlocks(vm, "disk0"), source.length));
        given().when().get("/api/vms/{vm}/disks/disk0/digest", vm).then().statusCode(200)
                .body("algorithm", equalTo(DiskFile.DIGEST_ALGORITHM))
                .body("sizeBytes", equalTo(source.length))
                .body("digest", equalTo(expected));
        HostVms.verify(vm, "disk0", DiskFile.DIGEST_ALGORITHM, expected.toUpperCase()).statusCode(200)
                .body("diskId", equalTo("disk0"))
                .body("algorithm", equalTo(DiskFile.DIGEST_ALGORITHM))
                .body("digest", equalTo(expected))
                .body("consistent", equalTo(true));
    }

    @Test
    void verifyRefusesADigestOfAnotherAlgorithm() {
        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("disk0", 8)).statusCode(201);

        HostVms.verify(vm, "disk0", "MD5", "00").statusCode(400).body("type", equalTo("UnsupportedDigest"));

        given().when().get("/api/vms/{vm}", vm).then().body("disks[0].consistent", equalTo(false));
    }

    @Test
    void verifyOfADiskTheVmLacksIsNotFound() {
        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("disk0", 8)).statusCode(201);

        HostVms.verify(vm, "disk9", DiskFile.DIGEST_ALGORITHM, BlockStreams.digest(new byte[8 * BlockStreams.BLOCK]))
                .statusCode(404).body("type", equalTo("DiskNotFound"));
    }
}
