package io.failback.hostagent;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Calls on host-agent's management API that several tests share. */
final class HostVms {
    static final String SWITCH = "vSwitch-Prod";

    private HostVms() {
    }

    static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, Object> disk(String diskId, int blocks) {
        return Map.of("diskId", diskId, "sizeBytes", (long) blocks * BlockStreams.BLOCK, "blockSize", BlockStreams.BLOCK);
    }

    /** PUT /api/vms/{name}: with empty disks (CreateVmIfNotFound), or filled from a seed when {@code contentSeed} is set. */
    static ValidatableResponse create(String name, String virtualSwitch, Long contentSeed, Map<String, Object> disk) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("disks", List.of(disk), "virtualSwitchName", virtualSwitch));
        if (contentSeed != null) {
            body.put("contentSeed", contentSeed);
        }
        return given().contentType(ContentType.JSON).body(body).when().put("/api/vms/{name}", name).then();
    }

    static ValidatableResponse writeBlocks(String vm, String diskId, byte[] stream, String query) {
        return given().contentType("application/vnd.failback.block-stream.v1").body(stream)
                .when().post("/api/vms/{vm}/disks/{disk}/blocks" + query, vm, diskId).then();
    }

    static byte[] readBlocks(String vm, String diskId) {
        return given().when().get("/api/vms/{vm}/disks/{disk}/blocks", vm, diskId).then().statusCode(200)
                .extract().asByteArray();
    }

    static ValidatableResponse verify(String vm, String diskId, String algorithm, String digest) {
        return given().contentType(ContentType.JSON).body(Map.of("algorithm", algorithm, "digest", digest))
                .when().post("/api/vms/{vm}/disks/{disk}/verify", vm, diskId).then();
    }

    static ValidatableResponse start(String vm) {
        return given().when().post("/api/vms/{vm}/start", vm).then();
    }

    /**
     * Stops and deletes the VM and its disk images, whatever state a test left it in, and the VM's folder, which
     * DELETE leaves behind empty.
     */
    static void deleteQuietly(String vm) {
        given().when().post("/api/vms/{vm}/stop", vm);
        given().when().delete("/api/vms/{vm}", vm);
        try {
            java.nio.file.Files.deleteIfExists(java.nio.file.Path.of("target", "host-agent-test-data", "vms", vm));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
