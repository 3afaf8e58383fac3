package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.hosts.HostRegistration;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.HeartbeatSignature;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hosts join with a one-time key and are pinned to the key pair and address they registered: what a Contributor does
 * with keys, what a registration gets and is refused, and that heartbeats from anyone but the registered host change
 * nothing. The end-to-end proof with real host-agents is HostRegistrationIT.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class HostRegistrationTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool database;

    /** An installation from before registration: its hosts were recorded from their heartbeats, with no key. */
    @Test
    void aHostRecordedBeforeRegistrationExistedIsClaimedByAValidKeyAndRefusedUntilThen() {
        database.query("insert into fabric_provider (providerid, baseurl, friendlyname, details) values"
                + " ('host-legacy', 'http://127.0.0.1:1/host-legacy', 'legacy', '{\"virtualSwitches\": [\"vSwitch-Prod\"]}')")
                .execute().await().atMost(TIMEOUT);
        double before = refusedHeartbeats();
        KafkaTestClient.send(Topics.PROVIDER_HEARTBEATS, "host-legacy",
                json(heartbeat("host-legacy", "http://127.0.0.1:1/host-legacy", Instant.now())), Map.of());
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(refusedHeartbeats() > before));
        given().get("/api/replicationRecoveryServicesProviders/host-legacy").then().body("properties.connectionStatus", equalTo("NotConnected"));
        register("host-legacy", createKey("key-legacy"), "http://127.0.0.1:1/host-legacy-now", TestHosts.newKeyPair()).then().statusCode(201);
        given().get("/api/replicationRecoveryServicesProviders/host-legacy").then().body("properties.url", equalTo("http://127.0.0.1:1/host-legacy-now"));
        register("host-legacy", createKey("key-legacy-again"), "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then().statusCode(409);
    }

    @Test
    void aKeyIsShownOnceRegistersOneHostAndItsCertificateNamesTheHost() throws Exception {
        String secret = createKey("key-once");
        given().get("/api/hostRegistrationKeys").then().statusCode(200)
                .body("value.find { it.name == 'key-once' }.properties.state", equalTo("Active"))
                .body("value.find { it.name == 'key-once' }.properties.key", nullValue());
        KeyPair keys = TestHosts.newKeyPair();
        String chain = register("host-reg-once", secret, "http://127.0.0.1:1/host-reg-once", keys).then().statusCode(201)
                .body("providerId", equalTo("host-reg-once")).extract().path("certificateChain");
        List<X509Certificate> certificates = new ArrayList<>();
        CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII)))
                .forEach(c -> certificates.add((X509Certificate) c));
        assertEquals(2, certificates.size());
        X509Certificate leaf = certificates.get(0);
        assertEquals("CN=host-reg-once,OU=hosts,O=Failback", leaf.getSubjectX500Principal().getName());
        assertEquals(keys.getPublic(), leaf.getPublicKey());
        leaf.verify(certificates.get(1).getPublicKey());
        assertTrue(leaf.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")));
        assertTrue(leaf.getSubjectAlternativeNames().stream().anyMatch(name -> "127.0.0.1".equals(name.get(1))));
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/auditRecords?target=host-reg-once").then()
                .body("value.properties.subject", hasItem("hostRegistrationKey:key-once")));
        given().get("/api/hostRegistrationKeys/key-once").then()
                .body("properties.state", equalTo("Used")).body("properties.usedByProvider", equalTo("host-reg-once"));

        register("host-reg-twice", secret, "http://127.0.0.1:1/host-reg-twice", TestHosts.newKeyPair()).then().statusCode(403)
                .body("type", equalTo("RegistrationKeyRefused"));
        given().get("/api/replicationRecoveryServicesProviders/host-reg-twice").then().statusCode(404);
    }

    @Test
    void registrationsWithoutAGoodKeyOrWithBadInputAreRefusedAndRegisterNothing() {
        register("host-reg-bad", null, "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then().statusCode(401)
                .body("type", equalTo("RegistrationKeyMissing"));
        register("host-reg-bad", "fbr_made-up", "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then().statusCode(403)
                .body("type", equalTo("RegistrationKeyRefused"));
        String revoked = createKey("key-revoked");
        given().post("/api/hostRegistrationKeys/key-revoked/revoke").then().statusCode(200).body("properties.state", equalTo("Revoked"));
        register("host-reg-bad", revoked, "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then().statusCode(403)
                .body("detail", equalTo("the registration key 'key-revoked' is revoked; create a new one"));
        String good = createKey("key-after-bad-input");
        register("host-reg-bad", good, "ftp://somewhere/x", TestHosts.newKeyPair()).then().statusCode(400).body("type", equalTo("InvalidRegistration"));
        given().header(HostRegistration.KEY_HEADER, good).contentType(ContentType.JSON)
                .body(new HostRegistration("h", "http://127.0.0.1:1/x", List.of("vSwitch-Prod"), "bm90IGEga2V5"))
                .put("/api/replicationRecoveryServicesProviders/host-reg-bad").then().statusCode(400).body("type", equalTo("InvalidRegistration"));
        register("-not-a-name", good, "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then().statusCode(400).body("type", equalTo("InvalidName"));
        given().get("/api/replicationRecoveryServicesProviders/host-reg-bad").then().statusCode(404);
        // Bad input spent nothing: the key still registers the host.
        register("host-reg-bad", good, "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then().statusCode(201);
        register("host-reg-bad", createKey("key-second-registration"), "http://127.0.0.1:1/x", TestHosts.newKeyPair()).then()
                .statusCode(409).body("type", equalTo("ProviderAlreadyRegistered"));
        given().header("Authorization", TestTokens.bearer(TestTokens.operator())).put("/api/hostRegistrationKeys/key-by-operator")
                .then().statusCode(403);
    }

    @Test
    void onlyTheRegisteredHostsSignedHeartbeatsAtItsAddressCountAndRemovalEndsThem() {
        String host = "host-pinned";
        String url = "http://127.0.0.1:1/" + host;
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            TestHosts.heartbeat(heartbeat(host, url, Instant.now()));
            given().get("/api/replicationRecoveryServicesProviders/" + host).then().body("properties.connectionStatus", equalTo("Connected"));
        });
        String lastHeartBeat = given().get("/api/replicationRecoveryServicesProviders/" + host).then().extract().path("properties.lastHeartBeat");

        byte[] moved = json(heartbeat(host, "http://attacker.example:8083", Instant.now().plusSeconds(1)));
        KafkaTestClient.send(Topics.PROVIDER_HEARTBEATS, host, moved, Map.of());
        KafkaTestClient.send(Topics.PROVIDER_HEARTBEATS, host, moved, Map.of(HeartbeatSignature.HEADER,
                HeartbeatSignature.sign(moved, TestHosts.newKeyPair().getPrivate()).getBytes(StandardCharsets.US_ASCII)));
        TestHosts.sendSigned(host, new String(json(heartbeat(host, "http://127.0.0.1:2/elsewhere", Instant.now().plusSeconds(2))),
                StandardCharsets.UTF_8));
        // A heartbeat for a host nobody registered creates none.
        KafkaTestClient.send(Topics.PROVIDER_HEARTBEATS, "host-never-registered",
                json(heartbeat("host-never-registered", url, Instant.now())), Map.of());
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(refusedHeartbeats() >= 4, "refused: " + refusedHeartbeats()));
        given().get("/api/replicationRecoveryServicesProviders/" + host).then()
                .body("properties.url", equalTo(url)).body("properties.lastHeartBeat", equalTo(lastHeartBeat));
        given().get("/api/replicationRecoveryServicesProviders/host-never-registered").then().statusCode(404);

        given().header("Authorization", TestTokens.bearer(TestTokens.operator())).delete("/api/replicationRecoveryServicesProviders/" + host)
                .then().statusCode(403);
        given().delete("/api/replicationRecoveryServicesProviders/" + host).then().statusCode(204);
        given().get("/api/replicationRecoveryServicesProviders/" + host).then().statusCode(404);
        double before = refusedHeartbeats();
        TestHosts.sendSigned(host, new String(json(heartbeat(host, url, Instant.now().plusSeconds(3))), StandardCharsets.UTF_8));
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(refusedHeartbeats() > before));
        given().get("/api/replicationRecoveryServicesProviders/" + host).then().statusCode(404);
        given().header("Authorization", TestTokens.bearer(TestTokens.reader())).get("/api/auditRecords?$top=1000").then()
                .body("value.properties.target", hasItem(host))
                .body("value.findAll { it.properties.target == '" + host + "' }.properties.operation", hasItem("delete"));
    }

    @Test
    void armsRemoveAndPurgeOfAProviderUnregisterTheHost() {
        String providers = "/subscriptions/sub-1/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/vault-1"
                + "/replicationFabrics/hyperv-site/replicationRecoveryServicesProviders/";
        TestHosts.register("host-arm-removed", "http://127.0.0.1:1/host-arm-removed");
        TestHosts.register("host-arm-purged", "http://127.0.0.1:1/host-arm-purged");
        given().header("Authorization", TestTokens.bearer(TestTokens.operator()))
                .post(providers + "host-arm-removed/remove?api-version=2023-06-01").then().statusCode(403);
        given().post(providers + "host-arm-removed/remove?api-version=2023-06-01").then().statusCode(204);
        given().delete(providers + "host-arm-purged?api-version=2023-06-01").then().statusCode(204);
        given().get(providers + "host-arm-removed?api-version=2023-06-01").then().statusCode(404);
        given().delete(providers + "host-arm-purged?api-version=2023-06-01").then().statusCode(404)
                .body("error.code", equalTo("ProviderNotFound"));
        given().get("/api/replicationRecoveryServicesProviders/host-arm-purged").then().statusCode(404);
    }

    private static double refusedHeartbeats() {
        String metrics = given().header("Authorization", TestTokens.bearer(TestTokens.reader())).get("/q/metrics").then().extract().asString();
        return metrics.lines().filter(line -> line.startsWith("failback_heartbeats_refused_total"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private static String createKey(String name) {
        String secret = given().put("/api/hostRegistrationKeys/" + name).then().statusCode(201)
                .body("properties.state", equalTo("Active")).body("properties.key", notNullValue()).extract().path("properties.key");
        given().put("/api/hostRegistrationKeys/" + name).then().statusCode(409);
        return secret;
    }

    private static io.restassured.response.Response register(String providerId, String secret, String url, KeyPair keys) {
        var request = given().noFilters();
        if (secret != null) {
            request = request.header(HostRegistration.KEY_HEADER, secret);
        }
        return request.contentType(ContentType.JSON)
                .body(new HostRegistration(providerId + ".contoso.local", url, List.of("vSwitch-Prod"),
                        Base64.getEncoder().encodeToString(keys.getPublic().getEncoded())))
                .put("/api/replicationRecoveryServicesProviders/" + providerId);
    }

    private static ProviderHeartbeat heartbeat(String host, String url, Instant sentAt) {
        return new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT, host, host, url, List.of("vSwitch-Prod"), sentAt);
    }

    private static byte[] json(Object value) {
        try {
            return KafkaTestClient.JSON.writeValueAsBytes(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
