package io.failback.hostagent;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/** Tells job-service this host is connected. A lost heartbeat needs no retry: the next one follows. */
@ApplicationScoped
public class HeartbeatSender {
    private static final Logger LOG = Logger.getLogger(HeartbeatSender.class);

    private final HostAgentConfig config;
    private final Emitter<ProviderHeartbeat> heartbeats;

    public HeartbeatSender(HostAgentConfig config, @Channel("provider-heartbeats") Emitter<ProviderHeartbeat> heartbeats) {
        this.config = config;
        this.heartbeats = heartbeats;
    }

    @Scheduled(every = "${host-agent.heartbeat-interval:5s}", delayed = "0s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void beat() {
        ProviderHeartbeat heartbeat = new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT, config.providerId(),
                config.name(), config.advertisedUrl(), config.virtualSwitches(), Instant.now());
        heartbeats.send(Message.of(heartbeat)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(config.providerId()).build())
                .withNack(failure -> {
                    LOG.warnf("heartbeat not delivered: %s", failure.getMessage());
                    return java.util.concurrent.CompletableFuture.completedFuture(null);
                }));
    }
}
