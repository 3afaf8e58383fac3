package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * When sync-service goes silent, the redriver gives the job back to it and the job, its running task and its item
 * say since when sync-service was silent, until the new command's first event. The job's last activity is moved back
 * past the lease and the redriver woken, as its own timer would at the lease's end.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
@WithTestResource(value = AzureSimStandIn.class, scope = TestResourceScope.GLOBAL)
class SilentSyncServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SILENT = "Waiting: sync-service silent since ";

    @Inject
    Pool database;

    /** sync-service has been silent for longer than the lease (60 s): the redriver, woken, gives the job back. */
    private Instant silentForTwoMinutes(String job) {
        Instant since = Instant.now().minusSeconds(120);
        database.preparedQuery("update replication_job set lastactivityat = $2 where name = $1")
                .execute(Tuple.of(job, since.atOffset(java.time.ZoneOffset.UTC))).await().atMost(WAIT);
        database.preparedQuery("select pg_notify('failback_job_state', $1)").execute(Tuple.of(job)).await().atMost(WAIT);
        return since;
    }

    private String currentCommandOf(String job) {
        return database.preparedQuery("select currentcommandid from replication_job where name = $1").execute(Tuple.of(job))
                .await().atMost(WAIT).iterator().next().getString(0);
    }

    @Test
    void aJobGivenBackBecauseSyncServiceWasSilentSaysSoUntilTheNewCommandsFirstEvent() {
        String job = WaitingJobsTest.failingBack("vm-silent-sync", "host-silent-sync");
        String first = WaitingJobsTest.commandOf(job);
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-silent-sync", WaitingJobsTest.event(first, job, "vm-silent-sync",
                SyncEvent.Type.TaskStarted, 1, null, null));

        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.tasks[3].state", equalTo("InProgress")));

        // Nothing more from sync-service: the job goes back to it under a new command, and says since when it is silent.
        Instant since = silentForTwoMinutes(job);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("InProgress"))
                .body("properties.stateDescription", startsWith(SILENT + since.truncatedTo(java.time.temporal.ChronoUnit.MICROS)))
                .body("properties.tasks[3].state", equalTo("InProgress"))
                .body("properties.tasks[3].stateDescription", startsWith(SILENT)));
        String description = given().get("/api/replicationJobs/" + job).then().extract().path("properties.stateDescription");
        given().get("/api/replicationProtectedItems/vm-silent-sync").then()
                .body("properties.replicationHealth", equalTo("Warning"))
                .body("properties.healthErrors.errorCode", contains("SyncServiceSilent"))
                .body("properties.healthErrors[0].errorMessage", equalTo("SyncServiceSilent: " + description.substring("Waiting: ".length())));

        // Given back again while still silent: since when it is silent does not move.
        String again = currentCommandOf(job);
        silentForTwoMinutes(job);
        await().atMost(WAIT).until(() -> !currentCommandOf(job).equals(again));
        given().get("/api/replicationJobs/" + job).then().body("properties.stateDescription", equalTo(description));

        // sync-service answers the job's current command: the job goes on.
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-silent-sync", WaitingJobsTest.event(currentCommandOf(job), job, "vm-silent-sync",
                    SyncEvent.Type.TaskStarted, 1, null, null));
            given().get("/api/replicationJobs/" + job).then()
                    .body("properties.stateDescription", equalTo("In progress"))
                    .body("properties.tasks[3].stateDescription", equalTo("In progress"));
            given().get("/api/replicationProtectedItems/vm-silent-sync").then()
                    .body("properties.replicationHealth", equalTo("Normal"))
                    .body("properties.healthErrors", empty());
        });
    }
}
