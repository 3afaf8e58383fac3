package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.contracts.messaging.OperationResult;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.StateChange;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * What automation drives job-service with, on a real broker and database: idempotency keys on REST, the Kafka
 * command API with its results and state-change feed, pagination, and the job's Server-Sent Events stream.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class AutomationInterfacesTest {
    private static final String FAILBACK = """
            {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
              "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForDownTime", "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""";

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    private static void registerInAzure(String name, String providerId) {
        // A fresh heartbeat each time: the first ones may be consumed late, when the test profile's 10 s timeout has passed.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                    providerId, providerId, "http://127.0.0.1:1/" + providerId, List.of("vSwitch-Prod"), Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + providerId)
                    .then().body("properties.connectionStatus", equalTo("Connected"));
        });
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s", "primaryVirtualSwitchName": "vSwitch-Prod",
                  "recoveryAzureVmName": "%s"}}""".formatted(providerId, name))
                .put("/api/replicationProtectedItems/" + name).then().statusCode(201);
    }

    @Test
    void anIdempotencyKeyMakesARetriedPostAnswerTheSameJobAndStartNothingNew() {
        registerInAzure("vm-retry", "host-retry");
        String first = given().contentType(ContentType.JSON).header("Idempotency-Key", "retry-1").body(FAILBACK)
                .post("/api/replicationProtectedItems/vm-retry/plannedFailover").then().statusCode(202)
                .body("properties.requestId", equalTo("retry-1")).extract().path("name");
        String again = given().contentType(ContentType.JSON).header("Idempotency-Key", "retry-1").body(FAILBACK)
                .post("/api/replicationProtectedItems/vm-retry/plannedFailover").then().statusCode(202).extract().path("name");
        assertEquals(first, again, "the retry answers the job the first request started");
        given().contentType(ContentType.JSON).header("Idempotency-Key", "retry-1")
                .body(FAILBACK.replace("ForDownTime", "ForSynchronization"))
                .post("/api/replicationProtectedItems/vm-retry/plannedFailover").then().statusCode(422)
                .body("type", equalTo("RequestIdReused"));
        // Without a key the same request is a new one, and the item is busy.
        given().contentType(ContentType.JSON).body(FAILBACK).post("/api/replicationProtectedItems/vm-retry/plannedFailover")
                .then().statusCode(409).body("type", equalTo("OperationNotAllowed"));
        assertEquals(1, given().get("/api/replicationJobs?$top=1000").then().extract().<List<String>>path("value.properties.targetObjectId")
                .stream().filter("vm-retry"::equals).count(), "one job for the item");
    }

    @Test
    void theKafkaCommandApiRunsOperationsAnswersEachRequestAndFeedsEveryStateChange() throws Exception {
        // An operation on an item that does not exist is refused with the REST API's 404. Awaiting its answer also
        // waits out the channel's first start, so the host's heartbeat below is still fresh when the failback comes.
        KafkaTestClient.send(Topics.OPERATIONS, "vm-none", new OperationRequest(ContractVersions.OPERATION_REQUEST, "kafka-0",
                OperationRequest.Operation.FailoverCommit, "vm-none", null));
        assertEquals(404, result("kafka-0").problem().status());
        registerInAzure("vm-kafka", "host-kafka");
        JsonNode failback = KafkaTestClient.JSON.readTree(FAILBACK).path("properties");
        OperationRequest request = new OperationRequest(ContractVersions.OPERATION_REQUEST, "kafka-1",
                OperationRequest.Operation.PlannedFailover, "vm-kafka", failback);
        KafkaTestClient.send(Topics.OPERATIONS, "vm-kafka", request);
        OperationResult accepted = result("kafka-1");
        assertTrue(accepted.accepted(), String.valueOf(accepted));
        String job = accepted.jobName();
        SyncCommand command = KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(job), Duration.ofSeconds(30)).value(), SyncCommand.class);

        // The same request again (a redelivery) starts nothing: the same job is answered.
        KafkaTestClient.send(Topics.OPERATIONS, "vm-kafka", request);
        await().atMost(Duration.ofSeconds(30)).until(() -> results("kafka-1").size() == 2);
        assertEquals(job, results("kafka-1").get(1).jobName());

        // A refused operation is an answer, not a poison message.
        KafkaTestClient.send(Topics.OPERATIONS, "vm-kafka", new OperationRequest(ContractVersions.OPERATION_REQUEST, "kafka-2",
                OperationRequest.Operation.UnplannedFailover, "vm-kafka", failback));
        OperationResult refused = result("kafka-2");
        assertFalse(refused.accepted());
        assertEquals(422, refused.problem().status());
        assertEquals("UnplannedFailbackNotSupported", refused.problem().type());

        // sync-service's phase 1 suspends the job; Resume through Kafka; the feed shows each state with the request id.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-kafka", new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                command.commandId(), job, "vm-kafka", SyncEvent.Type.SyncSuspended, null, 1, Instant.now(), null, null, null,
                new io.failback.contracts.messaging.DeltaCheckpoint("snap-1", java.util.Map.of("disk-0", 7L)), null, null));
        JsonNode suspended = stateChange(job, "Suspended");
        assertEquals("kafka-1", suspended.path("requestId").asText());
        registerInAzure("vm-kafka-keepalive", "host-kafka"); // Resume checks the host is still connected: a fresh heartbeat
        KafkaTestClient.send(Topics.OPERATIONS, job, new OperationRequest(ContractVersions.OPERATION_REQUEST, "kafka-3",
                OperationRequest.Operation.ResumeJob, job, null));
        assertTrue(result("kafka-3").accepted());
        stateChange(job, "InProgress");
        // Phase 1 run again under the phase-2 command (delivered again to a restarted sync-service, before phase 2):
        // its suspension does not take the resumed job back. The task event behind it on the partition shows it was read.
        SyncCommand phase2 = KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(job) && r.value().contains("snap-1"), Duration.ofSeconds(30)).value(), SyncCommand.class);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-kafka", new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                phase2.commandId(), job, "vm-kafka", SyncEvent.Type.SyncSuspended, null, 1, Instant.now(), null, null, null,
                new io.failback.contracts.messaging.DeltaCheckpoint("snap-2", java.util.Map.of("disk-0", 9L)), null, null));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-kafka", new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                phase2.commandId(), job, "vm-kafka", SyncEvent.Type.TaskStarted, SyncTask.ShutdownAzureVm, 2, Instant.now(), null, null,
                null, null, null, null));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks.find { it.name == 'ShutdownAzureVm' }.state", equalTo("InProgress")));
        given().get("/api/replicationJobs/" + job).then().body("properties.state", equalTo("InProgress"));
        KafkaTestClient.send(Topics.OPERATIONS, job, new OperationRequest(ContractVersions.OPERATION_REQUEST, "kafka-4",
                OperationRequest.Operation.CancelJob, job, null));
        assertTrue(result("kafka-4").accepted());
        JsonNode cancelled = stateChange(job, "Cancelled");
        assertEquals("Cancelled", cancelled.path("resource").path("properties").path("tasks").get(1).path("state").asText());
        KafkaTestClient.awaitRecord(Topics.STATE_CHANGES, r -> r.key().equals("vm-kafka") && r.value().contains("FailoverCompleted"),
                Duration.ofSeconds(30));

        // A record that is not a request goes to the dead-letter topic, and the channel keeps working.
        KafkaTestClient.send(Topics.OPERATIONS, "vm-kafka", "not a request");
        KafkaTestClient.awaitRecord(Topics.OPERATIONS + Topics.DEAD_LETTER_SUFFIX, r -> "vm-kafka".equals(r.key()), Duration.ofSeconds(30));
        KafkaTestClient.send(Topics.OPERATIONS, "vm-none", new OperationRequest(ContractVersions.OPERATION_REQUEST, "kafka-5",
                OperationRequest.Operation.Reprotect, "vm-none", null));
        assertEquals("ItemNotFound", result("kafka-5").problem().type());
    }

    @Test
    void aRecoveryPlanFailsBackThroughKafkaAndARepeatedRequestStartsNothingNew() throws Exception {
        registerInAzure("vm-kplan-a", "host-kplan");
        registerInAzure("vm-kplan-b", "host-kplan");
        given().contentType(ContentType.JSON).body("""
                {"properties": {"groups": [
                  {"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-kplan-a"}]},
                  {"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-kplan-b"}]}]}}""")
                .put("/api/replicationRecoveryPlans/plan-kafka").then().statusCode(201);
        registerInAzure("vm-kplan-keepalive", "host-kplan");
        OperationRequest request = new OperationRequest(ContractVersions.OPERATION_REQUEST, "plan-1",
                OperationRequest.Operation.RecoveryPlanPlannedFailover, "plan-kafka", KafkaTestClient.JSON.readTree(FAILBACK).path("properties"));
        KafkaTestClient.send(Topics.OPERATIONS, "plan-kafka", request);
        OperationResult accepted = result("plan-1");
        assertTrue(accepted.accepted(), String.valueOf(accepted));
        given().get("/api/replicationJobs/" + accepted.jobName()).then()
                .body("properties.targetObjectId", equalTo("plan-kafka"))
                .body("properties.requestId", equalTo("plan-1"));
        KafkaTestClient.send(Topics.OPERATIONS, "plan-kafka", request);
        await().atMost(Duration.ofSeconds(30)).until(() -> results("plan-1").size() == 2);
        assertEquals(accepted.jobName(), results("plan-1").get(1).jobName(), "the repeated request answers the same plan job");
    }

    @Test
    void listsComeInPagesThatChainThroughNextLink() {
        for (int i = 0; i < 5; i++) {
            registerInAzure("vm-page-" + i, "host-page");
        }
        List<String> names = new ArrayList<>();
        String next = "/api/replicationProtectedItems?$top=2";
        int pages = 0;
        while (next != null) {
            var page = given().get(next).then().statusCode(200).body("value.size()", org.hamcrest.Matchers.lessThanOrEqualTo(2)).extract();
            names.addAll(page.<List<String>>path("value.name"));
            next = page.path("nextLink");
            pages++;
        }
        assertTrue(pages >= 3, "five items or more come in pages of two: " + pages);
        assertTrue(names.containsAll(List.of("vm-page-0", "vm-page-1", "vm-page-2", "vm-page-3", "vm-page-4")), names.toString());
        assertEquals(names.size(), names.stream().distinct().count(), "no item twice: " + names);
        given().get("/api/replicationProtectedItems?$top=0").then().statusCode(400);
        given().get("/api/replicationJobs?$skipToken=nonsense").then().statusCode(400).body("type", equalTo("InvalidSkipToken"));
    }

    @Test
    void aJobCanBeFollowedAsServerSentEventsUntilItEnds() throws Exception {
        registerInAzure("vm-stream", "host-stream");
        String job = given().contentType(ContentType.JSON).body(FAILBACK)
                .post("/api/replicationProtectedItems/vm-stream/plannedFailover").then().statusCode(202).extract().path("name");
        HttpClient http = HttpClient.newHttpClient();
        CompletableFuture<List<String>> events = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/replicationJobs/" + job + "/events"))
                        .header("Authorization", TestTokens.bearer(TestTokens.reader())).build(),
                HttpResponse.BodyHandlers.ofInputStream()).thenApply(response -> {
                    assertEquals(200, response.statusCode());
                    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
                    List<String> data = new ArrayList<>();
                    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                            if (line.startsWith("data:")) {
                                data.add(line.substring(5).trim());
                            }
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return data;
                });
        Thread.sleep(1500);
        given().post("/api/replicationJobs/" + job + "/cancel").then().statusCode(200);
        List<String> received = events.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(received.size() >= 2, "the state at once, then the change: " + received);
        assertTrue(received.get(0).contains("\"state\":\"InProgress\""), received.get(0));
        assertTrue(received.get(received.size() - 1).contains("\"state\":\"Cancelled\""), "the stream ends with the final state");
        given().get("/api/replicationJobs/no-such-job/events").then().statusCode(404).body("type", equalTo("JobNotFound"));
    }

    @Test
    void kafkaAloneRegistersItemsAndCreatesAndDeletesRecoveryPlansWhichTheFeedFollows() throws Exception {
        // A heartbeat so that the host is known; registering a VM running in Azure starts no job.
        TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                "host-plans", "host-plans", "http://127.0.0.1:1/host-plans", List.of("vSwitch-Prod"), Instant.now()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/host-plans")
                .then().statusCode(200));
        KafkaTestClient.send(Topics.OPERATIONS, "vm-plan-k1", new OperationRequest(ContractVersions.OPERATION_REQUEST, "plans-1",
                OperationRequest.Operation.EnableProtection, "vm-plan-k1", KafkaTestClient.JSON.readTree("""
                        {"activeLocation": "Recovery", "primaryProviderId": "host-plans", "primaryVirtualSwitchName": "vSwitch-Prod",
                         "recoveryAzureVmName": "vm-plan-k1"}""")));
        OperationResult registered = result("plans-1");
        assertTrue(registered.accepted(), String.valueOf(registered));
        assertEquals(null, registered.jobName(), "registering a VM in Azure starts no job");
        given().get("/api/replicationProtectedItems/vm-plan-k1").then().statusCode(200)
                .body("properties.protectionState", equalTo("FailoverCompleted"));

        String plan = """
                {"groups": [{"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-plan-k1"}]}]}""";
        OperationRequest put = new OperationRequest(ContractVersions.OPERATION_REQUEST, "plans-2",
                OperationRequest.Operation.PutRecoveryPlan, "plan-k", KafkaTestClient.JSON.readTree(plan));
        KafkaTestClient.send(Topics.OPERATIONS, "plan-k", put);
        assertTrue(result("plans-2").accepted());
        given().get("/api/replicationRecoveryPlans/plan-k").then().statusCode(200)
                .body("properties.allowedOperations", hasSize(1));
        JsonNode published = KafkaTestClient.JSON.readTree(KafkaTestClient.awaitRecord(Topics.STATE_CHANGES,
                r -> "plan-k".equals(r.key()) && r.value().contains("\"kind\":\"RecoveryPlan\""), Duration.ofSeconds(30)).value());
        assertEquals("vm-plan-k1", published.path("resource").path("properties").path("groups").get(0)
                .path("replicationProtectedItems").get(0).path("id").asText());
        // A plan naming an item that does not exist is refused as REST refuses it.
        KafkaTestClient.send(Topics.OPERATIONS, "plan-bad", new OperationRequest(ContractVersions.OPERATION_REQUEST, "plans-3",
                OperationRequest.Operation.PutRecoveryPlan, "plan-bad", KafkaTestClient.JSON.readTree(plan.replace("vm-plan-k1", "vm-none"))));
        assertEquals(422, result("plans-3").problem().status());

        KafkaTestClient.send(Topics.OPERATIONS, "plan-k", new OperationRequest(ContractVersions.OPERATION_REQUEST, "plans-4",
                OperationRequest.Operation.DeleteRecoveryPlan, "plan-k", null));
        assertTrue(result("plans-4").accepted());
        given().get("/api/replicationRecoveryPlans/plan-k").then().statusCode(404);
        JsonNode removed = KafkaTestClient.JSON.readTree(KafkaTestClient.awaitRecord(Topics.STATE_CHANGES,
                r -> "plan-k".equals(r.key()) && r.value().contains("\"resource\":null"), Duration.ofSeconds(30)).value());
        assertTrue(removed.path("version").asLong() > published.path("version").asLong(), "the removal outranks the plan's last state");
        // The same delete again (a redelivery) answers as the first did and changes nothing.
        KafkaTestClient.send(Topics.OPERATIONS, "plan-k", new OperationRequest(ContractVersions.OPERATION_REQUEST, "plans-4",
                OperationRequest.Operation.DeleteRecoveryPlan, "plan-k", null));
        await().atMost(Duration.ofSeconds(30)).until(() -> results("plans-4").size() == 2);
        assertTrue(results("plans-4").get(1).accepted());
    }

    private static OperationResult result(String requestId) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !results(requestId).isEmpty());
        return results(requestId).get(0);
    }

    private static List<OperationResult> results(String requestId) {
        return KafkaTestClient.allRecords(Topics.OPERATION_RESULTS).stream().filter(r -> requestId.equals(r.key())).map(r -> {
            try {
                return KafkaTestClient.JSON.readValue(r.value(), OperationResult.class);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }

    private static JsonNode stateChange(String job, String state) throws Exception {
        String value = KafkaTestClient.awaitRecord(Topics.STATE_CHANGES,
                r -> r.key().equals(job) && r.value().contains("\"state\":\"" + state + "\""), Duration.ofSeconds(30)).value();
        JsonNode change = KafkaTestClient.JSON.readTree(value);
        assertEquals(StateChange.Kind.Job.name(), change.path("kind").asText());
        assertTrue(change.path("version").asLong() >= 0);
        return change;
    }
}
