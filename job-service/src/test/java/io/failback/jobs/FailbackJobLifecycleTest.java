package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * job-service alone against a real Kafka broker and a real PostgreSQL: the REST API, the command it publishes, and
 * how sync-service's events (sent here by a plain Kafka producer, as sync-service would) move the job and the item.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class FailbackJobLifecycleTest {

    private static void registerItem(String name, String providerId) {
        given().contentType(ContentType.JSON)
                .body("""
                        {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                          "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "%s"}}""".formatted(providerId, name))
                .put("/api/replicationProtectedItems/" + name)
                .then().statusCode(201)
                .body("properties.protectionState", equalTo("FailoverCompleted"))
                .body("properties.allowedOperations", contains("PlannedFailover", "DisableProtection"));
    }

    private static void heartbeat(String providerId) {
        TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                providerId, providerId + ".contoso.local", "http://127.0.0.1:1/" + providerId, List.of("vSwitch-Prod"), Instant.now()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/" + providerId)
                .then().statusCode(200).body("properties.connectionStatus", equalTo("Connected")));
    }

    private static String failback(String item) {
        return given().contentType(ContentType.JSON)
                .body("""
                        {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                          "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization",
                          "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""")
                .post("/api/replicationProtectedItems/" + item + "/plannedFailover")
                .then().statusCode(202)
                .header("Location", containsString("/api/replicationJobs/"))
                .body("properties.state", equalTo("InProgress"))
                .body("properties.tasks.name", contains("PrerequisitesCheck", "PrepareOnPremisesVm", "ShutdownAzureVm",
                        "DataSynchronization", "StartOnPremisesVm"))
                .extract().path("name");
    }

    private static final java.util.Map<String, String> COMMAND_OF_JOB = new java.util.concurrent.ConcurrentHashMap<>();

    /** The id of the command job-service published for the job: sync-service's events answer to it. */
    private static String commandOf(String job) {
        return COMMAND_OF_JOB.computeIfAbsent(job, name -> {
            try {
                return KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS, r -> r.value().contains(name),
                        Duration.ofSeconds(30)).value(), SyncCommand.class).commandId();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static SyncEvent event(String job, String item, SyncEvent.Type type, SyncTask task, long sequence) {
        return new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), commandOf(job), job, item, type, task, sequence,
                Instant.now(), null, null, null, null, null, null);
    }

    @Test
    void failbackPublishesACommandAndSyncEventsCompleteTheJobExactlyOnce() throws Exception {
        heartbeat("host-lifecycle"); // registering names a host that job-service knows
        registerItem("vm-lifecycle", "host-lifecycle");
        String job = failback("vm-lifecycle");

        given().get("/api/replicationProtectedItems/vm-lifecycle").then()
                .body("properties.currentScenario.jobId", equalTo(job))
                .body("properties.allowedOperations.size()", equalTo(0));

        ConsumerRecord<String, String> published = KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(job), Duration.ofSeconds(30));
        assertEquals("vm-lifecycle", published.key(), "commands are keyed by protected item");
        SyncCommand command = KafkaTestClient.JSON.readValue(published.value(), SyncCommand.class);
        assertEquals(DataSyncOption.ForSynchronization, command.plannedFailover().dataSyncOption());
        assertEquals(RecoveryVmCreationOption.CreateVmIfNotFound, command.plannedFailover().recoveryVmCreationOption());
        assertEquals("http://127.0.0.1:1/host-lifecycle", command.plannedFailover().onPremisesVm().hostUrl());
        assertEquals("vSwitch-Prod", command.plannedFailover().onPremisesVm().virtualSwitchName());

        long sequence = 0;
        for (SyncTask task : SyncTask.PLANNED_FAILBACK) {
            KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", event(job, "vm-lifecycle", SyncEvent.Type.TaskStarted, task, ++sequence));
            KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", event(job, "vm-lifecycle", SyncEvent.Type.TaskSucceeded, task, ++sequence));
        }
        SyncEvent done = event(job, "vm-lifecycle", SyncEvent.Type.SyncSucceeded, null, ++sequence);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", done);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Succeeded"))
                .body("properties.tasks.state", contains("Succeeded", "Succeeded", "Succeeded", "Succeeded", "Succeeded")));
        given().get("/api/replicationProtectedItems/vm-lifecycle").then()
                .body("properties.protectionState", equalTo("PlannedFailoverCommitRequired"))
                .body("properties.activeLocation", equalTo("Primary"))
                .body("properties.allowedOperations", contains("Commit", "CancelFailover"));

        // A late failure report for a job that ended changes nothing; nor does the same event delivered twice; nor an
        // event of a command that is not the job's current one.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", event(job, "vm-lifecycle", SyncEvent.Type.SyncFailed, null, ++sequence));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", done);
        // A later heartbeat, consumed after those events on the same consumer, tells us they were processed.
        heartbeat("host-lifecycle");
        given().get("/api/replicationJobs/" + job).then().body("properties.state", equalTo("Succeeded"));
        given().get("/api/replicationProtectedItems/vm-lifecycle").then()
                .body("properties.protectionState", equalTo("PlannedFailoverCommitRequired"));

        // Commit: a command to keep the Azure disks as the replica and delete the Azure VM; its success leaves the item
        // on-premises, unprotected.
        String commit = given().post("/api/replicationProtectedItems/vm-lifecycle/failoverCommit")
                .then().statusCode(202).body("properties.tasks.name", contains("PrerequisitesCheck", "RetainReplicaInAzure", "DeleteAzureVm"))
                .extract().path("name");
        SyncCommand commitCommand = KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(commit), Duration.ofSeconds(30)).value(), SyncCommand.class);
        assertEquals("vm-lifecycle", commitCommand.failoverCommit().source().vmName());
        assertEquals("http://127.0.0.1:1/host-lifecycle", commitCommand.failoverCommit().target().hostUrl());
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", event(commit, "vm-lifecycle", SyncEvent.Type.TaskSucceeded, SyncTask.DeleteAzureVm, 1));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-lifecycle", event(commit, "vm-lifecycle", SyncEvent.Type.SyncSucceeded, null, 2));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationProtectedItems/vm-lifecycle").then()
                .body("properties.protectionState", equalTo("FailoverCompleted"))
                .body("properties.activeLocation", equalTo("Primary"))
                .body("properties.allowedOperations", contains("ReverseReplicate", "DisableProtection")));
        given().post("/api/replicationProtectedItems/vm-lifecycle/failoverCommit").then().statusCode(409)
                .body("type", equalTo("OperationNotAllowed"));
    }

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool database;

    private static SyncEvent progress(String job, String item, long sequence, long bytesSent) {
        return new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), commandOf(job), job, item,
                SyncEvent.Type.TaskProgress, SyncTask.DataSynchronization, sequence, Instant.now(),
                new SyncEvent.TaskProgress(1000, bytesSent, 1000, bytesSent, 100.0, null, 0), null, null, null, null, null);
    }

    @Test
    void progressReportsApplyInSequenceOrderAndLeaveNoProcessedEventRow() {
        heartbeat("host-progress"); // registering names a host that job-service knows
        registerItem("vm-progress", "host-progress");
        String job = failback("vm-progress");
        SyncEvent started = event(job, "vm-progress", SyncEvent.Type.TaskStarted, SyncTask.DataSynchronization, 1);
        SyncEvent second = progress(job, "vm-progress", 2, 200);
        SyncEvent third = progress(job, "vm-progress", 3, 300);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-progress", started);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-progress", second);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-progress", third);
        // The same report delivered again, and an older one arriving late: neither moves the progress back.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-progress", second);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-progress", progress(job, "vm-progress", 2, 999));
        SyncEvent succeeded = event(job, "vm-progress", SyncEvent.Type.TaskSucceeded, SyncTask.DataSynchronization, 4);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-progress", succeeded);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].state", equalTo("Succeeded")));
        given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].progress.bytesSent", equalTo(300));

        // Only the events that changed a state are remembered by id.
        List<String> recorded = new java.util.ArrayList<>();
        database.preparedQuery("select eventid from processed_event where eventid = any($1)")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(new String[] {started.eventId(), second.eventId(), third.eventId(), succeeded.eventId()}))
                .await().atMost(Duration.ofSeconds(30)).forEach(row -> recorded.add(row.getString(0)));
        assertEquals(java.util.Set.of(started.eventId(), succeeded.eventId()), java.util.Set.copyOf(recorded));
    }

    @Test
    void aFailedSyncLeavesTheItemInAzureReadyToFailBackAgain() {
        heartbeat("host-failing"); // registering names a host that job-service knows
        registerItem("vm-failing", "host-failing");
        String job = failback("vm-failing");
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-failing", event(job, "vm-failing", SyncEvent.Type.TaskStarted, SyncTask.ShutdownAzureVm, 1));
        SyncEvent failed = new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), commandOf(job), job, "vm-failing",
                SyncEvent.Type.TaskFailed, SyncTask.ShutdownAzureVm, 2, Instant.now(), null,
                new SyncEvent.Failure("AzureVmNotFound", "no virtual machine named 'vm-failing' in Azure"), null, null, null, null);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-failing", failed);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-failing", new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                commandOf(job), job, "vm-failing", SyncEvent.Type.SyncFailed, null, 3, Instant.now(), null, failed.failure(), null, null, null, null));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Failed"))
                .body("properties.errors[0].errorCode", equalTo("AzureVmNotFound"))
                .body("properties.tasks[2].state", equalTo("Failed")));
        given().get("/api/replicationProtectedItems/vm-failing").then()
                .body("properties.activeLocation", equalTo("Recovery"))
                .body("properties.allowedOperations", contains("PlannedFailover", "DisableProtection"))
                .body("properties.healthErrors[0].errorCode", equalTo("AzureVmNotFound"));
    }

    @Test
    void cancelEndsTheJobTellsSyncServiceToStopAndLetsTheFailbackBeTriggeredAgain() throws Exception {
        heartbeat("host-cancel");
        registerItem("vm-cancel", "host-cancel");
        String job = failback("vm-cancel");
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-cancel", event(job, "vm-cancel", SyncEvent.Type.TaskStarted, SyncTask.DataSynchronization, 1));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.allowedActions", contains("Cancel"))
                .body("properties.tasks[3].state", equalTo("InProgress")));

        given().post("/api/replicationJobs/" + job + "/cancel").then().statusCode(200)
                .body("properties.state", equalTo("Cancelled"))
                .body("properties.allowedActions", org.hamcrest.Matchers.empty());
        SyncCommand cancel = KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                r -> r.value().contains(job) && r.value().contains("\"cancel\":{"), Duration.ofSeconds(30)).value(), SyncCommand.class);
        assertEquals(job, cancel.jobName());
        assertEquals("vm-cancel", cancel.itemName());
        given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks.state", contains("Succeeded", "Cancelled", "Cancelled", "Cancelled", "Cancelled"));
        given().get("/api/replicationProtectedItems/vm-cancel").then()
                .body("properties.currentScenario", org.hamcrest.Matchers.nullValue())
                .body("properties.allowedOperations", contains("PlannedFailover", "DisableProtection"));

        // The run's last reports, sent before it stopped, change nothing; a second cancel is refused.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-cancel", event(job, "vm-cancel", SyncEvent.Type.SyncSucceeded, null, 2));
        heartbeat("host-cancel");
        given().get("/api/replicationJobs/" + job).then().body("properties.state", equalTo("Cancelled"));
        given().post("/api/replicationJobs/" + job + "/cancel").then().statusCode(409).body("type", equalTo("ActionNotAllowed"));
        failback("vm-cancel");
    }

    @Test
    void badRequestsGetProblemDetails() {
        given().contentType(ContentType.JSON).body("{\"properties\": {\"failoverDirection\": \"Sideways\"}}")
                .post("/api/replicationProtectedItems/whatever/plannedFailover")
                .then().statusCode(400).contentType("application/problem+json").body("type", equalTo("UnreadableBody"));
        given().contentType(ContentType.JSON).body("{}")
                .post("/api/replicationProtectedItems/whatever/plannedFailover")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("ValidationFailed")).body("detail", containsString("properties"));
        given().contentType(ContentType.JSON).body("{\"properties\": {\"failoverDirection\": \"RecoveryToPrimary\"}}")
                .post("/api/replicationProtectedItems/nobody/plannedFailover")
                .then().statusCode(404).contentType("application/problem+json").body("type", equalTo("ItemNotFound"));
        given().get("/api/replicationJobs/" + UUID.randomUUID()).then().statusCode(404).body("type", equalTo("JobNotFound"));
    }

    @Test
    void failbackIsRefusedWhileAJobRunsAndToAHostThatNeverRegistered() {
        // Registering refuses a host that never registered; an item registered before it did (an older installation)
        // still names one: a host whose registration is gone.
        given().contentType(ContentType.JSON)
                .body("{\"properties\": {\"activeLocation\": \"Recovery\", \"primaryProviderId\": \"host-never-seen\", "
                        + "\"primaryVirtualSwitchName\": \"vSwitch-Prod\", \"recoveryAzureVmName\": \"vm-orphan\"}}")
                .put("/api/replicationProtectedItems/vm-orphan")
                .then().statusCode(422).body("type", equalTo("ProviderNotFound")).body("detail", containsString("host-never-seen"));
        heartbeat("host-never-seen");
        registerItem("vm-orphan", "host-never-seen");
        database.preparedQuery("delete from fabric_provider where providerid = $1").execute(io.vertx.mutiny.sqlclient.Tuple.of("host-never-seen"))
                .await().atMost(Duration.ofSeconds(30));
        given().contentType(ContentType.JSON)
                .body("{\"properties\": {\"failoverDirection\": \"RecoveryToPrimary\", \"providerSpecificDetails\": {\"dataSyncOption\": \"ForSynchronization\"}}}")
                .post("/api/replicationProtectedItems/vm-orphan/plannedFailover")
                .then().statusCode(422).body("type", equalTo("ProviderNotFound"));

        heartbeat("host-busy"); // registering names a host that job-service knows
        registerItem("vm-busy", "host-busy");
        failback("vm-busy");
        given().contentType(ContentType.JSON)
                .body("{\"properties\": {\"failoverDirection\": \"RecoveryToPrimary\", \"providerSpecificDetails\": {\"dataSyncOption\": \"ForSynchronization\"}}}")
                .post("/api/replicationProtectedItems/vm-busy/plannedFailover")
                .then().statusCode(409).body("type", equalTo("OperationNotAllowed")).body("detail", containsString("is running on it"));
    }

    @Test
    void aHostThatStopsSendingHeartbeatsBecomesNotConnectedAndFailbackToItIsRefused() {
        heartbeat("host-silent"); // registering names a host that job-service knows
        registerItem("vm-silent", "host-silent");
        // The test profile's heartbeat timeout is 10 s.
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/host-silent")
                .then().body("properties.connectionStatus", equalTo("NotConnected")));
        given().contentType(ContentType.JSON)
                .body("{\"properties\": {\"failoverDirection\": \"RecoveryToPrimary\", \"providerSpecificDetails\": {\"dataSyncOption\": \"ForSynchronization\"}}}")
                .post("/api/replicationProtectedItems/vm-silent/plannedFailover")
                .then().statusCode(409).body("type", equalTo("ProviderNotConnected"));
    }

    @Test
    void aPoisonEventGoesToTheDeadLetterTopicAndTheChannelKeepsWorking() {
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-poison", "this is not json");
        ConsumerRecord<String, String> dead = KafkaTestClient.awaitRecord(Topics.SYNC_EVENTS + Topics.DEAD_LETTER_SUFFIX,
                r -> "vm-poison".equals(r.key()), Duration.ofSeconds(30));
        assertEquals("vm-poison", dead.key());
        // The channel still consumes: a real job still completes afterwards.
        heartbeat("host-after-poison"); // registering names a host that job-service knows
        registerItem("vm-after-poison", "host-after-poison");
        String job = failback("vm-after-poison");
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-after-poison", event(job, "vm-after-poison", SyncEvent.Type.SyncSucceeded, null, 1));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Succeeded")));
    }
}
