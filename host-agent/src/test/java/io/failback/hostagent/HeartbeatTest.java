package io.failback.hostagent;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The host tells job-service it is connected: heartbeats on the real broker, keyed and filled in from its configuration. */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
class HeartbeatTest {
    @Test
    void heartbeatsCarryTheHostsIdNameUrlAndSwitchesKeyedByItsProviderId() throws Exception {
        Map<String, Object> host = given().when().get("/api/host").then().statusCode(200).extract().as(Map.class);

        ConsumerRecord<String, String> record = KafkaTestClient.awaitRecord(Topics.PROVIDER_HEARTBEATS, any -> true, Duration.ofSeconds(20));

        assertEquals("host-a", record.key());
        ProviderHeartbeat heartbeat = KafkaTestClient.JSON.readValue(record.value(), ProviderHeartbeat.class);
        assertEquals(ContractVersions.PROVIDER_HEARTBEAT, heartbeat.schemaVersion());
        assertEquals(host.get("providerId"), heartbeat.providerId());
        assertEquals("hyperv-a.contoso.local", heartbeat.friendlyName());
        assertEquals(host.get("url"), heartbeat.baseUrl());
        assertEquals(List.of("vSwitch-Prod", "vSwitch-Test"), heartbeat.virtualSwitches());
        assertEquals(host.get("virtualSwitches"), heartbeat.virtualSwitches());
        assertNotNull(heartbeat.sentAt());
    }
}
