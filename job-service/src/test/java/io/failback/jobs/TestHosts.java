package io.failback.jobs;

import static io.restassured.RestAssured.given;

import io.failback.contracts.hosts.HostRegistration;
import io.failback.contracts.messaging.HeartbeatSignature;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaTestClient;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Hosts as the tests play them: a host registers once (with a registration key a Contributor creates, as a real
 * host-agent does at its first start) and signs every heartbeat with the key it registered. Only what a test sends
 * through {@link #heartbeat} or {@link #sendSigned} is signed; a raw send is a forgery.
 */
public final class TestHosts {
    private static final Map<String, KeyPair> KEYS = new ConcurrentHashMap<>();

    private TestHosts() {
    }

    /** Registers the heartbeat's host at its URL if it has not registered yet, then sends the heartbeat signed. */
    public static RecordMetadata heartbeat(ProviderHeartbeat heartbeat) {
        register(heartbeat.providerId(), heartbeat.baseUrl());
        return sendSigned(heartbeat.providerId(), KafkaTestClient.JSON.valueToTree(heartbeat).toString());
    }

    /** The record {@code value}, signed by the registered host {@code providerId}. */
    public static RecordMetadata sendSigned(String providerId, String value) {
        KeyPair keys = KEYS.get(providerId);
        if (keys == null) {
            throw new IllegalStateException(providerId + " has not registered in this test run");
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return KafkaTestClient.send(Topics.PROVIDER_HEARTBEATS, providerId, bytes,
                Map.of(HeartbeatSignature.HEADER, HeartbeatSignature.sign(bytes, keys.getPrivate()).getBytes(StandardCharsets.US_ASCII)));
    }

    /** Registers {@code providerId} at {@code url}, once per test run. */
    public static KeyPair register(String providerId, String url) {
        return KEYS.computeIfAbsent(providerId, id -> {
            KeyPair keys = newKeyPair();
            String keyName = "test-" + UUID.randomUUID();
            String secret = given().header("Authorization", TestTokens.bearer(TestTokens.contributor())).put("/api/hostRegistrationKeys/" + keyName).then().statusCode(201).extract().path("properties.key");
            given().header("Authorization", TestTokens.bearer(TestTokens.contributor())).header(HostRegistration.KEY_HEADER, secret).contentType(ContentType.JSON)
                    .body(new HostRegistration(id + ".contoso.local", url, java.util.List.of("vSwitch-Prod", "vSwitch-Test"),
                            Base64.getEncoder().encodeToString(keys.getPublic().getEncoded())))
                    .put("/api/replicationRecoveryServicesProviders/" + id).then().statusCode(201);
            return keys;
        });
    }

    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
