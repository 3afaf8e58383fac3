package io.failback.hostagent;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The host tells job-service it is connected: heartbeats on the real broker, keyed and filled in from its configuration. */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
class HeartbeatTest {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    @Test
    void heartbeatsCarryTheHostsIdNameUrlAndSwitchesKeyedByItsProviderId() throws Exception {
        Map<String, Object> host = given().when().get("/api/host").then().statusCode(200).extract().as(Map.class);

        ConsumerRecord<String, String> record = awaitRecord(Topics.PROVIDER_HEARTBEATS, Duration.ofSeconds(20));

        assertEquals("host-a", record.key());
        ProviderHeartbeat heartbeat = JSON.readValue(record.value(), ProviderHeartbeat.class);
        assertEquals(ContractVersions.PROVIDER_HEARTBEAT, heartbeat.schemaVersion());
        assertEquals(host.get("providerId"), heartbeat.providerId());
        assertEquals("hyperv-a.contoso.local", heartbeat.friendlyName());
        assertEquals(host.get("url"), heartbeat.baseUrl());
        assertEquals(List.of("vSwitch-Prod", "vSwitch-Test"), heartbeat.virtualSwitches());
        assertEquals(host.get("virtualSwitches"), heartbeat.virtualSwitches());
        assertNotNull(heartbeat.sentAt());
    }

    private static ConsumerRecord<String, String> awaitRecord(String topic, Duration timeout) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerTestResource.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    return record;
                }
            }
            throw new AssertionError("no heartbeat on " + topic + " within " + timeout);
        }
    }
}
