package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DeltaCheckpoint;
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
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Recovery plans in job-service alone, against a real Kafka broker and a real PostgreSQL: the plan resource and its
 * validation, and plan jobs driven by sync-service's events for their item jobs (sent here by a plain Kafka producer,
 * as sync-service would).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class RecoveryPlanJobTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @Test
    void plansAreValidatedAndKeptInSiteRecoveryShape() {
        heartbeat("host-crud");
        registerItem("vm-crud-1", "host-crud");
        registerItem("vm-crud-2", "host-crud");

        putPlan("plan-crud", plan(group("Boot", "vm-crud-1", "vm-nobody"))).then().statusCode(422)
                .contentType("application/problem+json").body("type", equalTo("ItemNotFound")).body("detail", containsString("vm-nobody"));
        putPlan("plan-crud", plan(group("Boot", "vm-crud-1"), group("Boot", "vm-crud-1"))).then().statusCode(400)
                .body("type", equalTo("DuplicateItem"));
        putPlan("plan-crud", plan(group("Shutdown", "vm-crud-1"))).then().statusCode(400).body("type", equalTo("ItemOutsideBootGroup"));
        putPlan("plan-crud", plan(group("Boot", "vm-crud-1"), group("Shutdown"))).then().statusCode(400).body("type", equalTo("GroupOrder"));
        putPlan("plan-crud", plan(group("Shutdown"), group("Boot"))).then().statusCode(400).body("type", equalTo("EmptyRecoveryPlan"));
        putPlan("plan-crud", plan(groupWithActions("Boot", List.of("vm-crud-1"),
                action("run-it", "ScriptActionDetails", "\"description\": \"no path\""), null)))
                .then().statusCode(400).body("type", equalTo("ScriptPathRequired"));
        putPlan("plan-crud", plan(groupWithActions("Boot", List.of("vm-crud-1"),
                action("same", "ManualActionDetails", null), action("same", "ManualActionDetails", null))))
                .then().statusCode(400).body("type", equalTo("DuplicateActionName"));
        putPlan("plan-crud", plan(groupWithActions("Boot", List.of("vm-crud-1"),
                action("runbook", "AutomationRunbookActionDetails", "\"runbookId\": \"x\""), null)))
                .then().statusCode(400).body("type", equalTo("ValidationFailed")).body("detail", containsString("Azure Automation"));
        putPlan("plan-crud", "{\"properties\": {}}").then().statusCode(400).body("type", equalTo("ValidationFailed"))
                .body("detail", containsString("groups"));
        putPlan("bad name!", plan(group("Boot", "vm-crud-1"))).then().statusCode(400).body("type", equalTo("ValidationFailed"));
        given().get("/api/replicationRecoveryPlans/plan-crud").then().statusCode(404).body("type", equalTo("RecoveryPlanNotFound"));

        putPlan("plan-crud", plan(groupWithActions("Shutdown", List.of(),
                action("drain", "ScriptActionDetails", "\"path\": \"/scripts/drain.sh\", \"fabricLocation\": \"Recovery\""), null),
                group("Boot", "vm-crud-1"), group("Boot", "vm-crud-2")))
                .then().statusCode(201)
                .header("Location", endsWith("/api/replicationRecoveryPlans/plan-crud"))
                .body("id", equalTo("/replicationRecoveryPlans/plan-crud"))
                .body("type", equalTo("replicationRecoveryPlans"))
                .body("properties.friendlyName", equalTo("plan-crud"))
                .body("properties.allowedOperations", contains("PlannedFailover"))
                .body("properties.currentScenario", nullValue())
                .body("properties.groups.groupType", contains("Shutdown", "Boot", "Boot"))
                .body("properties.groups[1].replicationProtectedItems.id", contains("vm-crud-1"))
                .body("properties.groups[0].startGroupActions[0].customDetails.instanceType", equalTo("ScriptActionDetails"))
                .body("properties.groups[0].startGroupActions[0].customDetails.path", equalTo("/scripts/drain.sh"))
                .body("properties.groups[0].startGroupActions[0].failoverTypes", contains("PlannedFailover"));

        // Replacing answers 200; an item may be in several plans, as in Site Recovery.
        putPlan("plan-crud", """
                {"properties": {"friendlyName": "Finance", "groups": [%s]}}""".formatted(group("Boot", "vm-crud-2", "vm-crud-1")))
                .then().statusCode(200).body("properties.friendlyName", equalTo("Finance"))
                .body("properties.groups[0].replicationProtectedItems.id", contains("vm-crud-2", "vm-crud-1"));
        putPlan("plan-crud-other", plan(group("Boot", "vm-crud-1"))).then().statusCode(201);
        List<String> listed = new ArrayList<>();
        for (String page = "/api/replicationRecoveryPlans?$top=1"; page != null; ) {
            JsonPath body = given().get(page).then().statusCode(200).body("value.size()", equalTo(1)).extract().jsonPath();
            listed.addAll(body.getList("value.name", String.class));
            page = body.getString("nextLink");
        }
        assertTrue(listed.containsAll(List.of("plan-crud", "plan-crud-other")), listed.toString());
        assertEquals(listed.stream().sorted().distinct().toList(), listed, "one plan a page, in name order, none twice");

        given().delete("/api/replicationRecoveryPlans/plan-crud").then().statusCode(204);
        given().get("/api/replicationRecoveryPlans/plan-crud").then().statusCode(404);
        given().delete("/api/replicationRecoveryPlans/plan-crud").then().statusCode(404).body("type", equalTo("RecoveryPlanNotFound"));
        given().get("/api/replicationProtectedItems/vm-crud-1").then().statusCode(200);
    }

    @Test
    void aForDownTimeFailbackSuspendsOnceEveryItemIsSynchronizedAndResumeCompletesTheGroupsInOrder() {
        heartbeat("host-plan");
        List.of("vm-plan-a", "vm-plan-b", "vm-plan-c").forEach(item -> registerItem(item, "host-plan"));
        String applies = "\"failoverDirections\": [\"RecoveryToPrimary\"], \"failoverTypes\": [\"PlannedFailover\"]";
        putPlan("plan-boot-order", """
                {"properties": {"friendlyName": "Boot order", "groups": [
                  {"groupType": "Shutdown", "startGroupActions": [{"actionName": "drain-traffic", %1$s,
                    "customDetails": {"instanceType": "ScriptActionDetails", "path": "/scripts/drain.sh", "fabricLocation": "Recovery"}}]},
                  {"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-plan-a"}, {"id": "vm-plan-b"}],
                   "endGroupActions": [
                     {"actionName": "check-database", %1$s,
                      "customDetails": {"instanceType": "ManualActionDetails", "description": "Check that the database accepts writes"}},
                     {"actionName": "only-at-commit", "failoverDirections": ["RecoveryToPrimary"], "failoverTypes": ["Commit"],
                      "customDetails": {"instanceType": "ManualActionDetails"}}]},
                  {"groupType": "Boot", "replicationProtectedItems": [{"id": "vm-plan-c"}]}]}}""".formatted(applies))
                .then().statusCode(201);

        String planJob = planFailback("plan-boot-order", "ForDownTime")
                .body("properties.scenarioName", equalTo("RecoveryPlanPlannedFailover"))
                .body("properties.targetObjectId", equalTo("plan-boot-order"))
                .body("properties.customDetails.dataSyncOption", equalTo("ForDownTime"))
                .body("properties.tasks.name", contains("PrerequisitesCheck", "SnapshotSynchronization", "Group1",
                        "Group1/StartAction/drain-traffic", "Group2", "Group2/vm-plan-a", "Group2/vm-plan-b",
                        "Group2/EndAction/check-database", "Group3", "Group3/vm-plan-c"))
                .extract().path("name");
        given().get("/api/replicationRecoveryPlans/plan-boot-order").then()
                .body("properties.currentScenario.jobId", equalTo(planJob))
                .body("properties.allowedOperations", empty());
        putPlan("plan-boot-order", plan(group("Boot", "vm-plan-a"))).then().statusCode(409).body("type", equalTo("RecoveryPlanBusy"));
        given().delete("/api/replicationRecoveryPlans/plan-boot-order").then().statusCode(409).body("type", equalTo("RecoveryPlanBusy"));

        // Phase 1 runs for every item at once, each in its own item job.
        Map<String, String> itemJobs = Map.of("vm-plan-a", currentJobOf("vm-plan-a"), "vm-plan-b", currentJobOf("vm-plan-b"),
                "vm-plan-c", currentJobOf("vm-plan-c"));
        itemJobs.values().forEach(itemJob -> assertNotEquals(planJob, itemJob));
        synchronizeSnapshot("vm-plan-a", itemJobs.get("vm-plan-a"));
        synchronizeSnapshot("vm-plan-b", itemJobs.get("vm-plan-b"));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + planJob).then()
                .body("properties.tasks.find { it.name == 'SnapshotSynchronization' }.stateDescription", equalTo("2 of 3 VMs synchronized"))
                .body("properties.state", equalTo("InProgress")));
        given().post("/api/replicationJobs/" + planJob + "/resume").then().statusCode(409).body("type", equalTo("ActionNotAllowed"));
        synchronizeSnapshot("vm-plan-c", itemJobs.get("vm-plan-c"));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + planJob).then()
                .body("properties.state", equalTo("Suspended"))
                .body("properties.allowedActions", contains("Cancel", "Resume"))
                .body("properties.tasks.find { it.name == 'SnapshotSynchronization' }.state", equalTo("Succeeded"))
                .body("properties.tasks.find { it.name == 'Group1' }.state", equalTo("NotStarted")));

        // One Resume: the Shutdown group's script (simulated), then group 2's items complete while group 3 waits.
        heartbeat("host-plan"); // resuming an item job needs its host connected
        given().post("/api/replicationJobs/" + planJob + "/resume").then().statusCode(202)
                .header("Location", endsWith("/api/replicationJobs/" + planJob))
                .body("properties.tasks.find { it.name == 'Group1/StartAction/drain-traffic' }.stateDescription",
                        containsString("Simulated, not run: the script /scripts/drain.sh"))
                .body("properties.tasks.find { it.name == 'Group2/vm-plan-a' }.state", equalTo("InProgress"));
        completeFailover("vm-plan-a", itemJobs.get("vm-plan-a"));
        given().get("/api/replicationJobs/" + itemJobs.get("vm-plan-c")).then().body("properties.state", equalTo("Suspended"));
        completeFailover("vm-plan-b", itemJobs.get("vm-plan-b"));

        // The manual action after group 2 suspends the plan job until it is resumed.
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + planJob).then()
                .body("properties.state", equalTo("Suspended"))
                .body("properties.stateDescription", containsString("Check that the database accepts writes"))
                .body("properties.tasks.find { it.name == 'Group2/EndAction/check-database' }.state", equalTo("InProgress"))
                .body("properties.tasks.find { it.name == 'Group2/vm-plan-b' }.state", equalTo("Succeeded")));
        given().get("/api/replicationJobs/" + itemJobs.get("vm-plan-c")).then().body("properties.state", equalTo("Suspended"));
        heartbeat("host-plan");
        given().post("/api/replicationJobs/" + planJob + "/resume").then().statusCode(202);
        completeFailover("vm-plan-c", itemJobs.get("vm-plan-c"));

        JsonPath done = await().atMost(WAIT).until(() -> given().get("/api/replicationJobs/" + planJob).then().extract().jsonPath(),
                job -> "Succeeded".equals(job.getString("properties.state")));
        assertEquals(List.of("Succeeded"), done.getList("properties.tasks.state").stream().distinct().toList(), done.prettify());
        Instant group2Ended = Instant.parse(done.getString("properties.tasks.find { it.name == 'Group2' }.endTime"));
        Instant group3Item = Instant.parse(done.getString("properties.tasks.find { it.name == 'Group3/vm-plan-c' }.startTime"));
        assertFalse(group3Item.isBefore(group2Ended), "group 3 started at " + group3Item + ", before group 2 ended at " + group2Ended);
        for (String item : itemJobs.keySet()) {
            given().get("/api/replicationProtectedItems/" + item).then()
                    .body("properties.protectionState", equalTo("PlannedFailoverCommitRequired"))
                    .body("properties.activeLocation", equalTo("Primary"));
        }
        given().get("/api/replicationRecoveryPlans/plan-boot-order").then()
                .body("properties.currentScenario", nullValue())
                .body("properties.allowedOperations", contains("Commit"));
    }

    /**
     * A failed item is on the plan job's task at once, while its group's other item goes on and is followed to its end;
     * only then does the plan job fail, and the item of the group whose turn never came is released.
     */
    @Test
    void itemsWaitReservedForTheirGroupAndAFailedItemFailsThePlanOnceItsGroupEnded() {
        heartbeat("host-plan-fail");
        registerItem("vm-plan-first", "host-plan-fail");
        registerItem("vm-plan-beside", "host-plan-fail");
        registerItem("vm-plan-later", "host-plan-fail");
        putPlan("plan-fail", plan(group("Boot", "vm-plan-first", "vm-plan-beside"), group("Boot", "vm-plan-later"))).then().statusCode(201);

        String planJob = planFailback("plan-fail", "ForSynchronization")
                .body("properties.tasks.name", contains("PrerequisitesCheck", "Group1", "Group1/vm-plan-first", "Group1/vm-plan-beside",
                        "Group2", "Group2/vm-plan-later"))
                .extract().path("name");
        String first = currentJobOf("vm-plan-first");
        String beside = currentJobOf("vm-plan-beside");
        assertNotEquals(planJob, first);
        given().get("/api/replicationProtectedItems/vm-plan-later").then()
                .body("properties.currentScenario.jobId", equalTo(planJob))
                .body("properties.currentScenario.scenarioName", equalTo("RecoveryPlanPlannedFailover"))
                .body("properties.allowedOperations", empty());
        given().contentType(ContentType.JSON).body(failbackBody("ForSynchronization"))
                .post("/api/replicationProtectedItems/vm-plan-later/plannedFailover")
                .then().statusCode(409).body("type", equalTo("OperationNotAllowed"));

        String command = commandOf(first, command1 -> true);
        SyncEvent.Failure failure = new SyncEvent.Failure("AzureVmNotFound", "no virtual machine named 'vm-plan-first' in Azure");
        KafkaTestClient.send(Topics.SYNC_EVENTS, "vm-plan-first", new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                command, first, "vm-plan-first", SyncEvent.Type.SyncFailed, null, 1, Instant.now(), null, failure, null, null, null, null));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + planJob).then()
                .body("properties.state", equalTo("InProgress"))
                .body("properties.errors[0].errorCode", equalTo("AzureVmNotFound"))
                .body("properties.errors[0].message", containsString("vm-plan-first (job " + first + ")"))
                .body("properties.tasks.find { it.name == 'Group1/vm-plan-first' }.state", equalTo("Failed"))
                .body("properties.tasks.find { it.name == 'Group1/vm-plan-beside' }.state", equalTo("InProgress"))
                .body("properties.tasks.find { it.name == 'Group1' }.state", equalTo("InProgress")));

        String besideCommand = commandOf(beside, command1 -> true);
        send("vm-plan-beside", beside, besideCommand, SyncEvent.Type.SyncSucceeded, null, 1, null);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + planJob).then()
                .body("properties.state", equalTo("Failed"))
                .body("properties.stateDescription", equalTo("1 of 2 VMs failed in group 1: vm-plan-first"))
                .body("properties.errors.errorCode", contains("AzureVmNotFound"))
                .body("properties.tasks.find { it.name == 'Group1/vm-plan-beside' }.state", equalTo("Succeeded"))
                .body("properties.tasks.find { it.name == 'Group1' }.state", equalTo("Failed"))
                .body("properties.tasks.find { it.name == 'Group1' }.errors[0].errorCode", equalTo("AzureVmNotFound"))
                .body("properties.tasks.find { it.name == 'Group2/vm-plan-later' }.state", equalTo("NotStarted")));
        given().get("/api/replicationProtectedItems/vm-plan-later").then()
                .body("properties.currentScenario", nullValue())
                .body("properties.allowedOperations", contains("PlannedFailover", "DisableProtection"));
        // vm-plan-beside failed back and waits for Commit, the others did not: no operation of the plan suits all three.
        given().get("/api/replicationProtectedItems/vm-plan-beside").then().body("properties.allowedOperations", hasItem("Commit"));
        given().get("/api/replicationRecoveryPlans/plan-fail").then()
                .body("properties.currentScenario", nullValue())
                .body("properties.allowedOperations", empty());
    }

    @Test
    void cancellingASuspendedPlanJobCancelsItsItemJobsAndFreesItsItems() throws IOException {
        heartbeat("host-plan-cancel");
        registerItem("vm-cancel-1", "host-plan-cancel");
        registerItem("vm-cancel-2", "host-plan-cancel");
        putPlan("plan-cancel", plan(group("Boot", "vm-cancel-1"), group("Boot", "vm-cancel-2"))).then().statusCode(201);
        String planJob = planFailback("plan-cancel", "ForDownTime").extract().path("name");
        String job1 = currentJobOf("vm-cancel-1");
        String job2 = currentJobOf("vm-cancel-2");
        synchronizeSnapshot("vm-cancel-1", job1);
        synchronizeSnapshot("vm-cancel-2", job2);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + planJob).then()
                .body("properties.state", equalTo("Suspended")));

        given().post("/api/replicationJobs/" + planJob + "/cancel").then().statusCode(200)
                .body("properties.state", equalTo("Cancelled"))
                .body("properties.allowedActions", empty());
        for (String itemJob : List.of(job1, job2)) {
            given().get("/api/replicationJobs/" + itemJob).then().body("properties.state", equalTo("Cancelled"));
            SyncCommand cancel = KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS,
                    r -> r.value().contains(itemJob) && r.value().contains("\"cancel\":{"), WAIT).value(), SyncCommand.class);
            assertEquals(itemJob, cancel.jobName());
        }
        given().get("/api/replicationProtectedItems/vm-cancel-2").then()
                .body("properties.currentScenario", nullValue())
                .body("properties.allowedOperations", contains("PlannedFailover", "DisableProtection"));
        given().get("/api/replicationRecoveryPlans/plan-cancel").then().body("properties.allowedOperations", contains("PlannedFailover"));
        given().post("/api/replicationJobs/" + planJob + "/cancel").then().statusCode(409).body("type", equalTo("ActionNotAllowed"));
    }

    @Test
    void aPlanStartsWholeOrNotAtAll() {
        heartbeat("host-plan-whole");
        registerItem("vm-whole-ok", "host-plan-whole");
        // An item registered before job-service checked its host (an older installation) names a host that never registered.
        heartbeat("host-plan-never-seen");
        registerItem("vm-whole-orphan", "host-plan-never-seen");
        database.preparedQuery("delete from fabric_provider where providerid = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of("host-plan-never-seen")).await().atMost(WAIT);
        registerItem("vm-whole-busy", "host-plan-whole");
        putPlan("plan-orphan", plan(group("Boot", "vm-whole-ok"), group("Boot", "vm-whole-orphan"))).then().statusCode(201);
        putPlan("plan-busy", plan(group("Boot", "vm-whole-ok", "vm-whole-busy"))).then().statusCode(201);

        // The orphan's host never registered: its item job cannot start, so nothing starts.
        planFailbackRequest("plan-orphan", "ForDownTime").then().statusCode(422).body("type", equalTo("ProviderNotFound"))
                .body("detail", containsString("vm-whole-orphan"));
        given().get("/api/replicationProtectedItems/vm-whole-ok").then().body("properties.currentScenario", nullValue());
        given().get("/api/replicationRecoveryPlans/plan-orphan").then().body("properties.currentScenario", nullValue());

        given().contentType(ContentType.JSON).body(failbackBody("ForSynchronization"))
                .post("/api/replicationProtectedItems/vm-whole-busy/plannedFailover").then().statusCode(202);
        planFailbackRequest("plan-busy", "ForSynchronization").then().statusCode(409).body("type", equalTo("OperationNotAllowed"))
                .body("detail", containsString("vm-whole-busy is taken by job"))
                .body("detail", not(containsString("vm-whole-ok")));
        given().get("/api/replicationProtectedItems/vm-whole-ok").then().body("properties.currentScenario", nullValue());
        given().post("/api/replicationRecoveryPlans/nothing-here/failoverCommit").then().statusCode(404).body("type", equalTo("RecoveryPlanNotFound"));
        given().post("/api/replicationRecoveryPlans/plan-orphan/failoverCommit").then().statusCode(409).body("type", equalTo("OperationNotAllowed"));
    }

    private static io.restassured.response.Response putPlan(String name, String body) {
        return given().contentType(ContentType.JSON).body(body).put("/api/replicationRecoveryPlans/" + name);
    }

    private static String plan(String... groups) {
        return "{\"properties\": {\"groups\": [" + String.join(", ", groups) + "]}}";
    }

    private static String group(String type, String... items) {
        return groupWithActions(type, List.of(items), null, null);
    }

    private static String groupWithActions(String type, List<String> items, String firstStartAction, String secondStartAction) {
        String references = String.join(", ", items.stream().map(item -> "{\"id\": \"" + item + "\"}").toList());
        String actions = String.join(", ", java.util.stream.Stream.of(firstStartAction, secondStartAction).filter(a -> a != null).toList());
        return "{\"groupType\": \"%s\", \"replicationProtectedItems\": [%s], \"startGroupActions\": [%s]}".formatted(type, references, actions);
    }

    private static String action(String name, String instanceType, String details) {
        return """
                {"actionName": "%s", "failoverDirections": ["RecoveryToPrimary"], "failoverTypes": ["PlannedFailover"],
                 "customDetails": {"instanceType": "%s"%s}}""".formatted(name, instanceType, details == null ? "" : ", " + details);
    }

    private static String failbackBody(String dataSyncOption) {
        return """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "%s",
                  "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""".formatted(dataSyncOption);
    }

    private static io.restassured.response.Response planFailbackRequest(String plan, String dataSyncOption) {
        return given().contentType(ContentType.JSON).body(failbackBody(dataSyncOption))
                .post("/api/replicationRecoveryPlans/" + plan + "/plannedFailover");
    }

    private static io.restassured.response.ValidatableResponse planFailback(String plan, String dataSyncOption) {
        return planFailbackRequest(plan, dataSyncOption).then().statusCode(202)
                .header("Location", containsString("/api/replicationJobs/"))
                .body("properties.state", equalTo("InProgress"));
    }

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool database;

    private static void registerItem(String name, String providerId) {
        given().contentType(ContentType.JSON)
                .body("""
                        {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                          "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "%s"}}""".formatted(providerId, name))
                .put("/api/replicationProtectedItems/" + name)
                .then().statusCode(201);
    }

    /**
     * A fresh heartbeat until the host counts as connected: the test profile forgets a host after 10 s, which a heartbeat
     * can take to arrive while the consumer first finds the topic.
     */
    private static void heartbeat(String providerId) {
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                    providerId, providerId + ".contoso.local", "http://127.0.0.1:1/" + providerId, List.of("vSwitch-Prod"), Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + providerId)
                    .then().statusCode(200).body("properties.connectionStatus", equalTo("Connected"));
        });
    }

    /** The item's own job now (the plan job while the item waits for its group). */
    private static String currentJobOf(String item) {
        return given().get("/api/replicationProtectedItems/" + item).then().extract().path("properties.currentScenario.jobId");
    }

    /** The id of the job's first command that matches: sync-service's events answer to it. */
    private static String commandOf(String job, Predicate<SyncCommand> matches) {
        return KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS, r -> {
            SyncCommand command = read(r.value());
            return job.equals(command.jobName()) && matches.test(command);
        }, WAIT).value().transform(value -> read(value).commandId());
    }

    private static SyncCommand read(String value) {
        try {
            return KafkaTestClient.JSON.readValue(value, SyncCommand.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(String item, String job, String command, SyncEvent.Type type, SyncTask task, long sequence,
            DeltaCheckpoint checkpoint) {
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), command,
                job, item, type, task, sequence, Instant.now(), null, null, null, checkpoint, null, null));
    }

    /** Phase 1 of the item's ForDownTime failback, as sync-service reports it. */
    private static void synchronizeSnapshot(String item, String job) {
        String command = commandOf(job, c -> c.plannedFailover() != null && c.plannedFailover().completeFrom() == null);
        send(item, job, command, SyncEvent.Type.TaskSucceeded, SyncTask.PrepareOnPremisesVm, 1, null);
        send(item, job, command, SyncEvent.Type.TaskSucceeded, SyncTask.SnapshotSynchronization, 2, null);
        send(item, job, command, SyncEvent.Type.SyncSuspended, null, 3, new DeltaCheckpoint("snapshot-" + item, Map.of("disk-0", 7L)));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Suspended")));
    }

    /** Phase 2, once the plan resumed the item's job ("Complete Failover"): its command continues from the checkpoint. */
    private static void completeFailover(String item, String job) {
        String command = commandOf(job, c -> c.plannedFailover() != null && c.plannedFailover().completeFrom() != null);
        for (SyncTask task : List.of(SyncTask.ShutdownAzureVm, SyncTask.FinalDeltaSynchronization, SyncTask.StartOnPremisesVm)) {
            send(item, job, command, SyncEvent.Type.TaskSucceeded, task, task.ordinal() + 10, null);
        }
        send(item, job, command, SyncEvent.Type.SyncSucceeded, null, 20, null);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Succeeded")));
    }
}
