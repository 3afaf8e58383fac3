package io.failback.hostagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.HeartbeatSignature;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * A registered host (here: a host whose identity key is in place) signs every heartbeat with its identity key over the exact bytes it sends (docs/contracts.md):
 * job-service can verify each one with the public key the host registered, and nothing else.
 */
@QuarkusTest
@TestProfile(SignedHeartbeatTest.RegisteredHost.class)
@WithTestResource(KafkaBrokerTestResource.class)
class SignedHeartbeatTest {
    static final Path STORAGE = Path.of("target", "host-agent-signed-test-data");
    static final KeyPair KEYS = HostIdentity.newKeyPair();

    /** A host whose identity is in its storage folder before it starts, as registration leaves it. */
    public static class RegisteredHost implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            HostIdentity.store(STORAGE, KEYS.getPrivate(), "not read by the heartbeats\n");
            try {
                // Only the key: the heartbeats need no more, and a certificate would be served by the HTTPS server.
                Files.delete(HostIdentity.certificateFile(STORAGE));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return Map.of("host-agent.storage-dir", STORAGE.toString(), "host-agent.provider-id", "host-signed");
        }
    }

    @Test
    void heartbeatsCarryASignatureOfTheirBytesByTheIdentityKey() throws Exception {
        ConsumerRecord<String, String> record = KafkaTestClient.awaitRecord(Topics.PROVIDER_HEARTBEATS,
                r -> "host-signed".equals(r.key()), Duration.ofSeconds(20));
        Header signature = record.headers().lastHeader(HeartbeatSignature.HEADER);
        byte[] value = record.value().getBytes(StandardCharsets.UTF_8);
        assertTrue(HeartbeatSignature.verify(value, new String(signature.value(), StandardCharsets.US_ASCII), KEYS.getPublic()));
        assertTrue(!HeartbeatSignature.verify(value, new String(signature.value(), StandardCharsets.US_ASCII),
                HostIdentity.newKeyPair().getPublic()), "another key does not verify it");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(HostIdentity.keyFile(STORAGE)));
    }
}
