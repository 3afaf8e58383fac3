package io.failback.hostagent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.HeartbeatSignature;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Instant;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Tells job-service this host is connected. A lost heartbeat needs no retry: the next one follows. Each is signed with
 * the host's identity key over the exact bytes sent ({@link HeartbeatSignature}); a host that has not registered sends
 * them unsigned, and job-service refuses them.
 */
@ApplicationScoped
public class HeartbeatSender {
    private static final Logger LOG = Logger.getLogger(HeartbeatSender.class);

    private final HostAgentConfig config;
    private final Emitter<byte[]> heartbeats;
    private final ObjectMapper json;
    private volatile PrivateKey identityKey;

    public HeartbeatSender(HostAgentConfig config, @Channel("provider-heartbeats") Emitter<byte[]> heartbeats, ObjectMapper json) {
        this.config = config;
        this.heartbeats = heartbeats;
        this.json = json;
    }

    @Scheduled(every = "${host-agent.heartbeat-interval:5s}", delayed = "0s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void beat() throws JsonProcessingException {
        ProviderHeartbeat heartbeat = new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT, config.providerId(),
                config.name(), config.advertisedUrl(), config.virtualSwitches(), Instant.now());
        byte[] value = json.writeValueAsBytes(heartbeat);
        RecordHeaders headers = new RecordHeaders();
        PrivateKey key = identityKey();
        if (key != null) {
            headers.add(HeartbeatSignature.HEADER, HeartbeatSignature.sign(value, key).getBytes(StandardCharsets.US_ASCII));
        }
        heartbeats.send(Message.of(value)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(config.providerId()).withHeaders(headers).build())
                .withNack(failure -> {
                    LOG.warnf("heartbeat not delivered: %s", failure.getMessage());
                    return java.util.concurrent.CompletableFuture.completedFuture(null);
                }));
    }

    /** Read once it exists: registration happens before start, so a missing key stays missing until a restart. */
    private PrivateKey identityKey() {
        PrivateKey key = identityKey;
        if (key == null) {
            key = HostIdentity.readKey(config.storageDir());
            identityKey = key;
        }
        return key;
    }
}
