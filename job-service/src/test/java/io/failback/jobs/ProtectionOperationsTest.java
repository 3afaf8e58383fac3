package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
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
import org.junit.jupiter.api.Test;

/**
 * The operations on a protected item beyond failover and failback, on a real broker and database, with this test
 * playing sync-service: test failover and its cleanup, unplanned failover to Azure, repair replication, disable
 * protection, and restart of a failed job. Each checks what the state machine allows before and after.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class ProtectionOperationsTest {
    private static final String ITEMS = "/api/replicationProtectedItems/";

    private static void heartbeat(String providerId) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                    providerId, providerId, "http://127.0.0.1:1/" + providerId, List.of("vSwitch-Prod"), Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + providerId)
                    .then().body("properties.connectionStatus", equalTo("Connected"));
        });
    }

    /** Enables protection and plays its initial replication: the item ends Protected with a recovery point. */
    private static void protect(String name, String providerId) throws Exception {
        heartbeat(providerId);
        String job = given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Primary", "primaryProviderId": "%s", "primaryVirtualSwitchName": "vSwitch-Prod"}}"""
                .formatted(providerId)).put(ITEMS + name).then().statusCode(201).extract().path("properties.currentScenario.jobId");
        SyncCommand command = commandOf(job);
        assertNotNull(command.replicate(), "enable protection replicates");
        succeed(command, Instant.now().minusSeconds(5));
        awaitItem(name, "Protected");
    }

    private static SyncCommand commandOf(String job) throws Exception {
        return commandsOf(job).get(0);
    }

    private static List<SyncCommand> commandsOf(String job) throws Exception {
        KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS, r -> r.value().contains("\"jobName\":\"" + job + "\""), Duration.ofSeconds(30));
        List<SyncCommand> commands = new java.util.ArrayList<>();
        for (var record : KafkaTestClient.allRecords(Topics.SYNC_COMMANDS)) {
            if (record.value().contains("\"jobName\":\"" + job + "\"")) {
                commands.add(KafkaTestClient.JSON.readValue(record.value(), SyncCommand.class));
            }
        }
        return commands;
    }

    private static void succeed(SyncCommand command, Instant recoveryPoint) {
        send(command, SyncEvent.Type.SyncSucceeded, null, recoveryPoint);
    }

    private static void send(SyncCommand command, SyncEvent.Type type, SyncEvent.Failure failure, Instant recoveryPoint) {
        KafkaTestClient.send(Topics.SYNC_EVENTS, command.itemName(), new SyncEvent(ContractVersions.SYNC_EVENT,
                UUID.randomUUID().toString(), command.commandId(), command.jobName(), command.itemName(), type, null, 1, Instant.now(),
                null, failure, List.of(), null, recoveryPoint, null));
    }

    private static void awaitItem(String name, String protectionState) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(ITEMS + name).then()
                .body("properties.protectionState", equalTo(protectionState)).body("properties.currentScenario", nullValue()));
    }

    private static void awaitJob(String job, String state) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo(state)));
    }

    private static String post(String path, String body, int status) {
        var request = given().contentType(ContentType.JSON);
        if (body != null) {
            request = request.body(body);
        }
        return request.post(path).then().statusCode(status).extract().path(status == 202 ? "name" : "type");
    }

    @Test
    void aTestFailoverStartsATestVmFromTheReplicaAndOnlyItsCleanupIsAllowedUntilItIsGone() throws Exception {
        protect("vm-test", "host-test");
        given().get(ITEMS + "vm-test").then().body("properties.allowedOperations",
                contains("PlannedFailover", "UnplannedFailover", "TestFailover", "RepairReplication", "DisableProtection"))
                .body("properties.testFailoverState", equalTo("None"));
        assertEquals("FailoverDirectionNotSupported", post(ITEMS + "vm-test/testFailover",
                "{\"properties\": {\"failoverDirection\": \"RecoveryToPrimary\"}}", 422));

        String job = post(ITEMS + "vm-test/testFailover", "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\"}}", 202);
        SyncCommand command = commandOf(job);
        assertEquals("vm-test-test", command.testFailover().testVm().vmName(), "the test VM sits beside the real one");
        succeed(command, null);
        awaitJob(job, "Succeeded");
        given().get(ITEMS + "vm-test").then().body("properties.protectionState", equalTo("Protected"))
                .body("properties.testFailoverState", equalTo("TestFailoverCompleted"))
                .body("properties.allowedOperations", contains("TestFailoverCleanup"));
        // A failover now would put a second copy in Azure: refused, naming what is allowed.
        given().contentType(ContentType.JSON).body("{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\"}}")
                .post(ITEMS + "vm-test/plannedFailover").then().statusCode(409).body("type", equalTo("OperationNotAllowed"))
                .body("detail", containsString("[TestFailoverCleanup]"));

        String cleanup = post(ITEMS + "vm-test/testFailoverCleanup", "{\"properties\": {\"comments\": \"boots, app answers\"}}", 202);
        SyncCommand delete = commandOf(cleanup);
        assertEquals("vm-test-test", delete.testFailoverCleanup().testVm().vmName());
        succeed(delete, null);
        awaitJob(cleanup, "Succeeded");
        given().get(ITEMS + "vm-test").then().body("properties.testFailoverState", equalTo("None"))
                .body("properties.testFailoverStateDescription", containsString("boots, app answers"))
                .body("properties.allowedOperations", contains("PlannedFailover", "UnplannedFailover", "TestFailover",
                        "RepairReplication", "DisableProtection"));
    }

    @Test
    void anUnplannedFailoverStartsFromTheRecoveryPointWithoutTheOnPremisesSite() throws Exception {
        protect("vm-lost", "host-lost");
        String body = "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"sourceSiteOperations\": \"%s\"}}";
        // The host stops sending heartbeats (the site is lost): shutting the VM down there first cannot be asked for ...
        await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/host-lost")
                .then().body("properties.connectionStatus", equalTo("NotConnected")));
        assertEquals("ProviderNotConnected", post(ITEMS + "vm-lost/unplannedFailover", body.formatted("Required"), 409));
        // ... but the failover itself needs only Azure.
        String job = post(ITEMS + "vm-lost/unplannedFailover", body.formatted("NotRequired"), 202);
        SyncCommand command = commandOf(job);
        assertNull(command.unplannedFailover().shutDownOnPremisesVm(), "nothing is asked of the lost site");
        assertEquals("vm-lost", command.unplannedFailover().azureVm().vmName());
        given().get("/api/replicationJobs/" + job).then().body("properties.tasks.name", contains("PrerequisitesCheck", "FailoverToAzure"));
        succeed(command, null);
        awaitJob(job, "Succeeded");
        awaitItem("vm-lost", "PlannedFailoverCommitRequired");
        given().get(ITEMS + "vm-lost").then().body("properties.activeLocation", equalTo("Recovery"))
                .body("properties.protectionStateDescription", containsString("Unplanned failover commit pending"))
                .body("properties.allowedOperations", contains("Commit", "CancelFailover"));
        String commit = post(ITEMS + "vm-lost/failoverCommit", null, 202);
        awaitJob(commit, "Succeeded");
        given().get(ITEMS + "vm-lost").then().body("properties.protectionState", equalTo("FailoverCompleted"))
                .body("properties.allowedOperations", contains("PlannedFailover", "DisableProtection"));
    }

    @Test
    void aFailedJobCanBeRestartedAndRunsItsCommandAgainUnderANewId() throws Exception {
        protect("vm-restart", "host-restart");
        String job = post(ITEMS + "vm-restart/repairReplication", null, 202);
        SyncCommand first = commandOf(job);
        assertTrue(first.replicate().resynchronize(), "repair compares every block's hash");
        assertTrue(first.replicate().verify(), "and proves the replica");
        given().post("/api/replicationJobs/" + job + "/restart").then().statusCode(409).body("type", equalTo("ActionNotAllowed"));

        send(first, SyncEvent.Type.SyncFailed, new SyncEvent.Failure("SiteUnreachable", "host 'host-restart' could not be reached"), null);
        awaitJob(job, "Failed");
        given().get("/api/replicationJobs/" + job).then().body("properties.allowedActions", contains("Restart"));
        given().get(ITEMS + "vm-restart").then().body("properties.replicationHealth", equalTo("Critical"))
                .body("properties.currentScenario", nullValue());

        heartbeat("host-restart");
        given().post("/api/replicationJobs/" + job + "/restart").then().statusCode(202).body("properties.state", equalTo("InProgress"));
        given().get(ITEMS + "vm-restart").then().body("properties.currentScenario.jobId", equalTo(job));
        await().atMost(Duration.ofSeconds(30)).until(() -> commandsOf(job).size() == 2);
        SyncCommand again = commandsOf(job).get(1);
        assertNotEquals(first.commandId(), again.commandId());
        assertEquals(first.replicate(), again.replicate(), "the same work");
        // An event of the first command is stale now; the restarted one completes the job.
        succeed(first, Instant.now());
        succeed(again, Instant.now());
        awaitJob(job, "Succeeded");
        given().get(ITEMS + "vm-restart").then().body("properties.replicationHealth", equalTo("Normal"));
    }

    @Test
    void disablingProtectionDeletesTheReplicaThenRemovesTheItemWithALastStateChange() throws Exception {
        protect("vm-remove", "host-remove");
        given().contentType(ContentType.JSON).body("""
                {"properties": {"groups": [{"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-remove"}]}]}}""")
                .put("/api/replicationRecoveryPlans/plan-remove").then().statusCode(201);
        assertEquals("ItemInRecoveryPlan", post(ITEMS + "vm-remove/remove", null, 409));
        given().delete("/api/replicationRecoveryPlans/plan-remove").then().statusCode(204);

        String job = post(ITEMS + "vm-remove/remove", "{\"properties\": {\"disableProtectionReason\": \"MigrationComplete\"}}", 202);
        SyncCommand command = commandOf(job);
        assertNotNull(command.disableProtection());
        given().get(ITEMS + "vm-remove").then().statusCode(200).body("properties.currentScenario.scenarioName", equalTo("DisableProtection"));
        succeed(command, null);
        awaitJob(job, "Succeeded");
        given().get(ITEMS + "vm-remove").then().statusCode(404);
        JsonNode removed = KafkaTestClient.JSON.readTree(KafkaTestClient.awaitRecord(Topics.STATE_CHANGES,
                r -> "vm-remove".equals(r.key()) && r.value().contains("\"resource\":null"), Duration.ofSeconds(30)).value());
        long lastPublished = 0;
        for (var record : KafkaTestClient.allRecords(Topics.STATE_CHANGES)) {
            JsonNode change = KafkaTestClient.JSON.readTree(record.value());
            if ("vm-remove".equals(record.key()) && !change.path("resource").isNull()) {
                lastPublished = Math.max(lastPublished, change.path("version").asLong());
            }
        }
        assertTrue(removed.path("version").asLong() > lastPublished, "the removal outranks every state published before it");
        // The name is free again.
        heartbeat("host-remove");
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Primary", "primaryProviderId": "host-remove", "primaryVirtualSwitchName": "vSwitch-Prod"}}""")
                .put(ITEMS + "vm-remove").then().statusCode(201);
    }

    @Test
    void protectingAVmOnAHostThatNeverRegisteredIsUnprocessableAndCreatesNothing() {
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Primary", "primaryProviderId": "host-never-seen", "primaryVirtualSwitchName": "vSwitch-Prod"}}""")
                .put(ITEMS + "vm-nohost").then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("ProviderNotFound")).body("detail", containsString("host-never-seen"));
        given().get(ITEMS + "vm-nohost").then().statusCode(404);
    }

    @Test
    void aRequestBodyPastTheLimitIsRefusedBeforeItIsRead() {
        String friendlyName = "x".repeat(2 * 1024 * 1024);
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Primary", "primaryProviderId": "host-big", "primaryVirtualSwitchName": "vSwitch-Prod",
                  "friendlyName": "%s"}}""".formatted(friendlyName))
                .put(ITEMS + "vm-big-body").then().statusCode(413);
        given().get(ITEMS + "vm-big-body").then().statusCode(404);
    }

    @Test
    void theTwoSitesAreFabricsWithPairedProtectionContainersThatHoldTheItems() throws Exception {
        protect("vm-fabric", "host-fabric");
        given().get("/api/replicationFabrics").then().statusCode(200).body("value.name", contains("hyperv-site", "azure"));
        given().get("/api/replicationFabrics/hyperv-site").then().body("properties.fabricType", equalTo("HyperVSite"))
                .body("properties.providers.name", org.hamcrest.Matchers.hasItem("host-fabric"));
        given().get("/api/replicationFabrics/hyperv-site/replicationProtectionContainers").then()
                .body("value[0].properties.role", equalTo("Primary")).body("value[0].properties.pairingStatus", equalTo("Paired"))
                .body("value[0].properties.pairedProtectionContainerId",
                        equalTo("/replicationFabrics/azure/replicationProtectionContainers/azure-container"));
        given().get("/api/replicationFabrics/hyperv-site/replicationProtectionContainers/hyperv-site-container/replicationProtectedItems")
                .then().statusCode(200).body("value.name", org.hamcrest.Matchers.hasItem("vm-fabric"));
        given().get("/api/replicationFabrics/azure/replicationProtectionContainers/azure-container").then()
                .body("properties.role", equalTo("Recovery"));
        given().get("/api/replicationFabrics/vmware").then().statusCode(404).body("type", equalTo("FabricNotFound"));
        given().get("/api/replicationFabrics/azure/replicationProtectionContainers/other").then().statusCode(404)
                .body("type", equalTo("ProtectionContainerNotFound"));
    }

    @Test
    void aRecoveryPlanTestsThenFailsOverUnplannedGroupByGroup() throws Exception {
        protect("vm-plan-t1", "host-plan-t");
        protect("vm-plan-t2", "host-plan-t");
        given().contentType(ContentType.JSON).body("""
                {"properties": {"groups": [{"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-plan-t1"}]},
                                           {"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-plan-t2"}]}]}}""")
                .put("/api/replicationRecoveryPlans/plan-t").then().statusCode(201)
                .body("properties.allowedOperations", contains("PlannedFailover", "UnplannedFailover", "TestFailover"));

        String test = post("/api/replicationRecoveryPlans/plan-t/testFailover", "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\"}}", 202);
        playItemJobsInGroupOrder(test, List.of("vm-plan-t1", "vm-plan-t2"), command -> assertNotNull(command.testFailover()));
        awaitJob(test, "Succeeded");
        given().get("/api/replicationRecoveryPlans/plan-t").then().body("properties.allowedOperations", contains("TestFailoverCleanup"));

        String cleanup = post("/api/replicationRecoveryPlans/plan-t/testFailoverCleanup", null, 202);
        playItemJobsInGroupOrder(cleanup, List.of("vm-plan-t1", "vm-plan-t2"), command -> assertNotNull(command.testFailoverCleanup()));
        awaitJob(cleanup, "Succeeded");

        String failover = post("/api/replicationRecoveryPlans/plan-t/unplannedFailover",
                "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"sourceSiteOperations\": \"NotRequired\"}}", 202);
        playItemJobsInGroupOrder(failover, List.of("vm-plan-t1", "vm-plan-t2"), command -> assertNotNull(command.unplannedFailover()));
        awaitJob(failover, "Succeeded");
        for (String item : List.of("vm-plan-t1", "vm-plan-t2")) {
            given().get(ITEMS + item).then().body("properties.protectionState", equalTo("PlannedFailoverCommitRequired"))
                    .body("properties.activeLocation", equalTo("Recovery"));
        }
        given().get("/api/replicationRecoveryPlans/plan-t").then().body("properties.allowedOperations", contains("Commit"));
    }

    /**
     * Plays sync-service for a plan job's item jobs: each item's job appears only once the item before it (the group
     * before) succeeded.
     */
    private static void playItemJobsInGroupOrder(String planJob, List<String> items, java.util.function.Consumer<SyncCommand> check)
            throws Exception {
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i);
            String itemJob = await().atMost(Duration.ofSeconds(30)).until(
                    () -> given().get(ITEMS + item).then().extract().<String>path("properties.currentScenario.jobId"),
                    job -> job != null && !job.equals(planJob)); // the plan job holds the item until its group's turn
            for (String later : items.subList(i + 1, items.size())) {
                given().get(ITEMS + later).then().body("properties.currentScenario.jobId", equalTo(planJob));
            }
            SyncCommand command = commandOf(itemJob);
            check.accept(command);
            succeed(command, null);
            awaitJob(itemJob, "Succeeded");
        }
    }
}
