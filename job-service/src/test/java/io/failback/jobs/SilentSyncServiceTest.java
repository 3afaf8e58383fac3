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
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * When sync-service goes silent, the redriver gives the job back to it and the job, its running task and its item
 * say since when sync-service was silent, until the new command's first event. A short lease so that it happens soon.
 */
@QuarkusTest
@TestProfile(SilentSyncServiceTest.ShortLease.class)
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
@WithTestResource(value = AzureSimStandIn.class, scope = TestResourceScope.GLOBAL)
class SilentSyncServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SILENT = "Waiting: sync-service silent since ";

    public static class ShortLease implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("failback.job-lease", "3s");
        }
    }

    @Inject
    Pool database;

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

        // Nothing more from sync-service: after the lease the job goes back to it under a new command, and says so.
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("InProgress"))
                .body("properties.stateDescription", startsWith(SILENT))
                .body("properties.tasks[3].state", equalTo("InProgress"))
                .body("properties.tasks[3].stateDescription", startsWith(SILENT)));
        String description = given().get("/api/replicationJobs/" + job).then().extract().path("properties.stateDescription");
        given().get("/api/replicationProtectedItems/vm-silent-sync").then()
                .body("properties.replicationHealth", equalTo("Warning"))
                .body("properties.healthErrors.errorCode", contains("SyncServiceSilent"))
                .body("properties.healthErrors[0].errorMessage", equalTo("SyncServiceSilent: " + description.substring("Waiting: ".length())));

        // Given back again while still silent: since when it is silent does not move.
        String again = currentCommandOf(job);
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
