package io.failback.hostagent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.contracts.site.WorkloadSettings;
import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The failback's CreateVmIfNotFound: a new VM with empty disks, on the virtual switch of the original host's name. */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
class CreateVmIfNotFoundTest {
    private final String vm = HostVms.uniqueName("created");

    @AfterEach
    void cleanUp() {
        HostVms.deleteQuietly(vm);
    }

    @Test
    void createsTheVmOffOnTheSameNamedSwitchWithEmptyDisksThatMayNotBootYet() {
        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("disk0", 32)).statusCode(201)
                .body("name", equalTo(vm))
                .body("state", equalTo("Off"))
                .body("virtualSwitchName", equalTo(HostVms.SWITCH))
                .body("disks[0].diskId", equalTo("disk0"))
                .body("disks[0].sizeBytes", equalTo(32 * BlockStreams.BLOCK))
                .body("disks[0].consistent", equalTo(false));

        byte[] zeros = new byte[32 * BlockStreams.BLOCK];
        assertArrayEquals(zeros, BlockStreams.decode(HostVms.readBlocks(vm, "disk0"), zeros.length), "a new disk reads as zeros");
        given().when().get("/api/vms/{vm}/disks/disk0/digest", vm).then().statusCode(200)
                .body("digest", equalTo(BlockStreams.digest(zeros)));
        HostVms.start(vm).statusCode(409).body("type", equalTo("DiskInconsistent"));
    }

    @Test
    void theVmWritesAsTheAzureVmDidOrAsTheHostsDefaultWhenNotSaid() {
        Map<String, Object> sequential = Map.of("pattern", "Sequential", "writesPerSecond", 7, "writeSizeBytes", 8192, "seed", 3);
        given().contentType(ContentType.JSON).body(Map.of("disks", List.of(HostVms.disk("disk0", 16)), "virtualSwitchName",
                        HostVms.SWITCH, "workload", sequential))
                .when().put("/api/vms/{name}", vm).then().statusCode(201)
                .body("workload.pattern", equalTo("Sequential"))
                .body("workload.writesPerSecond", equalTo(7))
                .body("workload.writeSizeBytes", equalTo(8192))
                .body("workload.seed", equalTo(3));
        given().when().get("/api/vms/{vm}", vm).then().statusCode(200).body("workload.writesPerSecond", equalTo(7));

        String other = HostVms.uniqueName("created-default");
        try {
            HostVms.create(other, HostVms.SWITCH, null, HostVms.disk("disk0", 16)).statusCode(201)
                    .body("workload.pattern", equalTo(WorkloadSettings.DEFAULT.pattern().name()))
                    .body("workload.writesPerSecond", equalTo(WorkloadSettings.DEFAULT.writesPerSecond()));
        } finally {
            HostVms.deleteQuietly(other);
        }
    }

    @Test
    void aWorkloadOfPartPagesIsRefusedAndNoVmIsCreated() {
        given().contentType(ContentType.JSON).body(Map.of("disks", List.of(HostVms.disk("disk0", 16)), "virtualSwitchName",
                        HostVms.SWITCH, "workload", Map.of("pattern", "RandomSmall", "writesPerSecond", 5, "writeSizeBytes", 512, "seed", 1)))
                .when().put("/api/vms/{name}", vm).then().statusCode(400)
                .contentType("application/problem+json")
                .body("detail", containsString("writeSizeBytes"));

        given().when().get("/api/vms/{vm}", vm).then().statusCode(404).body("type", equalTo("VmNotFound"));
    }

    @Test
    void aSwitchTheHostLacksIsAClear422AndNoVmIsCreated() {
        HostVms.create(vm, "vSwitch-Missing", null, HostVms.disk("disk0", 16)).statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("VirtualSwitchNotFound"))
                .body("detail", containsString("'vSwitch-Missing'"))
                .body("detail", containsString(HostVms.SWITCH));

        given().when().get("/api/vms/{vm}", vm).then().statusCode(404).body("type", equalTo("VmNotFound"));
    }

    @Test
    void aSecondVmOfTheSameNameIsAConflictAndTheFirstKeepsItsDisks() {
        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("disk0", 16)).statusCode(201);

        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("other", 8)).statusCode(409).body("type", equalTo("VmExists"));

        assertEquals("disk0", given().when().get("/api/vms/{vm}", vm).then().statusCode(200).extract().path("disks[0].diskId"));
    }

    @Test
    void aDiskNotInWholeBlocksIsRefused() {
        HostVms.create(vm, HostVms.SWITCH, null, java.util.Map.of("diskId", "disk0", "sizeBytes", BlockStreams.BLOCK + 512,
                "blockSize", BlockStreams.BLOCK)).statusCode(400).body("type", equalTo("InvalidDisk"));
    }
}
