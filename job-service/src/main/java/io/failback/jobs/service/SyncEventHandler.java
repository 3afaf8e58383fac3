package io.failback.jobs.service;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.StateChange;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.Topics;
import io.failback.jobs.domain.JobError;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ProcessedEvent;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.domain.Scenario;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Applies sync-service's events to jobs and items. Idempotent and tolerant of reordering: an event that changes state
 * is applied once (its id recorded in the same transaction), a progress report only when newer than its task's last
 * sequence, a task's state only moves forward, and nothing changes a job that ended.
 */
@ApplicationScoped
public class SyncEventHandler {
    private static final Logger LOG = Logger.getLogger(SyncEventHandler.class);

    /** Cycle failures that another cycle cannot fix: the replica no longer matches what change tracking assumes. */
    private static final java.util.Set<String> NEEDS_RESYNCHRONIZATION = java.util.Set.of("ReplicaDigestMismatch",
            "RecoveryPointIncomplete", "InvalidTrackingPoint", "ReplicaLayoutMismatch");

    private final OutboxWriter outbox;

    public SyncEventHandler(OutboxWriter outbox) {
        this.outbox = outbox;
    }

    /**
     * Applies the event; answers the job it ended (Succeeded or Failed), or null when it ended none. The transaction
     * has committed by the time the answer arrives, so what the caller records of the ended job happened.
     */
    @WithTransaction
    public Uni<ReplicationJob> apply(SyncEvent event) {
        if (!changesState(event)) {
            return applyUnrecorded(event).replaceWith((ReplicationJob) null);
        }
        return ProcessedEvent.recordFirst(event.eventId()).chain(first -> {
            if (!first) {
                LOG.debugf("event %s was applied before; skipped", event.eventId());
                return Uni.createFrom().nullItem();
            }
            if (event.jobName() == null) {
                return applyToReplicationCycle(event).replaceWith((ReplicationJob) null);
            }
            return ReplicationJob.<ReplicationJob>findById(event.jobName()).chain(job -> {
                if (job == null) {
                    return unknownJob(event).replaceWith((ReplicationJob) null);
                }
                boolean endedBefore = job.state.isFinal();
                return applyToJob(job, event).map(applied -> !endedBefore && job.state.isFinal() ? job : null);
            });
        });
    }

    /**
     * Whether the event can change a job or an item beyond its progress, and so needs its id recorded to be applied
     * once. A task's progress (sync-service reports it every second) is not recorded: the task's {@code lastSequence}
     * drops a repeated or late one, and a replication cycle's task events change nothing at all.
     */
    static boolean changesState(SyncEvent event) {
        if (event.jobName() == null) {
            return event.type() == SyncEvent.Type.SyncSucceeded || event.type() == SyncEvent.Type.SyncFailed;
        }
        return !isOrderedBySequence(event.type());
    }

    /** Reports of how a task goes (progress, waiting for a part, going on again): ordered by their task's sequence. */
    private static boolean isOrderedBySequence(SyncEvent.Type type) {
        return type == SyncEvent.Type.TaskProgress || type == SyncEvent.Type.TaskWaiting || type == SyncEvent.Type.TaskResumed;
    }

    /**
     * A progress, waiting or resumed report: applied when it is newer than what its task has ({@code lastSequence}),
     * else dropped.
     */
    private Uni<Void> applyUnrecorded(SyncEvent event) {
        if (event.jobName() == null) {
            return Uni.createFrom().voidItem();
        }
        return ReplicationJob.<ReplicationJob>findById(event.jobName()).chain(job -> {
            if (job == null) {
                return unknownJob(event);
            }
            JobTask task = event.task() == null ? null : job.task(event.task().name());
            if (task != null && event.sequence() <= task.lastSequence()) {
                LOG.debugf("event %s (sequence %d) is not newer than task %s's %d; skipped", event.eventId(), event.sequence(),
                        task.name(), task.lastSequence());
                return Uni.createFrom().voidItem();
            }
            return applyToJob(job, event);
        });
    }

    /**
     * A cycle of ongoing replication ended: its recovery point dates the item's RPO; a failure makes replication
     * health a warning until a later cycle succeeds. Only the cycle the item waits for counts.
     */
    private Uni<Void> applyToReplicationCycle(SyncEvent event) {
        if (event.type() != SyncEvent.Type.SyncSucceeded && event.type() != SyncEvent.Type.SyncFailed) {
            return Uni.createFrom().voidItem();
        }
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(event.itemName()).invoke(item -> {
            if (item == null || !event.commandId().equals(item.replicationCycleCommandId)) {
                LOG.debugf("event %s ends replication cycle %s, which item %s does not wait for; ignored", event.eventId(),
                        event.commandId(), event.itemName());
                return;
            }
            item.replicationCycleCommandId = null;
            item.replicationCycleIssuedAt = null;
            if (event.type() == SyncEvent.Type.SyncSucceeded) {
                if (event.recoveryPoint() != null && (item.lastReplicatedTime == null || event.recoveryPoint().isAfter(item.lastReplicatedTime))) {
                    item.lastReplicatedTime = event.recoveryPoint();
                }
                item.replicationHealth = "Normal";
                item.lastErrorMessage = null;
            } else {
                JobError error = errorOf(event);
                item.replicationHealth = NEEDS_RESYNCHRONIZATION.contains(error.errorCode()) ? "Critical" : "Warning";
                item.lastErrorMessage = error.errorCode() + ": replication cycle failed: " + error.message()
                        + (NEEDS_RESYNCHRONIZATION.contains(error.errorCode()) ? " (repair replication to resynchronize)" : "");
            }
        }).replaceWithVoid();
    }

    private Uni<Void> unknownJob(SyncEvent event) {
        LOG.warnf("event %s names job %s, which does not exist; ignored", event.eventId(), event.jobName());
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> applyToJob(ReplicationJob job, SyncEvent event) {
        if (job.state == JobState.Suspended && event.commandId() != null && event.commandId().equals(job.catchUpRoundUnderWay())) {
            return catchUpRound(job, event);
        }
        if (job.state.isFinal() || (job.state == JobState.Suspended && event.type() != SyncEvent.Type.SyncFailed)) {
            LOG.debugf("job %s already ended (%s); event %s %s ignored", job.name, job.state, event.type(), event.eventId());
            return Uni.createFrom().voidItem();
        }
        if (job.currentCommandId != null && !job.currentCommandId.equals(event.commandId())) {
            LOG.debugf("event %s answers command %s, not job %s's current %s; stale, ignored", event.eventId(), event.commandId(),
                    job.name, job.currentCommandId);
            return Uni.createFrom().voidItem();
        }
        job.lastActivityAt = Instant.now();
        Instant at = event.occurredAt() == null ? Instant.now() : event.occurredAt();
        if (event.type() == SyncEvent.Type.TaskWaiting) {
            return waiting(job, event, at);
        }
        // Any other event of the job's current command says that it goes on (or ends): it waits for nothing any more.
        Uni<Void> wentOn = job.waitsForAPart() || event.type() == SyncEvent.Type.TaskResumed ? goesOn(job) : Uni.createFrom().voidItem();
        return wentOn.chain(() -> applyToRunningJob(job, event, at));
    }

    /**
     * The end of a catch-up round of a suspended failback (issue #17): its checkpoint becomes the job's (only when the
     * round started from the job's checkpoint, so a duplicate changes nothing), or, when it failed, the checkpoint stays
     * and the next round is due a pause later. The job stays suspended either way; its description says how far behind
     * the on-premises copy is. Progress and waiting reports of a round are not the job's tasks' and are dropped.
     */
    private Uni<Void> catchUpRound(ReplicationJob job, SyncEvent event) {
        Instant at = event.occurredAt() == null ? Instant.now() : event.occurredAt();
        if (event.type() == SyncEvent.Type.SyncCaughtUp) {
            if (job.caughtUp(event.checkpoint(), event.catchUp(), at)) {
                LOG.infof("job %s: catch-up round %d sent %d bytes in %.2f s; %d bytes behind the Azure VM", job.name,
                        job.details.catchUp().rounds(), event.catchUp().bytesSent(), event.catchUp().seconds(), event.catchUp().behindBytes());
                return FailbackEstimator.phase2Seconds(job.targetProviderId, event.catchUp().behindBytes()).invoke(seconds -> {
                    job.catchUpDowntime(seconds);
                    job.stateDescription = CatchUpRounds.describe(job);
                }).replaceWithVoid();
            }
        } else if (event.type() == SyncEvent.Type.SyncFailed) {
            JobError error = errorOf(event);
            LOG.infof("job %s: catch-up round failed (%s: %s); the checkpoint stays, the next round tries again", job.name,
                    error.errorCode(), error.message());
            job.catchUpFailed(error.errorCode() + ": " + error.message(), at);
        }
        return Uni.createFrom().voidItem();
    }

    /**
     * The task cannot go on until the part the event names is back: the task and the job say so, and the item carries
     * it as a health error. sync-service retries meanwhile; TaskResumed, the task's next report or the job's end clears it.
     * A task that only waits its turn (a copy slot, a busy site) says so on the task and the job; the item stays healthy.
     */
    private Uni<Void> waiting(ReplicationJob job, SyncEvent event, Instant at) {
        JobError part = errorOf(event);
        boolean itsTurn = event.failure() != null && event.failure().waitsItsTurn();
        updateTask(job, event, task -> task.waiting(at, part.message(), event.sequence(), itsTurn));
        JobTask task = event.task() == null ? null : job.task(event.task().name());
        if (task == null || !task.waitsForAPart()) {
            return Uni.createFrom().voidItem();
        }
        job.waitFor(part.message());
        if (itsTurn) {
            // Whatever part the task waited for before is back, or it would not queue.
            return itemWaitsNoMore(job);
        }
        return waitsOn(job, part.errorCode(), part.message());
    }

    /** The item of a job that waits carries what it waits for, {@code <code>: <message>}. */
    static Uni<Void> waitsOn(ReplicationJob job, String code, String message) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId).invoke(item -> {
            if (item != null && job.name.equals(item.currentScenarioJobName)) {
                item.waitingOn = ReplicationJob.fitted(code + ": " + message, ReplicationProtectedItem.WAITING_ON_LENGTH);
            }
        }).replaceWithVoid();
    }

    /** The job waits for nothing any more: neither it, nor its tasks, nor its item say so. */
    private static Uni<Void> goesOn(ReplicationJob job) {
        job.goOn();
        for (JobTask task : job.tasks()) {
            if (task.waitsForAPart()) {
                job.updateTask(task.name(), waited -> waited.resumed(waited.lastSequence()));
            }
        }
        return itemWaitsNoMore(job);
    }

    /** The item of the job carries no wait (a change only if it did). */
    private static Uni<Void> itemWaitsNoMore(ReplicationJob job) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId).invoke(item -> {
            if (item != null && job.name.equals(item.currentScenarioJobName)) {
                item.waitingOn = null;
            }
        }).replaceWithVoid();
    }

    private Uni<Void> applyToRunningJob(ReplicationJob job, SyncEvent event, Instant at) {
        switch (event.type()) {
            case TaskStarted -> updateTask(job, event, task -> task.state() == JobState.NotStarted
                    ? task.started(at, event.sequence()) : task);
            case TaskProgress -> updateTask(job, event, task -> task.state() == JobState.InProgress && event.sequence() > task.lastSequence()
                    ? task.progressed(event.progress(), event.sequence()) : task);
            case TaskResumed -> updateTask(job, event, task -> event.sequence() > task.lastSequence() ? task.resumed(event.sequence()) : task);
            case TaskSucceeded -> updateTask(job, event, task -> task.state().isFinal() ? task
                    : task.succeeded(at, event.progress(), event.sequence()));
            case TaskFailed -> updateTask(job, event, task -> task.state().isFinal() ? task
                    : task.failed(at, errorOf(event), event.sequence()));
            case SyncSucceeded -> {
                job.finish(JobState.Succeeded, "Completed", at);
                job.recordVerifications(event.verifications() == null ? List.of() : event.verifications());
                Scenario scenario = Scenario.of(job);
                return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId)
                        .chain(item -> {
                            if (item == null || !job.name.equals(item.currentScenarioJobName)) {
                                return Uni.createFrom().voidItem();
                            }
                            if (scenario.removesItemOnSuccess()) {
                                return remove(item, job, at);
                            }
                            scenario.succeeded(item, job, new Scenario.Outcome(at, event.recoveryPoint()));
                            return Uni.createFrom().voidItem();
                        });
            }
            case SyncSuspended -> {
                // A job suspends once, after phase 1: its checkpoint stays for phase 2, which never suspends. Phase 1
                // run again (delivered again to a restarted sync-service) must not take a resumed job back.
                if (job.state == JobState.InProgress && job.details.checkpoint() == null) {
                    job.suspend(event.checkpoint(), "Initial synchronization done while the Azure VM keeps running. "
                            + "Complete Failover (resume the job) to shut it down, send the final changes and start it on-premises", at);
                }
            }
            case SyncFailed -> {
                JobError error = errorOf(event);
                job.finish(JobState.Failed, error.message(), at);
                job.addError(error);
                return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId)
                        .invoke(item -> jobFailed(item, job, error)).replaceWithVoid();
            }
        }
        return Uni.createFrom().voidItem();
    }

    private static void updateTask(ReplicationJob job, SyncEvent event, java.util.function.UnaryOperator<JobTask> change) {
        if (event.task() == null || job.task(event.task().name()) == null) {
            LOG.warnf("event %s names task %s, which job %s does not have; ignored", event.eventId(), event.task(), job.name);
            return;
        }
        job.updateTask(event.task().name(), change);
    }

    private static JobError errorOf(SyncEvent event) {
        return event.failure() == null ? new JobError("Unknown", "sync-service reported a failure without a reason")
                : new JobError(event.failure().code(), event.failure().message());
    }

    /**
     * Protection is disabled and the replica deleted: the item goes, and its last state change (a null resource, one
     * version past its last) goes out through the outbox in this transaction, so that followers of the feed learn it.
     */
    private Uni<Void> remove(ReplicationProtectedItem item, ReplicationJob job, Instant at) {
        StateChange removed = new StateChange(ContractVersions.STATE_CHANGE, StateChange.Kind.ProtectedItem, item.name, item.version + 1,
                job.requestId, at, null);
        return outbox.add(Topics.STATE_CHANGES, item.name, removed).chain(message -> item.delete());
    }

    /** The item stays where it was, free again: the job's scenario says what to do next. */
    private static void jobFailed(ReplicationProtectedItem item, ReplicationJob job, JobError error) {
        if (item == null || !job.name.equals(item.currentScenarioJobName)) {
            return;
        }
        Scenario.of(job).failed(item, error);
    }
}
