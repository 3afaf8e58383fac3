package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.contracts.messaging.OperationResult;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Registering a protected item checks what it names before anything is stored: the on-premises host must have
 * registered, and a VM said to run in Azure must be there (asked of azure-sim, played by {@link AzureSimStandIn}).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
@WithTestResource(value = AzureSimStandIn.class, scope = TestResourceScope.GLOBAL)
class ItemRegistrationChecksTest {

    private static String inAzure(String providerId, String azureVmName) {
        return """
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s", "primaryVirtualSwitchName": "vSwitch-Prod",
                  "recoveryAzureVmName": "%s"}}""".formatted(providerId, azureVmName);
    }

    private static io.restassured.response.ValidatableResponse register(String name, String body) {
        return given().contentType(ContentType.JSON).body(body).put("/api/replicationProtectedItems/" + name).then();
    }

    @Test
    void anItemNamingAHostThatNeverRegisteredIsRefusedWith422() {
        register("vm-host-unknown", inAzure("host-nobody-knows", "vm-host-unknown")).statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("ProviderNotFound")).body("detail", containsString("host-nobody-knows"));
        register("vm-host-unknown-onprem", """
                {"properties": {"activeLocation": "Primary", "primaryProviderId": "host-nobody-knows", "primaryVirtualSwitchName": "vSwitch-Prod"}}""")
                .statusCode(422).body("type", equalTo("ProviderNotFound"));
        given().get("/api/replicationProtectedItems/vm-host-unknown").then().statusCode(404);
        given().get("/api/replicationProtectedItems/vm-host-unknown-onprem").then().statusCode(404);
    }

    @Test
    void theKafkaCommandApiRefusesTheSameWithTheSameProblem() throws Exception {
        KafkaTestClient.send(Topics.OPERATIONS, "vm-kafka-unknown", new OperationRequest(ContractVersions.OPERATION_REQUEST,
                "register-unknown-host", OperationRequest.Operation.EnableProtection, "vm-kafka-unknown",
                KafkaTestClient.JSON.readTree(inAzure("host-nobody-knows", "vm-kafka-unknown")).get("properties")));
        await().atMost(Duration.ofSeconds(30)).until(() -> KafkaTestClient.allRecords(Topics.OPERATION_RESULTS).stream()
                .anyMatch(r -> "register-unknown-host".equals(r.key())));
        OperationResult result = KafkaTestClient.JSON.readValue(KafkaTestClient.allRecords(Topics.OPERATION_RESULTS).stream()
                .filter(r -> "register-unknown-host".equals(r.key())).findFirst().orElseThrow().value(), OperationResult.class);
        assertFalse(result.accepted());
        assertEquals(422, result.problem().status());
        assertEquals("ProviderNotFound", result.problem().type());
    }

    @Test
    void anItemNamingAnAzureVmThatAzureDoesNotHaveIsRefusedWith422() {
        WaitingJobsTest.heartbeat("host-registration");
        register("vm-not-in-azure", inAzure("host-registration", AzureSimStandIn.ABSENT_PREFIX + "vm")).statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("AzureVmNotFound")).body("detail", containsString(AzureSimStandIn.ABSENT_PREFIX + "vm"));
        given().get("/api/replicationProtectedItems/vm-not-in-azure").then().statusCode(404);
        register("vm-in-azure", inAzure("host-registration", "vm-in-azure")).statusCode(201);
    }

    @Test
    void whileAzureSimIsAwayRegisteringAnswers503WithRetryAfterAndWorksWhenItIsBack() {
        WaitingJobsTest.heartbeat("host-registration-away");
        AzureSimStandIn.goAway();
        try {
            register("vm-azure-away", inAzure("host-registration-away", "vm-azure-away")).statusCode(503)
                    .contentType("application/problem+json")
                    .header("Retry-After", equalTo("5"))
                    .body("type", equalTo("AzureUnavailable"));
        } finally {
            AzureSimStandIn.comeBack();
        }
        given().get("/api/replicationProtectedItems/vm-azure-away").then().statusCode(404);
        register("vm-azure-away", inAzure("host-registration-away", "vm-azure-away")).statusCode(201);
    }
}
