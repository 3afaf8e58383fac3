package io.failback.azuresim.replica;

import static io.restassured.RestAssured.given;

import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.StreamHeader;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What the undo journal costs a delta cycle through the block API: a 1% delta of a 4 GiB replica disk (655 blocks
 * spread over the disk, holding data from an earlier cycle) POSTed as one block stream, into a replica without a
 * recovery point (no journal) and into one with a recovery point (journaled). A measurement, not a test: it prints
 * and asserts nothing. {@code ./mvnw -o -pl azure-sim verify -Dfailback.bench=true -Dtest=ReplicaJournalHttpBench}
 */
@QuarkusTest
@WithTestResource(ReplicaFailoverTest.FreshStorage.class)
@EnabledIfSystemProperty(named = "failback.bench", matches = "true")
class ReplicaJournalHttpBench {
    private static final int BLOCK = 64 * 1024;
    private static final long SIZE = 4L << 30;
    private static final int DELTA = (int) (SIZE / BLOCK / 100);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 7);

    @Test
    void aOnePercentDeltaCyclePostedWithAndWithoutTheJournal() {
        for (String item : new String[] {"bench-plain", "bench-journaled"}) {
            given().contentType(ContentType.JSON).body("{\"disks\": [{\"diskId\": \"disk-0\", \"sizeBytes\": " + SIZE + "}]}")
                    .put("/api/replicas/" + item).then().statusCode(201);
        }
        Random random = new Random(1);
        long[] delta = random.longs(0, SIZE / BLOCK).distinct().limit(DELTA).sorted().toArray();
        byte[] body = stream(delta, random);
        post("bench-plain", body);
        post("bench-journaled", body);
        long[] without = new long[ROUNDS];
        long[] with = new long[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            given().contentType(ContentType.JSON).body("{\"consistentAt\": \"2026-11-26T10:" + String.format("%02d", round) + ":00Z\", \"sourceTrackingPoints\": {\"disk-0\": " + round + "}}")
                    .post("/api/replicas/bench-journaled/recoveryPoints").then().statusCode(200);
            without[round] = post("bench-plain", body);
            with[round] = post("bench-journaled", body);
        }
        Arrays.sort(without);
        Arrays.sort(with);
        System.out.printf("block API, 1%% delta of a 4 GiB replica disk (%d blocks, %d MiB), median of %d: "
                + "without journal %.0f ms, with journal %.0f ms (min %.0f / %.0f, max %.0f / %.0f)%n", DELTA, DELTA * (long) BLOCK >> 20,
                ROUNDS, without[ROUNDS / 2] / 1e6, with[ROUNDS / 2] / 1e6, without[0] / 1e6, with[0] / 1e6,
                without[ROUNDS - 1] / 1e6, with[ROUNDS - 1] / 1e6);
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();

    /** POSTs the stream chunked, as sync-service sends it; nanoseconds until the answer. */
    private static long post(String item, byte[] body) {
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + io.restassured.RestAssured.port + "/api/replicas/" + item + "/disks/disk-0/blocks"))
                .header("Content-Type", BlockStreamFormat.MEDIA_TYPE)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
        long start = System.nanoTime();
        try {
            java.net.http.HttpResponse<String> response = HTTP.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(response.statusCode() + " " + response.body());
            }
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return System.nanoTime() - start;
    }

    private static byte[] stream(long[] blocks, Random random) {
        ByteBuffer stream = ByteBuffer.allocate(blocks.length * (BLOCK + BlockStreamFormat.FRAME_OVERHEAD_BYTES) + 200);
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        encoder.header(stream, new StreamHeader(BLOCK, SIZE, 0, SIZE / BLOCK));
        byte[] bytes = new byte[BLOCK];
        for (long block : blocks) {
            random.nextBytes(bytes);
            encoder.data(stream, block, ByteBuffer.wrap(bytes));
        }
        encoder.end(stream, SIZE / BLOCK);
        byte[] body = new byte[stream.flip().remaining()];
        stream.get(body);
        return body;
    }
}
