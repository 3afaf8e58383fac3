package io.failback.jobs.messaging;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.jobs.service.ProviderRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

@ApplicationScoped
public class HeartbeatConsumer {
    private static final Logger LOG = Logger.getLogger(HeartbeatConsumer.class);

    private final ProviderRegistry registry;

    public HeartbeatConsumer(ProviderRegistry registry) {
        this.registry = registry;
    }

    @Incoming("provider-heartbeats")
    public Uni<Void> consume(ProviderHeartbeat heartbeat) {
        if (heartbeat == null || heartbeat.providerId() == null || heartbeat.providerId().isBlank()) {
            return Uni.createFrom().failure(new IllegalArgumentException("the record is not a readable ProviderHeartbeat"));
        }
        if (heartbeat.schemaVersion() != ContractVersions.PROVIDER_HEARTBEAT) {
            return Uni.createFrom().failure(new IllegalArgumentException(
                    "ProviderHeartbeat schema version " + heartbeat.schemaVersion() + " is not supported"));
        }
        // A heartbeat that cannot be recorded now (the database is away, job-service is stopping) is worth nothing
        // later: the host sends the next one in a few seconds. It is dropped, not dead-lettered.
        return registry.heartbeat(heartbeat)
                .onFailure(TransientFailures::isTransient).recoverWithUni(e -> {
                    LOG.infof("heartbeat of %s not recorded: %s; the next one will be", heartbeat.providerId(), e.getMessage());
                    return Uni.createFrom().voidItem();
                })
                .onFailure().invoke(e -> LOG.warnf(e, "heartbeat of %s not recorded", heartbeat.providerId()));
    }
}
