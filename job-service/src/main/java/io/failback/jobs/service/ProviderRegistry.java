package io.failback.jobs.service;

import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.jobs.domain.FabricProvider;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;

/** Keeps each on-premises host's registration current from its heartbeats. */
@ApplicationScoped
public class ProviderRegistry {

    @WithTransaction
    public Uni<Void> heartbeat(ProviderHeartbeat heartbeat) {
        return FabricProvider.<FabricProvider>findById(heartbeat.providerId()).chain(existing -> {
            FabricProvider provider = existing == null ? new FabricProvider() : existing;
            Instant sentAt = heartbeat.sentAt() == null ? Instant.now() : heartbeat.sentAt();
            if (provider.lastHeartbeat != null && !sentAt.isAfter(provider.lastHeartbeat)) {
                return Uni.createFrom().voidItem(); // an older heartbeat arriving late says nothing new
            }
            provider.providerId = heartbeat.providerId();
            provider.friendlyName = heartbeat.friendlyName();
            provider.baseUrl = heartbeat.baseUrl();
            provider.details = new FabricProvider.HostDetails(heartbeat.virtualSwitches() == null ? List.of() : List.copyOf(heartbeat.virtualSwitches()));
            // Never later than our own clock: a host whose clock runs ahead must not look connected for longer.
            Instant now = Instant.now();
            provider.lastHeartbeat = sentAt.isAfter(now) ? now : sentAt;
            return existing == null ? provider.persist().replaceWithVoid() : Uni.createFrom().voidItem();
        });
    }
}
