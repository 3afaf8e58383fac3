package io.failback.hostagent;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A resumable copy (one with a syncId) records how far the disk is durable every 64 MiB written, and the host counts
 * each such checkpoint in {@code failback_copy_checkpoints_total}.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
class CopyCheckpointsTest {
    /** 100 MiB, two thirds data: 66.7 MiB written, one checkpoint. */
    private static final int BLOCKS = 1600;
    private static final Pattern CHECKPOINTS = Pattern.compile("(?m)^failback_copy_checkpoints_total(?:\\{[^}]*})? (\\S+)(?: # .*)?$");
    private final String vm = HostVms.uniqueName("checkpoints");

    @AfterEach
    void cleanUp() {
        HostVms.deleteQuietly(vm);
    }

    @Test
    void aResumableCopyRecordsItsCheckpointsAndTheHostCountsThem() throws Exception {
        HostVms.create(vm, HostVms.SWITCH, null, HostVms.disk("disk0", BLOCKS)).statusCode(201);
        double before = checkpoints();

        // Chunked over HTTP/1.1, as sync-service streams: a body of known length over 10 MiB is refused before it is read.
        byte[] stream = BlockStreams.encode(BlockStreams.content(7, BLOCKS));
        HttpResponse<String> written = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + "/api/vms/" + vm + "/disks/disk0/blocks?fullCopy=true&syncId=resumable"))
                .header("Content-Type", "application/vnd.failback.block-stream.v1")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(stream)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, written.statusCode(), written.body());

        JsonPath disk = given().when().get("/api/vms/{vm}", vm).then().statusCode(200).extract().jsonPath();
        assertEquals(1, checkpoints() - before, "one checkpoint after the first 64 MiB written");
        assertEquals("resumable", disk.getString("disks[0].syncId"));
        long through = disk.getLong("disks[0].syncedThrough");
        assertTrue(through > 0 && through < BLOCKS, "the checkpoint is where 64 MiB had been written: " + through);
    }

    /** The counter's value; with tracing on, the sample may end in an exemplar ({@code # {trace_id=...} 1.0 ...}). */
    private static double checkpoints() {
        Matcher sample = CHECKPOINTS.matcher(given().when().get("/q/metrics").then().statusCode(200).extract().asString());
        return sample.find() ? Double.parseDouble(sample.group(1)) : 0;
    }
}
