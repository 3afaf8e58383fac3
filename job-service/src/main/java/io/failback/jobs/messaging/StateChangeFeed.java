package io.failback.jobs.messaging;

import io.failback.jobs.metrics.JobMetrics;

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
import java.util.function.Function;
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
    private final JobMetrics jobMetrics;

    public StateChangeFeed(@Channel("state-changes") MutinyEmitter<StateChange> changes, ObjectMapper json,
            RecoveryPlanService recoveryPlans, ChangeDrivenPasses passes, JobMetrics jobMetrics) {
        this.changes = changes;
        this.jobMetrics = jobMetrics;
        this.json = json;
        this.recoveryPlans = recoveryPlans;
        // A full batch of any kind may not have been all of it: then the feed runs again at once.
        passes.start("state-change feed", FEED_SETTLE,
                () -> publishChanges().map(anyBatchFull -> anyBatchFull ? Instant.now() : null),
                ChangeNotifications.JOB, ChangeNotifications.ITEM, ChangeNotifications.PLAN);
    }

    /**
     * Publishes one batch of each kind; answers whether a batch was full (then there may be more). One instance at a
     * time: every instance is notified of every change, and each publishing all of them sent every change once per
     * instance and marked each row as many times. The one holding the lock sees the notifications the others skip, so
     * it runs again for any change that came during its pass.
     */
    private Uni<Boolean> publishChanges() {
        return Panache.withSession(() -> Panache.getSession().chain(session -> session.createNativeQuery(TAKE_LOCK, Boolean.class)
                .getSingleResult()
                .chain(alone -> alone
                        ? publishBatches().eventually(() -> session.createNativeQuery(RELEASE_LOCK, Boolean.class).getSingleResult())
                        : Uni.createFrom().item(false))));
    }

    /**
     * A session lock on the session's one connection, not a transaction's: the rows are marked each in its own short
     * transaction, as the events that change them lock them in theirs. A connection that drops releases it.
     */
    private static final long LOCK = StateChangeFeed.class.getName().hashCode();
    private static final String TAKE_LOCK = "select pg_try_advisory_lock(" + LOCK + ")";
    private static final String RELEASE_LOCK = "select pg_advisory_unlock(" + LOCK + ")";

    private Uni<Boolean> publishBatches() {
        return ReplicationJob.<ReplicationJob>find("publishedVersion is null or version > publishedVersion").page(Page.ofSize(BATCH)).list()
                .chain(jobs -> publishJobs(jobs).replaceWith(jobs.size() == BATCH))
                .chain(full -> ReplicationProtectedItem.<ReplicationProtectedItem>find("publishedVersion is null or version > publishedVersion")
                        .page(Page.ofSize(BATCH)).list()
                        .chain(items -> publishItems(items).replaceWith(full || items.size() == BATCH)))
                .chain(full -> RecoveryPlan.<RecoveryPlan>find("publishedVersion is null or version > publishedVersion")
                        .page(Page.ofSize(BATCH)).list()
                        .chain(plans -> publishPlans(plans).replaceWith(full || plans.size() == BATCH)));
    }

    /**
     * A batch's records go to the producer at once (one key's records keep their order: the producer is idempotent),
     * and their rows are marked once Kafka acknowledged them all. A job published in a final state has ended: its
     * durations are recorded here, once for every way a job can end.
     */
    private Uni<Void> publishJobs(List<ReplicationJob> jobs) {
        return publishAll(jobs.stream().map(job -> new StateChange(ContractVersions.STATE_CHANGE, StateChange.Kind.Job,
                        job.name, job.version, job.requestId, Instant.now(), json.valueToTree(Views.job(job)))).toList())
                .chain(() -> markEach(jobs, job -> ReplicationJob.update(
                        "publishedVersion = ?1 where name = ?2 and (publishedVersion is null or publishedVersion < ?1)", job.version, job.name)))
                .invoke(() -> jobs.stream().filter(job -> job.state.isFinal()).forEach(jobMetrics::ended));
    }

    private Uni<Void> publishItems(List<ReplicationProtectedItem> items) {
        return publishAll(items.stream().map(item -> new StateChange(ContractVersions.STATE_CHANGE, StateChange.Kind.ProtectedItem,
                        item.name, item.version, null, Instant.now(), json.valueToTree(Views.item(item)))).toList())
                .chain(() -> markEach(items, item -> ReplicationProtectedItem.update(
                        "publishedVersion = ?1 where name = ?2 and (publishedVersion is null or publishedVersion < ?1)", item.version, item.name)));
    }

    /**
     * A plan as the REST API shows it, each time its row changes (definition, current job). Its allowedOperations
     * follow its items too; a follower that needs them fresh reads the items' changes. Plans change rarely: one at a time.
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

    private Uni<Void> publishAll(List<StateChange> batch) {
        return batch.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.join().all(batch.stream().map(this::publish).toList()).andFailFast().replaceWithVoid();
    }

    /**
     * One short transaction per row, one after another (a session runs one statement at a time): a transaction that
     * held several rows' locks could deadlock with one that changes the same rows in another order.
     */
    private static <T> Uni<Void> markEach(List<T> rows, Function<T, Uni<Integer>> mark) {
        return Multi.createFrom().iterable(rows).onItem().transformToUniAndConcatenate(row -> Panache.withTransaction(() -> mark.apply(row)))
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> publish(StateChange change) {
        return changes.sendMessage(Message.of(change)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(change.name()).build()));
    }
}
