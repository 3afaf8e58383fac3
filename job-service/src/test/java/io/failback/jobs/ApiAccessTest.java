package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.oneOf;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Who may call {@code /api}: a valid token of the trusted issuer for this API's audience, and the least role each
 * endpoint names — Reader reads, Operator runs failovers and jobs, Contributor also protects, removes and edits
 * recovery plans. Every mutating call, accepted or refused, lands in the audit trail with its caller.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class ApiAccessTest {

    /** Every mutating endpoint of /api with the least role it needs. */
    private record Endpoint(String method, String path, String leastRole) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static final List<Endpoint> MUTATING = List.of(
            new Endpoint("PUT", "/api/replicationProtectedItems/vm-x", Roles.CONTRIBUTOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/plannedFailover", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/unplannedFailover", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/testFailover", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/testFailoverCleanup", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/repairReplication", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/failoverCommit", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/failoverCancel", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/reprotect", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationProtectedItems/vm-x/remove", Roles.CONTRIBUTOR),
            new Endpoint("POST", "/api/replicationJobs/job-x/resume", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationJobs/job-x/restart", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationJobs/job-x/cancel", Roles.OPERATOR),
            new Endpoint("PUT", "/api/replicationRecoveryPlans/plan-x", Roles.CONTRIBUTOR),
            new Endpoint("DELETE", "/api/replicationRecoveryPlans/plan-x", Roles.CONTRIBUTOR),
            new Endpoint("POST", "/api/replicationRecoveryPlans/plan-x/plannedFailover", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationRecoveryPlans/plan-x/unplannedFailover", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationRecoveryPlans/plan-x/testFailover", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationRecoveryPlans/plan-x/testFailoverCleanup", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationRecoveryPlans/plan-x/failoverCommit", Roles.OPERATOR),
            new Endpoint("POST", "/api/replicationRecoveryPlans/plan-x/reprotect", Roles.OPERATOR));

    private static final List<String> READS = List.of("/api/replicationProtectedItems", "/api/replicationJobs",
            "/api/replicationRecoveryPlans", "/api/replicationFabrics", "/api/replicationRecoveryServicesProviders", "/api/auditRecords",
            "/api/replicationProtectedItems/vm-x/failbackEstimate", "/api/replicationRecoveryPlans/plan-x/failbackEstimate");

    /** Reads that must not even tell an anonymous caller whether the resource exists. */
    private static final List<String> READS_OF_UNKNOWN = List.of("/api/replicationJobs/no-such-job",
            "/api/replicationJobs/no-such-job/events", "/api/replicationProtectedItems/no-such-item");

    /** Which roles include which: a Contributor may do what an Operator may, an Operator what a Reader may. */
    private static final Map<String, List<String>> GRANTED_BY = Map.of(
            Roles.READER, List.of(Roles.READER, Roles.OPERATOR, Roles.CONTRIBUTOR),
            Roles.OPERATOR, List.of(Roles.OPERATOR, Roles.CONTRIBUTOR),
            Roles.CONTRIBUTOR, List.of(Roles.CONTRIBUTOR));

    private static Response call(Endpoint endpoint, String token) {
        var request = given().contentType(ContentType.JSON).body("{}");
        if (token != null) {
            request.header("Authorization", TestTokens.bearer(token));
        }
        return request.request(endpoint.method(), endpoint.path());
    }

    @Test
    void everyMutatingEndpointRefusesARoleBelowItsOwnWith403AndLetsItsRolesThrough() {
        for (Endpoint endpoint : MUTATING) {
            for (String role : List.of(Roles.READER, Roles.OPERATOR, Roles.CONTRIBUTOR)) {
                Response response = call(endpoint, TestTokens.token("role-check@test", role));
                if (GRANTED_BY.get(endpoint.leastRole()).contains(role)) {
                    // Let through: the operation itself answers (the item, job or plan does not exist, or the body is empty).
                    response.then().statusCode(not(oneOf(401, 403)));
                } else {
                    response.then().statusCode(403).contentType("application/problem+json").body("type", equalTo("AuthorizationFailed"));
                }
            }
            // A valid token without any Site Recovery role is allowed nothing.
            call(endpoint, TestTokens.token("no-role@test")).then().statusCode(403);
        }
    }

    @Test
    void everyEndpointRefusesACallWithoutAValidTokenWith401() {
        RestAssured.replaceFiltersWith(List.of());
        for (String token : new String[] {null, TestTokens.expired(), TestTokens.otherAudience(), "not-a-jwt"}) {
            for (Endpoint endpoint : MUTATING) {
                call(endpoint, token).then().statusCode(401).header("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer"))
                        .contentType("application/problem+json").body("type", equalTo("AuthenticationFailed"));
            }
            for (String read : READS) {
                var request = given();
                if (token != null) {
                    request.header("Authorization", TestTokens.bearer(token));
                }
                request.get(read).then().statusCode(401);
            }
            for (String read : READS_OF_UNKNOWN) {
                var request = given();
                if (token != null) {
                    request.header("Authorization", TestTokens.bearer(token));
                }
                request.get(read).then().statusCode(401);
            }
        }
        // Health stays open for the probes.
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void aReaderReadsEverythingAndAJobNamesTheOperatorWhoStartedIt() {
        for (String read : READS) {
            given().header("Authorization", TestTokens.bearer(TestTokens.reader())).get(read).then().statusCode(not(oneOf(401, 403)));
        }
        heartbeat("host-access");
        given().contentType(ContentType.JSON).body("""
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "host-access", "primaryVirtualSwitchName": "vSwitch-Prod",
                  "recoveryAzureVmName": "vm-access"}}""").put("/api/replicationProtectedItems/vm-access").then().statusCode(201);
        String job = given().header("Authorization", TestTokens.bearer(TestTokens.token("alice@contoso", Roles.OPERATOR)))
                .header("Idempotency-Key", "access-failback-1").contentType(ContentType.JSON).body("""
                        {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                          "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForSynchronization"}}}""")
                .post("/api/replicationProtectedItems/vm-access/plannedFailover").then().statusCode(202)
                .body("properties.startedBy", equalTo("alice@contoso")).extract().path("name");
        given().get("/api/replicationJobs/" + job).then().body("properties.startedBy", equalTo("alice@contoso"));

        // Bob, a reader, may not cancel it; the refusal is recorded under his name, the acceptance under Alice's.
        given().header("Authorization", TestTokens.bearer(TestTokens.token("bob@contoso", Roles.READER)))
                .post("/api/replicationJobs/" + job + "/cancel").then().statusCode(403);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            given().get("/api/auditRecords?subject=bob@contoso").then().statusCode(200)
                    .body("value[0].properties.outcome", equalTo("Forbidden"))
                    .body("value[0].properties.status", equalTo(403))
                    .body("value[0].properties.operation", equalTo("cancel"))
                    .body("value[0].properties.target", equalTo(job));
            given().get("/api/auditRecords?subject=alice@contoso").then().statusCode(200)
                    .body("value[0].properties.outcome", equalTo("Accepted"))
                    .body("value[0].properties.status", equalTo(202))
                    .body("value[0].properties.operation", equalTo("plannedFailover"))
                    .body("value[0].properties.target", equalTo("vm-access"))
                    .body("value[0].properties.requestId", equalTo("access-failback-1"))
                    .body("value[0].properties.jobName", equalTo(job));
        });
    }

    @Test
    void aCallWithoutATokenIsAuditedWithoutACaller() {
        RestAssured.replaceFiltersWith(List.of());
        given().contentType(ContentType.JSON).body("{}").post("/api/replicationProtectedItems/vm-anonymous/failoverCommit")
                .then().statusCode(401);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Map<String, Object>> records = given().header("Authorization", TestTokens.bearer(TestTokens.reader()))
                    .get("/api/auditRecords?target=vm-anonymous").then().statusCode(200).extract().path("value.properties");
            assertEquals(1, records.size(), String.valueOf(records));
            assertEquals("Unauthenticated", records.get(0).get("outcome"));
            assertEquals(null, records.get(0).get("subject"));
        });
        // Reads are not audited: the trail holds what changed or tried to.
        given().header("Authorization", TestTokens.bearer(TestTokens.reader())).get("/api/auditRecords?$top=1000").then()
                .body("value.properties.method", not(hasItem("GET")));
    }

    private static void heartbeat(String providerId) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                    providerId, providerId, "http://127.0.0.1:1/" + providerId, List.of("vSwitch-Prod"), Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + providerId).then()
                    .body("properties.connectionStatus", equalTo("Connected"));
        });
    }
}
