package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * job-service's side of issue #17 against a real Kafka broker and PostgreSQL, playing sync-service with a plain Kafka
 * client: a suspended ForDownTime failback gets catch-up rounds, each from the job's checkpoint; a round's end moves
 * the checkpoint (once, however often it is delivered), a failed round leaves it, rounds that fall behind say so, and
 * Complete Failover continues from the last round's checkpoint. A recovery plan's items are kept caught up, each in
 * its own job.
 */
@QuarkusTest
@TestProfile(CatchUpRoundsTest.RoundsOn.class)
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class CatchUpRoundsTest {
    private static final String ITEM = "vm-catch-up";
    private static final String HOST = "host-catch-up";
    /** Commands already taken, so that each wait finds the next one. */
    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    public static class RoundsOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("failback.catch-up.enabled", "true", "failback.catch-up.pause", "200ms");
        }
    }

    @Test
    void roundsMoveTheCheckpointOnceAndResumeContinuesFromTheLast() throws Exception {
        heartbeat();
        given().contentType(ContentType.JSON).body("""
                        {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                          "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "%s"}}""".formatted(HOST, ITEM))
                .put("/api/replicationProtectedItems/" + ITEM).then().statusCode(201);
        String job = given().contentType(ContentType.JSON).body("""
                        {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                          "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForDownTime",
                          "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""")
                .post("/api/replicationProtectedItems/" + ITEM + "/plannedFailover").then().statusCode(202).extract().path("name");
        SyncCommand phase1 = nextCommand(job);
        DeltaCheckpoint phase1Checkpoint = new DeltaCheckpoint("snap-0", Map.of("disk-0", 10L));
        send(event(phase1.commandId(), job, SyncEvent.Type.SyncSuspended, phase1Checkpoint, null));

        // The first round starts from phase 1's checkpoint; its end becomes the job's.
        SyncCommand round1 = nextCommand(job);
        assertEquals(phase1Checkpoint, round1.catchUp().from());
        assertEquals(ITEM, round1.catchUp().azureVm().vmName());
        assertEquals(HOST, round1.catchUp().onPremisesVm().providerId());
        DeltaCheckpoint afterRound1 = new DeltaCheckpoint("snap-1", Map.of("disk-0", 20L));
        SyncEvent caughtUp1 = event(round1.commandId(), job, SyncEvent.Type.SyncCaughtUp, afterRound1,
                new SyncEvent.CatchUpRound(phase1Checkpoint, Instant.now().minusSeconds(1), 8_000_000, 0.8, 1_000_000, 1_000_000));
        send(caughtUp1);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Suspended"))
                .body("properties.customDetails.catchUp.rounds", equalTo(1))
                .body("properties.customDetails.catchUp.lastRound.bytesSent", equalTo(8_000_000))
                .body("properties.customDetails.catchUp.converging", equalTo(true))
                .body("properties.stateDescription", containsString("caught up")));

        // The next round starts from the first one's checkpoint. The first one's end, delivered again, changes nothing.
        SyncCommand round2 = nextCommand(job);
        assertEquals(afterRound1, round2.catchUp().from());
        send(caughtUp1);
        // It fails: the job stays suspended at the same checkpoint, and the round after it starts from there again.
        send(event(round2.commandId(), job, SyncEvent.Type.SyncFailed, null, null));
        SyncCommand round3 = nextCommand(job);
        assertEquals(afterRound1, round3.catchUp().from());
        given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Suspended"))
                .body("properties.customDetails.catchUp.rounds", equalTo(1))
                .body("properties.customDetails.catchUp.lastRoundError", containsString("CatchUpTest"));

        // Two rounds in a row that leave more written than they sent: the VM writes faster than rounds send.
        DeltaCheckpoint afterRound3 = new DeltaCheckpoint("snap-3", Map.of("disk-0", 30L));
        send(event(round3.commandId(), job, SyncEvent.Type.SyncCaughtUp, afterRound3,
                new SyncEvent.CatchUpRound(afterRound1, Instant.now(), 10_000_000, 1.0, 40_000_000, 40_000_000)));
        SyncCommand round4 = nextCommand(job);
        assertEquals(afterRound3, round4.catchUp().from());
        DeltaCheckpoint afterRound4 = new DeltaCheckpoint("snap-4", Map.of("disk-0", 40L));
        send(event(round4.commandId(), job, SyncEvent.Type.SyncCaughtUp, afterRound4,
                new SyncEvent.CatchUpRound(afterRound3, Instant.now(), 40_000_000, 4.0, 90_000_000, 25_000_000)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.customDetails.catchUp.rounds", equalTo(3))
                .body("properties.customDetails.catchUp.converging", equalTo(false))
                .body("properties.stateDescription", containsString("falling behind")));

        // Complete Failover: phase 2 continues from the last round's checkpoint.
        heartbeat();
        given().post("/api/replicationJobs/" + job + "/resume").then().statusCode(202);
        SyncCommand phase2 = KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(job) && r.value().contains("completeFrom") && r.value().contains("snap-4"),
                Duration.ofSeconds(30)).value(), SyncCommand.class);
        assertEquals(afterRound4, phase2.plannedFailover().completeFrom());
        given().get("/api/replicationJobs/" + job).then().body("properties.state", equalTo("InProgress"));
    }

    @Test
    void aRecoveryPlansSuspendedItemsAreEachKeptCaughtUp() throws Exception {
        heartbeat();
        List<String> items = List.of("vm-plan-catch-up-1", "vm-plan-catch-up-2");
        for (String item : items) {
            given().contentType(ContentType.JSON).body("""
                            {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                              "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "%s"}}""".formatted(HOST, item))
                    .put("/api/replicationProtectedItems/" + item).then().statusCode(201);
        }
        given().contentType(ContentType.JSON).body("""
                        {"properties": {"groups": [{"groupType": "Boot", "replicationProtectedItems": [{"id": "%s"}, {"id": "%s"}]}]}}"""
                        .formatted(items.get(0), items.get(1)))
                .put("/api/replicationRecoveryPlans/plan-catch-up").then().statusCode(201);
        String planJob = given().contentType(ContentType.JSON).body("""
                        {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                          "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForDownTime",
                          "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""")
                .post("/api/replicationRecoveryPlans/plan-catch-up/plannedFailover").then().statusCode(202).extract().path("name");

        // Each item's own job copies, is suspended, and then gets rounds of its own from its own checkpoint.
        for (String item : items) {
            String itemJob = await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/api/replicationProtectedItems/" + item)
                    .then().extract().<String>path("properties.currentScenario.jobId"), job -> job != null && !job.equals(planJob));
            SyncCommand phase1 = nextCommand(itemJob);
            DeltaCheckpoint checkpoint = new DeltaCheckpoint("snap-" + item, Map.of("disk-0", 5L));
            KafkaTestClient.send(Topics.SYNC_EVENTS, item, new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                    phase1.commandId(), itemJob, item, SyncEvent.Type.SyncSuspended, null, 1, Instant.now(), null, null, null,
                    checkpoint, null, null));
            SyncCommand round = nextCommand(itemJob);
            assertEquals(checkpoint, round.catchUp().from(), round.toString());
            assertEquals(item, round.catchUp().azureVm().vmName());
            KafkaTestClient.send(Topics.SYNC_EVENTS, item, new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                    round.commandId(), itemJob, item, SyncEvent.Type.SyncCaughtUp, null, 1, Instant.now(), null, null, null,
                    new DeltaCheckpoint("snap-" + item + "-1", Map.of("disk-0", 9L)),
                    null, new SyncEvent.CatchUpRound(checkpoint, Instant.now(), 1_000_000, 0.1, 0, 0)));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + itemJob).then()
                    .body("properties.state", equalTo("Suspended"))
                    .body("properties.customDetails.catchUp.rounds", equalTo(1)));
        }
    }

    private static void heartbeat() {
        TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT, HOST, HOST + ".contoso.local",
                "http://127.0.0.1:1/" + HOST, List.of("vSwitch-Prod"), Instant.now()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/" + HOST)
                .then().statusCode(200).body("properties.connectionStatus", equalTo("Connected")));
    }

    /** The next command for the job that this test has not taken yet. */
    private static SyncCommand nextCommand(String job) throws Exception {
        return KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(job) && SEEN.add(r.topic() + r.partition() + "@" + r.offset()), Duration.ofSeconds(30)).value(),
                SyncCommand.class);
    }

    private static SyncEvent event(String commandId, String job, SyncEvent.Type type, DeltaCheckpoint checkpoint,
            SyncEvent.CatchUpRound round) {
        SyncEvent.Failure failure = type == SyncEvent.Type.SyncFailed ? new SyncEvent.Failure("CatchUpTest", "the host went away") : null;
        return new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), commandId, job, ITEM, type, null, 1,
                Instant.now(), null, failure, null, checkpoint, null, round);
    }

    private static void send(SyncEvent event) {
        KafkaTestClient.send(Topics.SYNC_EVENTS, ITEM, event);
    }
}
