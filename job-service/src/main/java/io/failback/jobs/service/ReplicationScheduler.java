package io.failback.jobs.service;

import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.domain.ProtectionState;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Ongoing replication: every Protected item whose recovery point is older than the replication interval, and that no
 * job or earlier cycle is working on, gets a replication cycle through the outbox. A cycle sync-service never
 * answered (it crashed) is issued again after the job lease. An item whose host is not connected cannot replicate:
 * its replication health turns Critical until the host is back, which is how the RPO growing gets explained.
 */
@ApplicationScoped
public class ReplicationScheduler {
    private static final Logger LOG = Logger.getLogger(ReplicationScheduler.class);

    private final FailoverService failovers;
    private final JobServiceConfig config;
    private final OutboxRelay relay;

    public ReplicationScheduler(FailoverService failovers, JobServiceConfig config, OutboxRelay relay) {
        this.failovers = failovers;
        this.config = config;
        this.relay = relay;
    }

    @Scheduled(every = "1s", delayed = "3s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> issueDueCycles() {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> ReplicationProtectedItem.<ReplicationProtectedItem>list(
                "protectionState = ?1 and activeLocation = ?2 and currentScenarioJobName is null"
                        + " and (lastReplicatedTime is null or lastReplicatedTime < ?3)"
                        + " and (replicationCycleCommandId is null or replicationCycleIssuedAt < ?4)",
                ProtectionState.Protected, ActiveLocation.Primary, now.minus(config.replicationInterval()), now.minus(config.jobLease()))
                .chain(items -> issue(items, now)))
                .invoke(issued -> {
                    if (issued > 0) {
                        relay.relaySoon();
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("issuing replication cycles failed: %s; will retry", e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Integer> issue(List<ReplicationProtectedItem> items, Instant now) {
        if (items.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Multi.createFrom().iterable(items)
                .onItem().transformToUniAndConcatenate(item -> FabricProvider.<FabricProvider>findById(item.primaryProviderId)
                        .chain(provider -> {
                            if (provider == null || !provider.isConnected(now, config.providerHeartbeatTimeout())) {
                                item.replicationHealth = "Critical";
                                item.lastErrorMessage = "ProviderNotConnected: host '" + item.primaryProviderId
                                        + "' is not connected; replication waits for it";
                                return Uni.createFrom().item(0);
                            }
                            return failovers.issueReplicationCycle(item, provider).replaceWith(1);
                        }))
                .collect().asList()
                .map(issued -> issued.stream().mapToInt(Integer::intValue).sum());
    }
}
