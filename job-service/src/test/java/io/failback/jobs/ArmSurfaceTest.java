package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.oneOf;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.messaging.Topics;
import io.failback.jobs.security.Roles;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The ARM surface ({@code /subscriptions/.../vaults/{vault}/...}) as the official SDK uses it, on the real broker and
 * database: ids, types and paging it parses and follows, ARM's errors, long-running operations and their polling,
 * idempotent retries by {@code x-ms-client-request-id}, and who may call what.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class ArmSurfaceTest {
    private static final String API_VERSION = "api-version=2023-06-01";
    private static final String VAULT = "/subscriptions/sub-1/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/vault-1";
    private static final String CONTAINER = VAULT + "/replicationFabrics/hyperv-site/replicationProtectionContainers/hyperv-site-container";
    private static final String ITEMS = CONTAINER + "/replicationProtectedItems/";
    private static final String FAILBACK_FOR_SYNCHRONIZATION = """
            {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
              "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization", "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""";
    private static final String FAILBACK_FOR_DOWNTIME = FAILBACK_FOR_SYNCHRONIZATION.replace("ForSynchronization", "ForDownTime");

    private static String arm(String path) {
        return path + (path.contains("?") ? "&" : "?") + API_VERSION;
    }

    /** Where this service answers, as the request's Host header names it. */
    private static String origin() {
        return "http://localhost:" + RestAssured.port;
    }

    private static void heartbeat(String providerId, String baseUrl) {
        // A fresh heartbeat each time: the first ones may be consumed late, when the test profile's 10 s timeout has passed.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                    providerId, providerId, baseUrl, List.of("vSwitch-Prod"), Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + providerId)
                    .then().body("properties.connectionStatus", equalTo("Connected"));
        });
    }

    private static void registerInAzure(String name, String providerId) {
        heartbeat(providerId, "http://127.0.0.1:1/" + providerId);
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s", "primaryVirtualSwitchName": "vSwitch-Prod",
                  "recoveryAzureVmName": "%s"}}""".formatted(providerId, name))
                .put("/api/replicationProtectedItems/" + name).then().statusCode(201);
    }

    private static Response post(String path, String clientRequestId, String body) {
        RequestSpecification request = given().contentType(ContentType.JSON);
        if (clientRequestId != null) {
            request.header("x-ms-client-request-id", clientRequestId);
        }
        if (body != null) {
            request.body(body);
        }
        return request.post(arm(path));
    }

    /** The SDK's poll of an absolute link, taken as given. */
    private static Response follow(String absoluteLink) {
        return given().urlEncodingEnabled(false).get(absoluteLink);
    }

    private static String operationStatus(String operationId) {
        return given().get(arm(VAULT + "/replicationOperationStatus/" + operationId)).then().statusCode(200).extract().path("status");
    }

    private static String commandOf(String job) {
        try {
            return KafkaTestClient.JSON.readValue(KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS, r -> r.value().contains(job),
                    Duration.ofSeconds(30)).value(), SyncCommand.class).commandId();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sendEvent(String job, String item, SyncEvent.Type type, SyncTask task, long sequence, SyncEvent.Failure failure,
            DeltaCheckpoint checkpoint) {
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(),
                commandOf(job), job, item, type, task, sequence, Instant.now(), null, failure, null, checkpoint, null, null));
    }

    private static String jobOf(Response accepted) {
        return accepted.then().extract().path("name");
    }

    @Test
    void readsAnswerFullArmIdsAndTypesThatEmbedTheRequestsOwnVault() {
        registerInAzure("vm-arm-read", "host-arm-read");

        String itemId = given().get(arm(ITEMS + "vm-arm-read")).then().statusCode(200)
                .contentType(ContentType.JSON)
                .body("id", equalTo(ITEMS + "vm-arm-read"))
                .body("name", equalTo("vm-arm-read"))
                .body("type", equalTo("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems"))
                .body("properties.protectionState", equalTo("FailoverCompleted"))
                .body("properties.activeLocation", equalTo("Recovery"))
                .body("properties.allowedOperations", hasItem("PlannedFailover"))
                .body("properties.recoveryServicesProviderId", equalTo(VAULT + "/replicationFabrics/hyperv-site/replicationRecoveryServicesProviders/host-arm-read"))
                .body("properties.providerSpecificDetails.instanceType", equalTo("HyperVReplicaAzure"))
                .extract().path("id");
        // What the SDK's users do: take fabric, container and item back out of the id.
        String[] segments = itemId.split("/");
        assertEquals("hyperv-site", segments[10]);
        assertEquals("hyperv-site-container", segments[12]);
        assertEquals("vm-arm-read", segments[14]);

        // Another vault's name in the path: the same items, ids in that vault. Literal segments match in any case.
        given().get(arm("/Subscriptions/sub-2/resourcegroups/rg-2/providers/microsoft.recoveryservices/Vaults/other"
                        + "/replicationfabrics/hyperv-site/replicationProtectionContainers/hyperv-site-container/REPLICATIONPROTECTEDITEMS/vm-arm-read"))
                .then().statusCode(200)
                .body("id", equalTo("/subscriptions/sub-2/resourceGroups/rg-2/providers/Microsoft.RecoveryServices/vaults/other"
                        + "/replicationFabrics/hyperv-site/replicationProtectionContainers/hyperv-site-container/replicationProtectedItems/vm-arm-read"));

        given().get(arm(VAULT + "/replicationFabrics")).then().statusCode(200)
                .body("value.name", equalTo(List.of("hyperv-site", "azure")))
                .body("value[0].id", equalTo(VAULT + "/replicationFabrics/hyperv-site"))
                .body("value[0].type", equalTo("Microsoft.RecoveryServices/vaults/replicationFabrics"))
                .body("value[1].properties.customDetails.instanceType", equalTo("Azure"));
        given().get(arm(VAULT + "/replicationFabrics/azure/replicationProtectionContainers")).then().statusCode(200)
                .body("value[0].id", equalTo(VAULT + "/replicationFabrics/azure/replicationProtectionContainers/azure-container"))
                .body("value[0].type", equalTo("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers"));
        given().get(arm(VAULT + "/replicationFabrics/azure/replicationProtectionContainers/azure-container/replicationProtectedItems"))
                .then().statusCode(200).body("value.size()", equalTo(0));
        given().get(arm(VAULT + "/replicationRecoveryServicesProviders")).then().statusCode(200)
                .body("value.name", hasItem("host-arm-read"));
        given().get(arm(VAULT + "/replicationFabrics/hyperv-site/replicationRecoveryServicesProviders/host-arm-read")).then().statusCode(200)
                .body("type", equalTo("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationRecoveryServicesProviders"))
                .body("properties.connectionStatus", equalTo("Connected"));
        given().get(arm(VAULT + "/replicationRecoveryPlans")).then().statusCode(200);
    }

    @Test
    void itemAndJobListsComeInPagesWithAnAbsoluteNextLinkThatLeadsThroughEveryOne() {
        Set<String> registered = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            registerInAzure("vm-arm-page-" + i, "host-arm-page");
            registered.add("vm-arm-page-" + i);
        }
        for (String firstPage : List.of(VAULT + "/replicationProtectedItems", ITEMS.substring(0, ITEMS.length() - 1))) {
            List<String> seen = new ArrayList<>();
            String link = origin() + arm(firstPage);
            int pages = 0;
            while (link != null) {
                Response page = follow(link).then().statusCode(200).extract().response();
                List<String> names = page.path("value.name");
                assertTrue(names.size() <= 3, "the test profile's page size is 3");
                seen.addAll(names);
                link = page.path("nextLink");
                if (link != null) {
                    assertTrue(link.startsWith(origin() + firstPage + "?" + API_VERSION), link);
                }
                pages++;
            }
            assertTrue(pages >= 3, "7 items and more at 3 a page");
            assertTrue(seen.containsAll(registered), seen.toString());
            assertEquals(seen.size(), new HashSet<>(seen).size(), "no item twice");
        }

        // Jobs, newest first, a page at a time, also under a $filter (which the next links keep).
        heartbeat("host-arm-page", "http://127.0.0.1:1/host-arm-page");
        for (int i = 0; i < 4; i++) {
            post(ITEMS + "vm-arm-page-" + i + "/plannedFailover", null, FAILBACK_FOR_SYNCHRONIZATION).then().statusCode(202);
        }
        List<String> jobs = new ArrayList<>();
        String link = origin() + arm(VAULT + "/replicationJobs?$filter=jobName%20eq%20'PlannedFailover'%20and%20jobStatus%20eq%20'InProgress,Suspended'");
        while (link != null) {
            Response page = follow(link).then().statusCode(200)
                    .body("value.type", org.hamcrest.Matchers.everyItem(equalTo("Microsoft.RecoveryServices/vaults/replicationJobs")))
                    .body("value.properties.scenarioName", org.hamcrest.Matchers.everyItem(equalTo("PlannedFailover")))
                    .extract().response();
            List<String> targets = page.path("value.properties.targetObjectName");
            jobs.addAll(targets);
            link = page.path("nextLink");
            if (link != null) {
                assertTrue(link.contains("%24filter="), link);
            }
        }
        for (int i = 0; i < 4; i++) {
            assertTrue(jobs.contains("vm-arm-page-" + i), jobs.toString());
        }
    }

    @Test
    void everyArmCallNeedsTheSupportedApiVersionAndSaysSoInArmsErrorShape() {
        given().get(VAULT + "/replicationJobs").then().statusCode(400).contentType(ContentType.JSON)
                .body("error.code", equalTo("MissingApiVersionParameter"))
                .body("error.message", containsString("api-version"));
        given().get(VAULT + "/replicationJobs?api-version=2021-01-01").then().statusCode(400).contentType(ContentType.JSON)
                .body("error.code", equalTo("InvalidApiVersionParameter"))
                .body("error.message", containsString("2023-06-01"));
        given().contentType(ContentType.JSON).body(FAILBACK_FOR_SYNCHRONIZATION).post(ITEMS + "anything/plannedFailover")
                .then().statusCode(400).body("error.code", equalTo("MissingApiVersionParameter"));
    }

    @Test
    void errorsUnderArmPathsAreArmErrorsWhileApiKeepsProblemDetails() {
        given().get(arm(ITEMS + "nobody-arm")).then().statusCode(404).contentType(ContentType.JSON)
                .body("error.code", equalTo("ItemNotFound")).body("error.message", containsString("nobody-arm"));
        given().get(arm(VAULT + "/replicationJobs/" + UUID.randomUUID())).then().statusCode(404).body("error.code", equalTo("JobNotFound"));
        given().get(arm(VAULT + "/replicationFabrics/elsewhere")).then().statusCode(404).body("error.code", equalTo("FabricNotFound"));
        given().get(arm(VAULT + "/replicationOperationStatus/never-started")).then().statusCode(404)
                .body("error.code", equalTo("OperationNotFound"));
        post(ITEMS + "nobody-arm/plannedFailover", null, "{\"properties\": {\"failoverDirection\": \"Sideways\"}}")
                .then().statusCode(400).contentType(ContentType.JSON).body("error.code", equalTo("UnreadableBody"));
        post(ITEMS + "nobody-arm/plannedFailover", null, "{}")
                .then().statusCode(400).contentType(ContentType.JSON).body("error.code", equalTo("ValidationFailed"));
        post(ITEMS + "nobody-arm/plannedFailover", null, FAILBACK_FOR_SYNCHRONIZATION)
                .then().statusCode(404).body("error.code", equalTo("ItemNotFound"));

        given().get("/api/replicationProtectedItems/nobody-arm").then().statusCode(404)
                .contentType("application/problem+json").body("type", equalTo("ItemNotFound"));

        // A path or method the surface does not serve is an ARM error too, not the framework's page.
        given().get(arm(VAULT + "/replicationPolicies")).then().statusCode(404).contentType(ContentType.JSON)
                .body("error.code", equalTo("NotFound"));
        given().contentType(ContentType.JSON).body("{}").patch(arm(ITEMS + "nobody-arm")).then().statusCode(oneOf(404, 405))
                .contentType(ContentType.JSON).body("error.code", oneOf("NotFound", "MethodNotAllowed"));
        given().get("/api/replicationPolicies").then().statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("NotFound"));
    }

    @Test
    void aFailbackIsALongRunningOperationThatEndsWithTheItemAndAFailedJobFailsIt() {
        registerInAzure("vm-arm-lro", "host-arm-lro");
        String operationId = "op-" + UUID.randomUUID();
        Response accepted = post(ITEMS + "vm-arm-lro/plannedFailover", operationId, FAILBACK_FOR_SYNCHRONIZATION);
        accepted.then().statusCode(202)
                .header("Azure-AsyncOperation", equalTo(origin() + VAULT + "/replicationOperationStatus/" + operationId + "?" + API_VERSION))
                .header("Location", equalTo(origin() + VAULT + "/replicationOperationResults/" + operationId + "?" + API_VERSION))
                .header("Retry-After", equalTo("1"));
        String job = jobOf(accepted);

        follow(accepted.header("Azure-AsyncOperation")).then().statusCode(200)
                .body("status", equalTo("InProgress"))
                .body("name", equalTo(operationId))
                .body("id", equalTo(VAULT + "/replicationOperationStatus/" + operationId))
                .body("startTime", not(nullValue()))
                .body("properties.jobId", equalTo(VAULT + "/replicationJobs/" + job));
        follow(accepted.header("Location")).then().statusCode(202)
                .header("Location", equalTo(accepted.header("Location"))).header("Retry-After", equalTo("1"));
        given().get(arm(ITEMS + "vm-arm-lro")).then()
                .body("properties.currentScenario.scenarioName", equalTo("PlannedFailover"))
                .body("properties.currentScenario.jobId", equalTo(VAULT + "/replicationJobs/" + job));
        given().get(arm(VAULT + "/replicationJobs/" + job)).then().statusCode(200)
                .body("id", equalTo(VAULT + "/replicationJobs/" + job))
                .body("properties.state", equalTo("InProgress"))
                .body("properties.activityId", equalTo(operationId))
                .body("properties.targetInstanceType", equalTo("ProtectionEntity"))
                .body("properties.customDetails.instanceType", equalTo("FailoverJobDetails"))
                .body("properties.customDetails.dataSyncOption", equalTo("ForSynchronization"))
                .body("properties.tasks[0].taskId", not(nullValue()))
                .body("properties.startedBy", equalTo("contributor@test"));

        long sequence = 0;
        for (SyncTask task : SyncTask.PLANNED_FAILBACK) {
            sendEvent(job, "vm-arm-lro", SyncEvent.Type.TaskStarted, task, ++sequence, null, null);
            sendEvent(job, "vm-arm-lro", SyncEvent.Type.TaskSucceeded, task, ++sequence, null, null);
        }
        sendEvent(job, "vm-arm-lro", SyncEvent.Type.SyncSucceeded, null, ++sequence, null, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(operationStatus(operationId)));
        follow(accepted.header("Azure-AsyncOperation")).then().body("endTime", not(nullValue())).body("error", nullValue());
        follow(accepted.header("Location")).then().statusCode(200)
                .body("id", equalTo(ITEMS + "vm-arm-lro"))
                .body("properties.protectionState", equalTo("PlannedFailoverCommitRequired"))
                .body("properties.activeLocation", equalTo("Primary"));

        // A job that fails fails its operation, with the job's error.
        registerInAzure("vm-arm-lro-fail", "host-arm-lro");
        String failingId = "op-" + UUID.randomUUID();
        String failing = jobOf(post(ITEMS + "vm-arm-lro-fail/plannedFailover", failingId, FAILBACK_FOR_SYNCHRONIZATION).then().statusCode(202)
                .extract().response());
        SyncEvent.Failure failure = new SyncEvent.Failure("AzureVmNotFound", "no virtual machine named 'vm-arm-lro-fail' in Azure");
        sendEvent(failing, "vm-arm-lro-fail", SyncEvent.Type.TaskFailed, SyncTask.ShutdownAzureVm, 1, failure, null);
        sendEvent(failing, "vm-arm-lro-fail", SyncEvent.Type.SyncFailed, null, 2, failure, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(operationStatus(failingId)));
        given().get(arm(VAULT + "/replicationOperationStatus/" + failingId)).then()
                .body("error.code", equalTo("AzureVmNotFound")).body("error.message", containsString("vm-arm-lro-fail"));
        given().get(arm(VAULT + "/replicationOperationResults/" + failingId)).then().statusCode(409)
                .body("error.code", equalTo("AzureVmNotFound"));
        given().get(arm(VAULT + "/replicationJobs/" + failing)).then()
                .body("properties.errors[0].serviceErrorDetails.code", equalTo("AzureVmNotFound"))
                .body("properties.allowedActions", hasItem("Restart"));
    }

    @Test
    void aSuspendedFailbackStaysInProgressUntilItsJobEndsAndCancelSucceedsOnceTheJobIsCancelled() {
        registerInAzure("vm-arm-suspend", "host-arm-suspend");
        String failbackId = "op-" + UUID.randomUUID();
        String job = jobOf(post(ITEMS + "vm-arm-suspend/plannedFailover", failbackId, FAILBACK_FOR_DOWNTIME).then().statusCode(202)
                .extract().response());
        assertEquals("InProgress", operationStatus(failbackId));

        sendEvent(job, "vm-arm-suspend", SyncEvent.Type.SyncSuspended, null, 1, null, new DeltaCheckpoint("snap-1", Map.of("disk-0", 7L)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(arm(VAULT + "/replicationJobs/" + job)).then()
                .body("properties.state", equalTo("Suspended"))
                .body("properties.allowedActions", hasItem("Resume")));
        assertEquals("InProgress", operationStatus(failbackId), "a suspended failback has not ended: the SDK keeps polling");
        given().get(arm(VAULT + "/replicationOperationResults/" + failbackId)).then().statusCode(202);

        // "Complete Failover" through ARM: a job operation, whose result is the job.
        heartbeat("host-arm-suspend", "http://127.0.0.1:1/host-arm-suspend"); // Resume checks the host is still connected
        String resumeId = "op-" + UUID.randomUUID();
        post(VAULT + "/replicationJobs/" + job + "/resume", resumeId, "{\"properties\": {\"comments\": \"window open\"}}")
                .then().statusCode(202)
                .header("Azure-AsyncOperation", endsWith("/replicationOperationStatus/" + resumeId + "?" + API_VERSION));
        assertEquals("InProgress", operationStatus(resumeId));
        given().get(arm(VAULT + "/replicationJobs/" + job)).then().body("properties.state", equalTo("InProgress"));

        String cancelId = "op-" + UUID.randomUUID();
        Response cancel = post(VAULT + "/replicationJobs/" + job + "/cancel", cancelId, null);
        cancel.then().statusCode(202);
        assertEquals("Succeeded", operationStatus(cancelId), "cancelling succeeded: the job is Cancelled");
        follow(cancel.header("Location")).then().statusCode(200)
                .body("id", equalTo(VAULT + "/replicationJobs/" + job))
                .body("properties.state", equalTo("Cancelled"));
        given().get(arm(VAULT + "/replicationOperationStatus/" + failbackId)).then()
                .body("status", equalTo("Canceled")).body("error.code", equalTo("OperationCanceled"));
        assertEquals("Canceled", operationStatus(resumeId));
    }

    @Test
    void aRetriedPostWithTheSameClientRequestIdAnswersTheSameOperationAndStartsOneJob() {
        registerInAzure("vm-arm-retry", "host-arm-retry");
        String clientRequestId = UUID.randomUUID().toString();
        Response first = post(ITEMS + "vm-arm-retry/plannedFailover", clientRequestId, FAILBACK_FOR_SYNCHRONIZATION);
        first.then().statusCode(202);
        Response again = post(ITEMS + "vm-arm-retry/plannedFailover", clientRequestId, FAILBACK_FOR_SYNCHRONIZATION);
        again.then().statusCode(202);
        assertEquals(first.header("Azure-AsyncOperation"), again.header("Azure-AsyncOperation"));
        assertEquals(first.header("Location"), again.header("Location"));
        assertEquals(jobOf(first), jobOf(again));
        given().get("/api/replicationJobs?targetObjectId=vm-arm-retry").then().body("value.size()", equalTo(1));

        // The same id for something else is a client's mistake, answered in ARM's shape.
        post(ITEMS + "vm-arm-retry/failoverCommit", clientRequestId, null).then().statusCode(422)
                .body("error.code", equalTo("RequestIdReused"));
        // Without the header every request is its own operation.
        Response unnamed = post(ITEMS + "vm-arm-retry/failoverCommit", null, null);
        unnamed.then().statusCode(409).body("error.code", equalTo("OperationNotAllowed"));
    }

    @Test
    void enableProtectionFindsTheVmsHostAndVirtualSwitchAmongTheConnectedHosts() throws IOException {
        HttpServer hostA = fakeHost(Map.of("vm-arm-onprem", "vSwitch-Lab", "vm-arm-twice", "vSwitch-Prod"));
        HttpServer hostB = fakeHost(Map.of("vm-arm-twice", "vSwitch-Prod"));
        boolean hostAStopped = false;
        try {
            heartbeat("host-arm-a", "http://127.0.0.1:" + hostA.getAddress().getPort());
            heartbeat("host-arm-b", "http://127.0.0.1:" + hostB.getAddress().getPort());

            given().get(arm(CONTAINER + "/replicationProtectableItems")).then().statusCode(200)
                    .body("value.name", hasItem("vm-arm-onprem"))
                    .body("value.find { it.name == 'vm-arm-onprem' }.properties.protectionStatus", equalTo("Unprotected"));

            String operationId = "op-" + UUID.randomUUID();
            Response accepted = given().contentType(ContentType.JSON).header("x-ms-client-request-id", operationId).body("""
                    {"properties": {"policyId": "%s/replicationPolicies/default",
                      "protectableItemId": "%s/replicationProtectableItems/vm-arm-onprem",
                      "providerSpecificDetails": {"instanceType": "HyperVReplicaAzure", "targetAzureVmName": "vm-arm-onprem-azure"}}}"""
                    .formatted(VAULT, CONTAINER)).put(arm(ITEMS + "vm-arm-onprem"));
            accepted.then().statusCode(202)
                    .header("Azure-AsyncOperation", equalTo(origin() + VAULT + "/replicationOperationStatus/" + operationId + "?" + API_VERSION))
                    .body("properties.scenarioName", equalTo("EnableProtection"));
            assertEquals("InProgress", operationStatus(operationId));
            given().get(arm(ITEMS + "vm-arm-onprem")).then().statusCode(200)
                    .body("properties.recoveryServicesProviderId", endsWith("/replicationRecoveryServicesProviders/host-arm-a"))
                    .body("properties.protectableItemId", equalTo(CONTAINER + "/replicationProtectableItems/vm-arm-onprem"))
                    .body("properties.providerSpecificDetails.primaryVirtualSwitchName", equalTo("vSwitch-Lab"))
                    .body("properties.providerSpecificDetails.recoveryAzureVmName", equalTo("vm-arm-onprem-azure"))
                    .body("properties.activeLocation", equalTo("Primary"));
            given().get(arm(CONTAINER + "/replicationProtectableItems/vm-arm-onprem")).then().statusCode(200)
                    .body("properties.protectionStatus", equalTo("Protected"))
                    .body("properties.replicationProtectedItemId", equalTo(ITEMS + "vm-arm-onprem"));

            String enable = "{\"properties\": {\"providerSpecificDetails\": {\"instanceType\": \"HyperVReplicaAzure\", \"vmName\": \"%s\"}}}";
            given().contentType(ContentType.JSON).body(enable.formatted("vm-arm-nowhere")).put(arm(ITEMS + "vm-arm-nowhere"))
                    .then().statusCode(404).body("error.code", equalTo("ProtectableItemNotFound"));
            given().contentType(ContentType.JSON).body(enable.formatted("vm-arm-twice")).put(arm(ITEMS + "vm-arm-twice"))
                    .then().statusCode(409).body("error.code", equalTo("ProtectableItemAmbiguous"));
            given().contentType(ContentType.JSON).body("{\"properties\": {}}").put(arm(ITEMS + "vm-arm-unnamed"))
                    .then().statusCode(400).body("error.code", equalTo("ProtectableItemRequired"));

            // The SDK retries the PUT with the same client request id after the VM's host went away: the same operation.
            hostA.stop(0);
            hostAStopped = true;
            given().contentType(ContentType.JSON).header("x-ms-client-request-id", operationId).body(enable.formatted("vm-arm-onprem"))
                    .put(arm(ITEMS + "vm-arm-onprem")).then().statusCode(202)
                    .header("Azure-AsyncOperation", equalTo(accepted.header("Azure-AsyncOperation")));
        } finally {
            if (!hostAStopped) {
                hostA.stop(0);
            }
            hostB.stop(0);
        }
    }

    /** A host-agent that answers only {@code GET /api/vms[/{name}]}, with these VMs and their switches. */
    private static HttpServer fakeHost(Map<String, String> switchOfVm) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/vms", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String name = path.length() > "/api/vms/".length() ? path.substring("/api/vms/".length()) : null;
            String body;
            int status = 200;
            if (name == null) {
                body = switchOfVm.entrySet().stream().map(vm -> vmJson(vm.getKey(), vm.getValue()))
                        .collect(java.util.stream.Collectors.joining(",", "[", "]"));
            } else if (switchOfVm.containsKey(name)) {
                body = vmJson(name, switchOfVm.get(name));
            } else {
                status = 404;
                body = "{\"type\": \"VmNotFound\", \"status\": 404}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return server;
    }

    private static String vmJson(String name, String virtualSwitch) {
        return "{\"name\": \"%s\", \"state\": \"Running\", \"disks\": [], \"virtualSwitchName\": \"%s\", \"generation\": 2}"
                .formatted(name, virtualSwitch);
    }

    /** A mutating ARM endpoint, the least role that may call it, and a body the SDK would send. */
    private record Endpoint(String method, String path, String leastRole, String body) {
        Response call(String authorization) {
            RequestSpecification request = given().contentType(ContentType.JSON).header("Authorization", authorization);
            if (body != null) {
                request.body(body);
            }
            return request.request(method, arm(path));
        }
    }

    private static List<Endpoint> mutatingEndpoints() {
        String item = ITEMS + "vm-arm-nobody";
        String job = VAULT + "/replicationJobs/" + UUID.randomUUID();
        String plan = VAULT + "/replicationRecoveryPlans/plan-arm-nobody";
        String planned = FAILBACK_FOR_SYNCHRONIZATION;
        String unplanned = "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"sourceSiteOperations\": \"NotRequired\"}}";
        String test = "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", \"networkType\": \"NoNetwork\"}}";
        String cleanup = "{\"properties\": {\"comments\": \"fine\"}}";
        return List.of(
                new Endpoint("PUT", item, Roles.CONTRIBUTOR, "{\"properties\": {\"protectableItemId\": \"" + CONTAINER
                        + "/replicationProtectableItems/vm-arm-nobody\", \"providerSpecificDetails\": {\"instanceType\": \"HyperVReplicaAzure\"}}}"),
                new Endpoint("DELETE", item, Roles.CONTRIBUTOR, null),
                new Endpoint("POST", item + "/remove", Roles.CONTRIBUTOR, "{\"properties\": {\"disableProtectionReason\": \"NotSpecified\"}}"),
                new Endpoint("POST", item + "/plannedFailover", Roles.OPERATOR, planned),
                new Endpoint("POST", item + "/unplannedFailover", Roles.OPERATOR, unplanned),
                new Endpoint("POST", item + "/testFailover", Roles.OPERATOR, test),
                new Endpoint("POST", item + "/testFailoverCleanup", Roles.OPERATOR, cleanup),
                new Endpoint("POST", item + "/failoverCommit", Roles.OPERATOR, null),
                new Endpoint("POST", item + "/failoverCancel", Roles.OPERATOR, null),
                new Endpoint("POST", item + "/reProtect", Roles.OPERATOR, "{\"properties\": {\"failoverDirection\": \"PrimaryToRecovery\", "
                        + "\"providerSpecificDetails\": {\"instanceType\": \"HyperVReplicaAzure\"}}}"),
                new Endpoint("POST", item + "/repairReplication", Roles.OPERATOR, null),
                new Endpoint("POST", job + "/resume", Roles.OPERATOR, "{\"properties\": {\"comments\": \"go\"}}"),
                new Endpoint("POST", job + "/restart", Roles.OPERATOR, null),
                new Endpoint("POST", job + "/cancel", Roles.OPERATOR, null),
                new Endpoint("PUT", plan, Roles.CONTRIBUTOR, "{\"properties\": {\"primaryFabricId\": \"" + VAULT
                        + "/replicationFabrics/hyperv-site\", \"recoveryFabricId\": \"" + VAULT + "/replicationFabrics/azure\", "
                        + "\"groups\": [{\"groupType\": \"Boot\", \"replicationProtectedItems\": [{\"id\": \"" + item + "\"}]}]}}"),
                new Endpoint("DELETE", plan, Roles.CONTRIBUTOR, null),
                new Endpoint("POST", plan + "/plannedFailover", Roles.OPERATOR, "{\"properties\": {\"failoverDirection\": \"RecoveryToPrimary\", "
                        + "\"providerSpecificDetails\": [{\"instanceType\": \"HyperVReplicaAzureFailback\", \"dataSyncOption\": \"ForSynchronization\"}]}}"),
                new Endpoint("POST", plan + "/unplannedFailover", Roles.OPERATOR, unplanned),
                new Endpoint("POST", plan + "/testFailover", Roles.OPERATOR, test),
                new Endpoint("POST", plan + "/testFailoverCleanup", Roles.OPERATOR, cleanup),
                new Endpoint("POST", plan + "/failoverCommit", Roles.OPERATOR, null),
                new Endpoint("POST", plan + "/reProtect", Roles.OPERATOR, null));
    }

    @Test
    void everyMutatingArmEndpointRefusesAMissingExpiredOrForeignTokenWith401() {
        for (Endpoint endpoint : mutatingEndpoints()) {
            for (String authorization : List.of("", TestTokens.bearer(TestTokens.expired()), TestTokens.bearer(TestTokens.otherAudience()),
                    "Bearer not-a-token")) {
                endpoint.call(authorization).then().statusCode(401).contentType(ContentType.JSON)
                        .header("WWW-Authenticate", startsWith("Bearer"))
                        .body("error.code", equalTo("AuthenticationFailed"));
            }
        }
    }

    @Test
    void everyMutatingArmEndpointAdmitsItsLeastRoleAndAboveAndRefusesTheOthersWith403AuthorizationFailed() {
        List<String> ladder = List.of(Roles.READER, Roles.OPERATOR, Roles.CONTRIBUTOR);
        Map<String, String> tokens = Map.of(Roles.READER, TestTokens.reader(), Roles.OPERATOR, TestTokens.operator(),
                Roles.CONTRIBUTOR, TestTokens.contributor());
        List<String> wrong = new ArrayList<>();
        for (Endpoint endpoint : mutatingEndpoints()) {
            Response noRole = endpoint.call(TestTokens.bearer(TestTokens.token("nobody@test")));
            if (noRole.statusCode() != 403) {
                wrong.add(endpoint.method() + " " + endpoint.path() + " without a role: " + noRole.statusCode());
            }
            for (String role : ladder) {
                Response response = endpoint.call(TestTokens.bearer(tokens.get(role)));
                boolean allowed = ladder.indexOf(role) >= ladder.indexOf(endpoint.leastRole());
                if (allowed && (response.statusCode() == 401 || response.statusCode() == 403)) {
                    wrong.add(endpoint.method() + " " + endpoint.path() + " refused " + role + ": " + response.statusCode());
                }
                if (!allowed) {
                    if (response.statusCode() != 403 || !"AuthorizationFailed".equals(response.path("error.code"))
                            || !response.contentType().startsWith("application/json")) {
                        wrong.add(endpoint.method() + " " + endpoint.path() + " let " + role + " through: " + response.statusCode());
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));

        // Reads and polls are a Reader's; a token without a role reads nothing.
        for (String read : List.of(VAULT + "/replicationFabrics", ITEMS.substring(0, ITEMS.length() - 1), VAULT + "/replicationJobs",
                VAULT + "/replicationRecoveryPlans", VAULT + "/replicationRecoveryServicesProviders",
                VAULT + "/replicationOperationStatus/never-started")) {
            int asReader = given().header("Authorization", TestTokens.bearer(TestTokens.reader())).get(arm(read)).statusCode();
            assertFalse(asReader == 401 || asReader == 403, read + " refused a Reader: " + asReader);
            given().header("Authorization", TestTokens.bearer(TestTokens.token("nobody@test"))).get(arm(read)).then().statusCode(403)
                    .body("error.code", equalTo("AuthorizationFailed"));
        }
    }

    @Test
    void recoveryPlansArePutAndDeletedAtOnceAndTheirFailoverIsALongRunningOperationOnThePlan() {
        registerInAzure("vm-arm-plan", "host-arm-plan");
        String plan = VAULT + "/replicationRecoveryPlans/plan-arm";
        String body = """
                {"properties": {"primaryFabricId": "%1$s/replicationFabrics/hyperv-site", "recoveryFabricId": "%1$s/replicationFabrics/azure",
                  "failoverDeploymentModel": "ResourceManager",
                  "groups": [{"groupType": "Shutdown"}, {"groupType": "Failover"},
                    {"groupType": "Boot", "replicationProtectedItems": [{"id": "%2$svm-arm-plan", "virtualMachineId": "vm-arm-plan"}],
                     "startGroupActions": [{"actionName": "check", "failoverTypes": ["PlannedFailover"], "failoverDirections": ["RecoveryToPrimary"],
                       "customDetails": {"instanceType": "ScriptActionDetails", "path": "check.ps1", "fabricLocation": "Primary"}}]}]}}"""
                .formatted(VAULT, ITEMS);
        given().contentType(ContentType.JSON).body(body).put(arm(plan)).then().statusCode(201)
                .body("id", equalTo(plan))
                .body("type", equalTo("Microsoft.RecoveryServices/vaults/replicationRecoveryPlans"))
                .body("properties.groups[2].replicationProtectedItems[0].id", equalTo(ITEMS + "vm-arm-plan"))
                .body("properties.groups[2].startGroupActions[0].customDetails.path", equalTo("check.ps1"));
        given().contentType(ContentType.JSON).body(body).put(arm(plan)).then().statusCode(200);

        heartbeat("host-arm-plan", "http://127.0.0.1:1/host-arm-plan");
        String operationId = "op-" + UUID.randomUUID();
        Response accepted = post(plan + "/plannedFailover", operationId, """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": [{"instanceType": "HyperVReplicaAzureFailback",
                  "dataSyncOption": "ForSynchronization", "recoveryVmCreationOption": "CreateVmIfNotFound"}]}}""");
        accepted.then().statusCode(202).body("properties.scenarioName", equalTo("RecoveryPlanPlannedFailover"))
                .body("properties.targetInstanceType", equalTo("RecoveryPlan"));
        assertEquals("InProgress", operationStatus(operationId));
        given().get(arm(plan)).then().body("properties.currentScenario.jobId", equalTo(VAULT + "/replicationJobs/" + jobOf(accepted)));
        given().delete(arm(plan)).then().statusCode(409).body("error.code", not(nullValue()));

        given().post(arm(VAULT + "/replicationJobs/" + jobOf(accepted) + "/cancel")).then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> "Canceled".equals(operationStatus(operationId)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().delete(arm(plan)).then().statusCode(204));
        given().get(arm(plan)).then().statusCode(404).body("error.code", equalTo("RecoveryPlanNotFound"));
        given().delete(arm(plan)).then().statusCode(204);
    }

    @Test
    void anOperationStartedThroughArmIsTheSameJobAsSeenThroughApi() {
        registerInAzure("vm-arm-same", "host-arm-same");
        String job = jobOf(post(ITEMS + "vm-arm-same/plannedFailover", null, FAILBACK_FOR_SYNCHRONIZATION).then().statusCode(202).extract().response());
        given().get("/api/replicationJobs/" + job).then().statusCode(200).body("properties.targetObjectId", equalTo("vm-arm-same"));
        given().get("/api/replicationProtectedItems/vm-arm-same").then().body("properties.currentScenario.jobId", equalTo(job));
        assertNotNull(job);
        assertNotEquals("", job);
    }
}
