package io.failback.jobs.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.StateChange;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.view.RecoveryPlansView;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.service.ChangeDrivenPasses;
import io.failback.jobs.service.RecoveryPlanService;
import io.failback.jobs.view.Views;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Page;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes every job and protected item whose row changed since it was last published, as a {@link StateChange}
 * with its row version. The version a row carries is marked published only after Kafka acknowledged it, so a crash
 * in between publishes it again (consumers keep the highest version per name). Marking uses a bulk update, which
 * does not bump the row's version (so it notifies nobody).
 * <p>
 * It runs when a job, item or plan row gets a new version (their triggers notify every instance at commit), and on the
 * safety-net timer in case a notification was missed.
 */
@Startup
@ApplicationScoped
public class StateChangeFeed {
    private static final int BATCH = 200;
    /** Followers read state, not every step of it: a busy job's changes go out together, within a quarter second. */
    private static final Duration FEED_SETTLE = Duration.ofMillis(250);

    private final MutinyEmitter<StateChange> changes;
    private final ObjectMapper json;

    private final RecoveryPlanService recoveryPlans;

    public StateChangeFeed(@Channel("state-changes") MutinyEmitter<StateChange> changes, ObjectMapper json,
            RecoveryPlanService recoveryPlans, ChangeDrivenPasses passes) {
        this.changes = changes;
        this.json = json;
        this.recoveryPlans = recoveryPlans;
        // A full batch of any kind may not have been all of it: then the feed runs again at once.
        passes.start("state-change feed", FEED_SETTLE,
                () -> publishChanges().map(anyBatchFull -> anyBatchFull ? Instant.now() : null),
                ChangeNotifications.JOB, ChangeNotifications.ITEM, ChangeNotifications.PLAN);
    }

    /** Publishes one batch of each kind; answers whether a batch was full (then there may be more). */
    private Uni<Boolean> publishChanges() {
        return Panache.withSession(() -> ReplicationJob.<ReplicationJob>find("publishedVersion is null or version > publishedVersion")
                        .page(Page.ofSize(BATCH)).list())
                .chain(jobs -> publishJobs(jobs).replaceWith(jobs.size() == BATCH))
                .chain(full -> Panache.withSession(() -> ReplicationProtectedItem.<ReplicationProtectedItem>find(
                        "publishedVersion is null or version > publishedVersion").page(Page.ofSize(BATCH)).list())
                        .chain(items -> publishItems(items).replaceWith(full || items.size() == BATCH)))
                .chain(full -> Panache.withSession(() -> RecoveryPlan.<RecoveryPlan>find(
                        "publishedVersion is null or version > publishedVersion").page(Page.ofSize(BATCH)).list())
                        .chain(plans -> publishPlans(plans).replaceWith(full || plans.size() == BATCH)));
    }

    private Uni<Void> publishJobs(List<ReplicationJob> jobs) {
        return Multi.createFrom().iterable(jobs)
                .onItem().transformToUniAndConcatenate(job -> publish(new StateChange(ContractVersions.STATE_CHANGE, StateChange.Kind.Job,
                        job.name, job.version, job.requestId, Instant.now(), json.valueToTree(Views.job(job))))
                        .chain(() -> Panache.withTransaction(() -> ReplicationJob.update(
                                "publishedVersion = ?1 where name = ?2 and (publishedVersion is null or publishedVersion < ?1)",
                                job.version, job.name))))
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> publishItems(List<ReplicationProtectedItem> items) {
        return Multi.createFrom().iterable(items)
                .onItem().transformToUniAndConcatenate(item -> publish(new StateChange(ContractVersions.STATE_CHANGE,
                        StateChange.Kind.ProtectedItem, item.name, item.version, null, Instant.now(), json.valueToTree(Views.item(item))))
                        .chain(() -> Panache.withTransaction(() -> ReplicationProtectedItem.update(
                                "publishedVersion = ?1 where name = ?2 and (publishedVersion is null or publishedVersion < ?1)",
                                item.version, item.name))))
                .collect().last().replaceWithVoid();
    }

    /**
     * A plan as the REST API shows it, each time its row changes (definition, current job). Its allowedOperations
     * follow its items too; a follower that needs them fresh reads the items' changes.
     */
    private Uni<Void> publishPlans(List<RecoveryPlan> plans) {
        return Multi.createFrom().iterable(plans)
                .onItem().transformToUniAndConcatenate(plan -> recoveryPlans.find(plan.name)
                        .chain(overview -> publish(new StateChange(ContractVersions.STATE_CHANGE, StateChange.Kind.RecoveryPlan, plan.name,
                                overview.plan().version, null, Instant.now(), json.valueToTree(RecoveryPlansView.plan(overview))))
                                .chain(() -> Panache.withTransaction(() -> RecoveryPlan.update(
                                        "publishedVersion = ?1 where name = ?2 and (publishedVersion is null or publishedVersion < ?1)",
                                        overview.plan().version, plan.name))))
                        // Deleted since it was read: its removal goes out through the outbox.
                        .onFailure(ProblemException.class).recoverWithNull())
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> publish(StateChange change) {
        return changes.sendMessage(Message.of(change)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(change.name()).build()));
    }
}
