package io.failback.jobs.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.HeartbeatSignature;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.jobs.service.ProviderRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads the hosts' heartbeats as the bytes they were signed over (a heartbeat is verified against exactly what the
 * host sent, not against a re-encoding), then hands them to {@link ProviderRegistry}. A refused heartbeat is logged
 * and counted ({@code failback_heartbeats_refused_total{reason}}), not dead-lettered: it is someone else's record, not
 * a poison one, and the topic's next records must flow.
 */
@ApplicationScoped
public class HeartbeatConsumer {
    private static final Logger LOG = Logger.getLogger(HeartbeatConsumer.class);

    private final ProviderRegistry registry;
    private final ObjectMapper json;
    private final MeterRegistry meters;

    public HeartbeatConsumer(ProviderRegistry registry, ObjectMapper json, MeterRegistry meters) {
        this.registry = registry;
        this.json = json;
        this.meters = meters;
    }

    @Incoming("provider-heartbeats")
    public Uni<Void> consume(byte[] value, IncomingKafkaRecordMetadata<String, byte[]> record) {
        ProviderHeartbeat heartbeat;
        try {
            heartbeat = value == null ? null : json.readValue(value, ProviderHeartbeat.class);
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(new IllegalArgumentException(e.getClass().getSimpleName() + ": " + e.getOriginalMessage()));
        } catch (IOException e) {
            return Uni.createFrom().failure(new IllegalArgumentException("the record is not a readable ProviderHeartbeat"));
        }
        if (heartbeat == null || heartbeat.providerId() == null || heartbeat.providerId().isBlank()) {
            return Uni.createFrom().failure(new IllegalArgumentException("the record is not a readable ProviderHeartbeat"));
        }
        if (heartbeat.schemaVersion() != ContractVersions.PROVIDER_HEARTBEAT) {
            return Uni.createFrom().failure(new IllegalArgumentException(
                    "ProviderHeartbeat schema version " + heartbeat.schemaVersion() + " is not supported"));
        }
        Header signature = record.getHeaders().lastHeader(HeartbeatSignature.HEADER);
        String signatureValue = signature == null || signature.value() == null ? null : new String(signature.value(), StandardCharsets.US_ASCII);
        // A heartbeat that cannot be recorded now (the database is away, job-service is stopping) is worth nothing
        // later: the host sends the next one in a few seconds. It is dropped, not dead-lettered.
        return registry.heartbeat(heartbeat, value, signatureValue)
                .invoke(refusal -> {
                    if (refusal != null) {
                        refused(heartbeat, refusal, record);
                    }
                })
                .replaceWithVoid()
                .onFailure(TransientFailures::isTransient).recoverWithUni(e -> {
                    LOG.infof("heartbeat of %s not recorded: %s; the next one will be", heartbeat.providerId(), e.getMessage());
                    return Uni.createFrom().voidItem();
                })
                .onFailure().invoke(e -> LOG.warnf(e, "heartbeat of %s not recorded", heartbeat.providerId()));
    }

    private void refused(ProviderHeartbeat heartbeat, ProviderRegistry.Refusal refusal, IncomingKafkaRecordMetadata<String, byte[]> record) {
        Counter.builder("failback.heartbeats.refused")
                .description("Heartbeats refused: from no registered host, not signed by the host's registered key, or advertising another address")
                .tag("reason", refusal.metricTag())
                .register(meters).increment();
        LOG.warnf("heartbeat for %s refused (partition %d, offset %d): %s", heartbeat.providerId(), record.getPartition(),
                record.getOffset(), refusal.reason());
    }
}
