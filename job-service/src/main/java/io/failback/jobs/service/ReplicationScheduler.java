package io.failback.jobs.service;

import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.domain.ProtectionState;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.messaging.ChangeNotifications;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Ongoing replication: every Protected item whose recovery point is older than the replication interval, and that no
 * job or earlier cycle is working on, gets a replication cycle through the outbox. A cycle sync-service never
 * answered (it crashed) is issued again after the job lease. An item whose host is not connected cannot replicate:
 * its replication health turns Critical until the host is back, which is how the RPO growing gets explained.
 * <p>
 * Each pass works out when the next cycle falls due and runs again then; a protected item that changes (a cycle
 * answered, an item registered or back to Protected, a job ending) wakes it through the item's notification, and the
 * safety-net timer covers a notification missed.
 */
@Startup
@ApplicationScoped
public class ReplicationScheduler {
    /** Heartbeats leave no notification: an item waiting for its host looks again this often. */
    private static final Duration WAITING_FOR_HOST_RECHECK = Duration.ofSeconds(2);

    /** An item's changes come in bursts (a cycle answered, a job ending); cycles are due seconds apart at the least. */
    private static final Duration SETTLE = Duration.ofMillis(250);

    private final FailoverService failovers;
    private final JobServiceConfig config;

    public ReplicationScheduler(FailoverService failovers, JobServiceConfig config, ChangeDrivenPasses passes) {
        this.failovers = failovers;
        this.config = config;
        passes.start("replication scheduler", SETTLE, this::issueDueCycles, ChangeNotifications.ITEM);
    }

    /** Issues the cycles due now; answers when the next one falls due (null if no item replicates). */
    private Uni<Instant> issueDueCycles() {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> ReplicationProtectedItem.<ReplicationProtectedItem>list(
                "protectionState = ?1 and activeLocation = ?2 and currentScenarioJobName is null",
                ProtectionState.Protected, ActiveLocation.Primary)
                .chain(items -> {
                    List<ReplicationProtectedItem> due = items.stream().filter(item -> dueAt(item).isBefore(now)).toList();
                    return issue(due, now).map(waitingForHost -> items.stream()
                            .map(item -> waitingForHost.contains(item.name) ? now.plus(WAITING_FOR_HOST_RECHECK) : dueAt(item))
                            .min(Comparator.naturalOrder()).orElse(null));
                }));
    }

    /** An item replicates its interval after its last cycle, and a cycle issued but not answered is issued again after the lease. */
    private Instant dueAt(ReplicationProtectedItem item) {
        Instant due = item.lastReplicatedTime == null ? Instant.EPOCH : item.lastReplicatedTime.plus(config.replicationInterval());
        if (item.replicationCycleCommandId != null && item.replicationCycleIssuedAt != null) {
            Instant leaseEnds = item.replicationCycleIssuedAt.plus(config.jobLease());
            return leaseEnds.isAfter(due) ? leaseEnds : due;
        }
        return due;
    }

    /** Answers the names of the items whose host is not connected. */
    private Uni<Set<String>> issue(List<ReplicationProtectedItem> items, Instant now) {
        if (items.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        return Multi.createFrom().iterable(items)
                .onItem().transformToUniAndConcatenate(item -> FabricProvider.<FabricProvider>findById(item.primaryProviderId)
                        .chain(provider -> {
                            if (provider == null || !provider.isConnected(now, config.providerHeartbeatTimeout())) {
                                item.replicationHealth = "Critical";
                                item.lastErrorMessage = "ProviderNotConnected: host '" + item.primaryProviderId
                                        + "' is not connected; replication waits for it";
                                return Uni.createFrom().item(item.name);
                            }
                            return failovers.issueReplicationCycle(item, provider).replaceWith((String) null);
                        }))
                .filter(Objects::nonNull)
                .collect().asSet();
    }
}
