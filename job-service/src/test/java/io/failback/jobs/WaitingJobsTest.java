package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A job whose task waits for a part that is away (sync-service's TaskWaiting / TaskResumed, played here over the real
 * broker) says so on the task, the job and the item, and stops saying so when the part is back or the job moves on or
 * ends; a resumed copy's progress never runs backwards.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
@WithTestResource(value = AzureSimStandIn.class, scope = TestResourceScope.GLOBAL)
class WaitingJobsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ARM_ITEMS = "/subscriptions/sub-1/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/vault-1"
            + "/replicationFabrics/hyperv-site/replicationProtectionContainers/hyperv-site-container/replicationProtectedItems/";
    private static final String HOST_AWAY = "the on-premises host does not answer; retrying until 15:00";

    static void heartbeat(String providerId) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                    providerId, providerId, "http://127.0.0.1:1/" + providerId, List.of("vSwitch-Prod"), Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + providerId)
                    .then().body("properties.connectionStatus", equalTo("Connected"));
        });
    }

    /** An item running in Azure on a connected host, failing back: answers the job. */
    static String failingBack(String item, String providerId) {
        heartbeat(providerId);
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s", "primaryVirtualSwitchName": "vSwitch-Prod",
                  "recoveryAzureVmName": "%s"}}""".formatted(providerId, item))
                .put("/api/replicationProtectedItems/" + item).then().statusCode(201);
        return given().contentType(ContentType.JSON).body("""
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization"}}}""")
                .post("/api/replicationProtectedItems/" + item + "/plannedFailover").then().statusCode(202).extract().path("name");
    }

    static String commandOf(String job) {
        try {
            return KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                    r -> r.value().contains("\"jobName\":\"" + job + "\""), WAIT).value(), SyncCommand.class).commandId();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static SyncEvent event(String command, String job, String item, SyncEvent.Type type, long sequence,
            SyncEvent.TaskProgress progress, SyncEvent.Failure failure) {
        return new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), command, job, item, type,
                type == SyncEvent.Type.SyncFailed ? null : SyncTask.DataSynchronization, sequence, Instant.now(), progress, failure,
                null, null, null, null);
    }

    private static SyncEvent.TaskProgress sent(long bytesSent, double bytesPerSecond, Long etaSeconds, long bytesResumed) {
        return new SyncEvent.TaskProgress(1000, bytesSent, 1000, bytesSent, bytesPerSecond, etaSeconds, bytesResumed);
    }

    private static void awaitWaiting(String job, String item, String code, String message) {
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("InProgress"))
                .body("properties.stateDescription", equalTo("Waiting: " + message))
                .body("properties.tasks[3].state", equalTo("InProgress"))
                .body("properties.tasks[3].stateDescription", equalTo("Waiting: " + message)));
        given().get("/api/replicationProtectedItems/" + item).then()
                .body("properties.replicationHealth", equalTo("Warning"))
                .body("properties.healthErrors.errorCode", contains(code))
                .body("properties.healthErrors[0].errorMessage", equalTo(code + ": " + message));
    }

    private static void awaitGoingOn(String job, String item) {
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.stateDescription", equalTo("In progress"))
                .body("properties.tasks[3].stateDescription", equalTo("In progress")));
        given().get("/api/replicationProtectedItems/" + item).then()
                .body("properties.replicationHealth", equalTo("Normal"))
                .body("properties.healthErrors", empty());
    }

    @Test
    void aWaitingTaskShowsOnTheJobAndTheItemUntilItsPartIsBackOrTheJobMovesOnOrEnds() {
        String job = failingBack("vm-waiting", "host-waiting");
        String command = commandOf(job);
        SyncEvent.Failure away = new SyncEvent.Failure("SiteUnreachable", HOST_AWAY);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskStarted, 1, null, null));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskWaiting, 3, null, away));
        // Reordered: a TaskResumed older than the TaskWaiting arrives after it and changes nothing.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskResumed, 2, null, null));
        awaitWaiting(job, "vm-waiting", "SiteUnreachable", HOST_AWAY);
        // The ARM surface shows the same warning.
        given().get(ARM_ITEMS + "vm-waiting?api-version=2023-06-01").then().statusCode(200)
                .body("properties.replicationHealth", equalTo("Warning"))
                .body("properties.healthErrors.errorCode", contains("SiteUnreachable"))
                .body("properties.healthErrors[0].errorLevel", equalTo("Warning"));

        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskResumed, 4, null, null));
        awaitGoingOn(job, "vm-waiting");

        // Waiting again, for a stream cut half-way; the task's next report says it goes on.
        SyncEvent.Failure cut = new SyncEvent.Failure("BlockStreamInterrupted", "the block stream from Azure was cut; resuming");
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskWaiting, 5, null, cut));
        awaitWaiting(job, "vm-waiting", "BlockStreamInterrupted", cut.message());
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskProgress, 6,
                sent(300, 100, 7L, 0), null));
        awaitGoingOn(job, "vm-waiting");

        // Waiting when the job fails: the failure is what the item shows, not the wait.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.TaskWaiting, 7, null, away));
        awaitWaiting(job, "vm-waiting", "SiteUnreachable", HOST_AWAY);
        SyncEvent.Failure gaveUp = new SyncEvent.Failure("SiteUnreachable", "the on-premises host did not answer for 10 minutes");
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting", event(command, job, "vm-waiting", SyncEvent.Type.SyncFailed, 8, null, gaveUp));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Failed"))
                .body("properties.stateDescription", equalTo(gaveUp.message())));
        given().get("/api/replicationProtectedItems/vm-waiting").then()
                .body("properties.healthErrors.errorMessage", not(contains(startsWith("SiteUnreachable: " + HOST_AWAY))));
    }

    @Test
    void aTaskWaitingItsTurnSaysSoOnTheJobWhileTheItemStaysHealthy() {
        String job = failingBack("vm-queued", "host-queued");
        String command = commandOf(job);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-queued", event(command, job, "vm-queued", SyncEvent.Type.TaskStarted, 1, null, null));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-queued", event(command, job, "vm-queued", SyncEvent.Type.TaskWaiting, 2, null,
                new SyncEvent.Failure("SiteUnreachable", HOST_AWAY)));
        awaitWaiting(job, "vm-queued", "SiteUnreachable", HOST_AWAY);

        // The host is back, and the copy lines up for a slot of its sync-service instance: nothing is wrong with the item.
        String queued = "a copy slot on this sync-service instance, which runs 4 copies at once; 3 wait before this one";
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-queued", event(command, job, "vm-queued", SyncEvent.Type.TaskWaiting, 3, null,
                new SyncEvent.Failure(SyncEvent.Failure.COPY_QUEUED, queued)));
        awaitTurnWaited(job, "vm-queued", queued);

        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-queued", event(command, job, "vm-queued", SyncEvent.Type.TaskResumed, 4, null, null));
        awaitGoingOn(job, "vm-queued");

        // A host serving as many block streams as it will is no outage either.
        String busy = "host 'host-queued' serves 4 block streams at once; this copy tries again every 1 s";
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-queued", event(command, job, "vm-queued", SyncEvent.Type.TaskWaiting, 5, null,
                new SyncEvent.Failure(io.failback.contracts.site.Problem.SITE_BUSY, busy)));
        awaitTurnWaited(job, "vm-queued", busy);
    }

    private static void awaitTurnWaited(String job, String item, String message) {
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.stateDescription", equalTo("Waiting: " + message))
                .body("properties.tasks[3].stateDescription", equalTo("Waiting: " + message)));
        given().get("/api/replicationProtectedItems/" + item).then()
                .body("properties.replicationHealth", equalTo("Normal"))
                .body("properties.healthErrors", empty());
    }

    @Test
    void cancellingAWaitingJobClearsTheItemsWarning() {
        String job = failingBack("vm-waiting-cancel", "host-waiting-cancel");
        String command = commandOf(job);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting-cancel", event(command, job, "vm-waiting-cancel",
                SyncEvent.Type.TaskStarted, 1, null, null));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-waiting-cancel", event(command, job, "vm-waiting-cancel",
                SyncEvent.Type.TaskWaiting, 2, null, new SyncEvent.Failure("SiteUnavailable", "azure-sim answers 503; retrying")));
        awaitWaiting(job, "vm-waiting-cancel", "SiteUnavailable", "azure-sim answers 503; retrying");
        given().post("/api/replicationJobs/" + job + "/cancel").then().statusCode(200);
        given().get("/api/replicationProtectedItems/vm-waiting-cancel").then()
                .body("properties.replicationHealth", equalTo("Normal"))
                .body("properties.healthErrors", empty());
    }

    @Test
    void aResumedCopysProgressNeverRunsBackwardsButItsRateAndEtaAreTheNewest() {
        String job = failingBack("vm-resumed", "host-resumed");
        String command = commandOf(job);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-resumed", event(command, job, "vm-resumed", SyncEvent.Type.TaskStarted, 1, null, null));
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-resumed", event(command, job, "vm-resumed", SyncEvent.Type.TaskProgress, 2,
                sent(580, 120, 4L, 0), null));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].progress.bytesSent", equalTo(580)));

        // The copy was cut and resumed from a durable checkpoint a little below what was shown.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-resumed", event(command, job, "vm-resumed", SyncEvent.Type.TaskProgress, 3,
                sent(295, 30, 23L, 295), null));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].progress.bytesPerSecond", equalTo(30.0f))
                .body("properties.tasks[3].progress.etaSeconds", equalTo(23))
                .body("properties.tasks[3].progress.bytesResumed", equalTo(295))
                .body("properties.tasks[3].progress.bytesSent", equalTo(580)));

        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-resumed", event(command, job, "vm-resumed", SyncEvent.Type.TaskProgress, 4,
                sent(700, 110, 3L, 295), null));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].progress.bytesSent", equalTo(700))
                .body("properties.tasks[3].progress.etaSeconds", equalTo(3)));
        // The task's end reports less than was shown: still not backwards.
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-resumed", event(command, job, "vm-resumed", SyncEvent.Type.TaskSucceeded, 5,
                sent(650, 0, 0L, 295), null));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].state", equalTo("Succeeded"))
                .body("properties.tasks[3].progress.bytesSent", equalTo(700)));
    }
}
