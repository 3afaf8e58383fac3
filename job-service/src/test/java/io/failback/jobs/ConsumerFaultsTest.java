package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.contracts.messaging.OperationResult;
import io.failback.contracts.messaging.ProviderHeartbeat;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What each topic job-service consumes does with faulty records, on the real broker: a poison record (not JSON, an
 * unknown schema version, a required field missing) goes to the dead-letter topic with the reason, and the record
 * after it on the same partition (same key) is still applied; duplicate, reordered and stale records change nothing
 * a second time. What is covered elsewhere is named in docs/contracts.md ("Faults each consumer tolerates").
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class ConsumerFaultsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String NOT_JSON = "{\"schemaVersion\": 1, this is not json";
    /** A record that cannot be read is dead-lettered with the parser's own complaint. */
    private static final String UNREADABLE = "JsonParseException: Unexpected character";

    @Test
    void poisonSyncEventsAreDeadLetteredWithTheReasonAndTheNextEventOfTheItemIsApplied() {
        String item = "vm-poison-events";
        String job = failbackOf(item, "host-poison-events");
        String unknownVersion = json(event(job, item, SyncEvent.Type.SyncSucceeded, null, 1)).replace("\"schemaVersion\":1",
                "\"schemaVersion\":99");
        String missingIds = "{\"schemaVersion\":1,\"type\":\"SyncSucceeded\",\"jobName\":\"" + job + "\",\"sequence\":1}";
        String unknownType = json(event(job, item, SyncEvent.Type.SyncSucceeded, null, 1)).replace("\"SyncSucceeded\"", "\"Teleported\"");

        String notJsonId = sendTracked(Topics.SYNC_EVENTS, item, NOT_JSON);
        String versionId = sendTracked(Topics.SYNC_EVENTS, item, unknownVersion);
        String missingId = sendTracked(Topics.SYNC_EVENTS, item, missingIds);
        String typeId = sendTracked(Topics.SYNC_EVENTS, item, unknownType);

        assertDeadLettered(Topics.SYNC_EVENTS, notJsonId, UNREADABLE);
        assertDeadLettered(Topics.SYNC_EVENTS, versionId, "SyncEvent schema version 99 is not supported");
        assertDeadLettered(Topics.SYNC_EVENTS, missingId, "the record is not a readable SyncEvent");
        assertDeadLettered(Topics.SYNC_EVENTS, typeId, "\"Teleported\"");
        // None of them moved the job (the unreadable SyncSucceeded least of all); the good one after them does.
        given().get("/api/replicationJobs/" + job).then().body("properties.state", equalTo("InProgress"));
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, event(job, item, SyncEvent.Type.SyncSucceeded, null, 1));
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Succeeded")));
    }

    @Test
    void reorderedTaskEventsNeverMoveATaskBack() {
        String item = "vm-reordered";
        String job = failbackOf(item, "host-reordered");
        // The data task's end overtakes its start (sequence 2 before 1), then its start arrives late.
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, event(job, item, SyncEvent.Type.TaskSucceeded, SyncTask.DataSynchronization, 2));
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, event(job, item, SyncEvent.Type.TaskStarted, SyncTask.DataSynchronization, 1));
        // Same item, same partition: once this later event shows, the two before it were consumed.
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, event(job, item, SyncEvent.Type.TaskStarted, SyncTask.StartOnPremisesVm, 3));
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[4].state", equalTo("InProgress")));
        given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].state", equalTo("Succeeded"))
                .body("properties.state", equalTo("InProgress"));
    }

    @Test
    void poisonHeartbeatsAreDeadLetteredWithTheReasonAndTheNextHeartbeatOfTheHostIsApplied() {
        String host = "host-poison-heartbeats";
        String notJsonId = sendTracked(Topics.PROVIDER_HEARTBEATS, host, NOT_JSON);
        String missingId = sendTracked(Topics.PROVIDER_HEARTBEATS, host,
                "{\"schemaVersion\":1,\"baseUrl\":\"http://127.0.0.1:1/\",\"sentAt\":\"" + Instant.now() + "\"}");
        String futureId = sendTracked(Topics.PROVIDER_HEARTBEATS, host, json(heartbeat(host, "http://127.0.0.1:1/" + host, Instant.now()))
                .replace("\"schemaVersion\":1", "\"schemaVersion\":99"));
        assertDeadLettered(Topics.PROVIDER_HEARTBEATS, notJsonId, UNREADABLE);
        assertDeadLettered(Topics.PROVIDER_HEARTBEATS, missingId, "the record is not a readable ProviderHeartbeat");
        assertDeadLettered(Topics.PROVIDER_HEARTBEATS, futureId, "ProviderHeartbeat schema version 99 is not supported");
        given().get("/api/replicationRecoveryServicesProviders/" + host).then().statusCode(404);
        TestHosts.heartbeat(heartbeat(host, "http://127.0.0.1:1/" + host, Instant.now()));
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/" + host).then()
                .statusCode(200).body("properties.connectionStatus", equalTo("Connected")));
    }

    @Test
    void aDuplicateOrAnOlderHeartbeatArrivingLateChangesNothing() {
        String host = "host-late-heartbeats";
        Instant sent = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        ProviderHeartbeat current = heartbeat(host, "http://127.0.0.1:1/current", sent);
        TestHosts.heartbeat(current);
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/" + host).then()
                .statusCode(200).body("properties.url", equalTo("http://127.0.0.1:1/current")));

        RecordMetadata duplicate = TestHosts.sendSigned(host, json(current));
        RecordMetadata older = TestHosts.sendSigned(host,
                json(heartbeat(host, "http://127.0.0.1:1/moved-long-ago", sent.minusSeconds(60))));
        assertEquals(duplicate.partition(), older.partition());
        awaitConsumed("job-service-heartbeats", older);
        given().get("/api/replicationRecoveryServicesProviders/" + host).then()
                .body("properties.url", equalTo("http://127.0.0.1:1/current"))
                .body("properties.lastHeartBeat", equalTo(sent.toString()));
    }

    @Test
    void poisonOperationRequestsAreDeadLetteredWithTheReasonAndTheNextRequestIsAnswered() {
        String target = "vm-poison-requests";
        String unknownVersion = json(new OperationRequest(ContractVersions.OPERATION_REQUEST, "poison-version",
                OperationRequest.Operation.FailoverCommit, target, null)).replace("\"schemaVersion\":1", "\"schemaVersion\":99");
        String notJsonId = sendTracked(Topics.OPERATIONS, target, NOT_JSON);
        String versionId = sendTracked(Topics.OPERATIONS, target, unknownVersion);
        String missingId = sendTracked(Topics.OPERATIONS, target,
                "{\"schemaVersion\":1,\"operation\":\"FailoverCommit\",\"target\":\"" + target + "\"}");
        String unknownOperationId = sendTracked(Topics.OPERATIONS, target,
                "{\"schemaVersion\":1,\"requestId\":\"poison-op\",\"operation\":\"Teleport\",\"target\":\"" + target + "\"}");

        assertDeadLettered(Topics.OPERATIONS, notJsonId, UNREADABLE);
        assertDeadLettered(Topics.OPERATIONS, versionId, "OperationRequest schema version 99 is not supported");
        assertDeadLettered(Topics.OPERATIONS, missingId, "requestId, operation and target are required");
        assertDeadLettered(Topics.OPERATIONS, unknownOperationId, "\"Teleport\"");
        KafkaTestClient.send(Topics.OPERATIONS, target, new OperationRequest(ContractVersions.OPERATION_REQUEST, "after-poison",
                OperationRequest.Operation.FailoverCommit, target, null));
        ConsumerRecord<String, String> answer = KafkaTestClient.awaitRecord(Topics.OPERATION_RESULTS,
                r -> "after-poison".equals(r.key()), TIMEOUT);
        OperationResult result = read(answer.value(), OperationResult.class);
        assertEquals(404, result.problem().status(), String.valueOf(result));
        // No poison record was answered as a request.
        assertTrue(KafkaTestClient.allRecords(Topics.OPERATION_RESULTS).stream()
                .noneMatch(r -> List.of("poison-version", "poison-op").contains(r.key())));
    }

    // --- helpers

    private static String failbackOf(String item, String host) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(heartbeat(host, "http://127.0.0.1:1/" + host, Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + host).then()
                    .body("properties.connectionStatus", equalTo("Connected"));
        });
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                  "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "%s"}}""".formatted(host, item))
                .put("/api/replicationProtectedItems/" + item).then().statusCode(201);
        return given().contentType(ContentType.JSON).body("""
                        {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                          "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization",
                          "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""")
                .post("/api/replicationProtectedItems/" + item + "/plannedFailover")
                .then().statusCode(202).extract().path("name");
    }

    private static final Map<String, String> COMMAND_OF_JOB = new java.util.concurrent.ConcurrentHashMap<>();

    private static SyncEvent event(String job, String item, SyncEvent.Type type, SyncTask task, long sequence) {
        String command = COMMAND_OF_JOB.computeIfAbsent(job, name -> read(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(name), TIMEOUT).value(), SyncCommand.class).commandId());
        return new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), command, job, item, type, task, sequence,
                Instant.now(), null, null, null, null, null, null);
    }

    private static ProviderHeartbeat heartbeat(String host, String url, Instant sentAt) {
        return new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT, host, host, url, List.of("vSwitch-Prod"), sentAt);
    }

    /** Sends the record; answers "partition/offset", which the dead-letter topic's headers name it by. */
    private static String sendTracked(String topic, String key, String value) {
        RecordMetadata sent = send(topic, key, value);
        return sent.partition() + "/" + sent.offset();
    }

    private static RecordMetadata send(String topic, String key, String value) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerTestResource.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + topic, e);
        }
    }

    /** The record sent as {@code partitionAndOffset} reached {@code <topic>.dlq}, its reason header naming {@code reason}. */
    private static void assertDeadLettered(String topic, String partitionAndOffset, String reason) {
        String deadLetterReason = KafkaTestClient.awaitDeadLetterReason(topic + Topics.DEAD_LETTER_SUFFIX, partitionAndOffset, TIMEOUT);
        assertNotNull(deadLetterReason, "the dead letter says why");
        assertTrue(deadLetterReason.contains(reason), "reason: " + deadLetterReason);
    }

    /** Waits until job-service's consumer group committed an offset past {@code record}: it was handled. */
    private static void awaitConsumed(String group, RecordMetadata record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerTestResource.bootstrapServers()))) {
            await().atMost(TIMEOUT).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(partition);
                return committed != null && committed.offset() > record.offset();
            });
        }
    }

    private static String json(Object value) {
        try {
            return KafkaTestClient.JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return KafkaTestClient.JSON.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
