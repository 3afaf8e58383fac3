package io.failback.sync.runs;

import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteCallException;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncEvent.CatchUpRound;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.contracts.messaging.SyncEvent.Failure;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * One command carried out as a sequence of tasks. Every task's start, progress and outcome becomes a
 * {@link SyncEvent}, acknowledged by Kafka before the run moves on, so job-service sees the tasks in order. A failure
 * ends the run and is reported, never thrown.
 * <p>
 * The tasks and their order are the contract's ({@link SyncTask#reportedBy}), from which job-service creates the
 * job's tasks: a run that would start a task out of that order, or end without reporting them all, fails instead
 * (code {@value #UNDECLARED_TASKS}), so that a disagreement shows as a failed job, not as tasks job-service ignores.
 * <p>
 * A job's task whose site is away ({@link SiteCallException#isTransient()}) is not failed: it waits for the site with
 * back-off ({@link Patience}), says so ({@link SyncEvent.Type#TaskWaiting}, then {@link SyncEvent.Type#TaskResumed}) and
 * does its work again. Every task's work can be done again: it checks what is already done (a VM already created or
 * shut down, a copy's durable checkpoint on the host) before it acts. Only when one outage outlasts the patience does
 * the task fail, with the site's code.
 */
public abstract class CommandRun {
    private static final Logger LOG = Logger.getLogger(CommandRun.class);
    static final String UNDECLARED_TASKS = "UndeclaredTaskOrder";

    protected final SyncCommand command;
    private final SyncEventPublisher publisher;
    private final AtomicLong sequence = new AtomicLong();
    private final List<SyncTask> declaredTasks;
    private final Patience patience;
    /** How many of {@link #declaredTasks} have started. */
    private volatile int tasksStarted;
    /** The command this run answers to: job-service may re-issue the job's command, and then follows the new id. */
    private volatile String commandId;
    private volatile SyncTask currentTask;
    private volatile boolean cancelled;
    protected volatile TaskProgress lastProgress;
    /** The trace of the command that started this run: its span continues it, on whichever instance and however late. */
    volatile io.opentelemetry.context.Context commandTrace = io.opentelemetry.context.Context.root();

    CommandRun(SyncCommand command, SyncEventPublisher publisher, Patience patience) {
        this.command = command;
        this.publisher = publisher;
        this.patience = patience;
        this.commandId = command.commandId();
        this.declaredTasks = SyncTask.reportedBy(command);
    }

    /**
     * The job was cancelled: the work under way stops now and no further task starts. What was written stays where
     * it is (a target disk stays inconsistent), so triggering the operation again completes it.
     */
    final void cancel() {
        cancelled = true;
        abortWorkUnderWay();
    }

    /** Whether the job was cancelled: work that waits (for a slot, a busy site) stops waiting. */
    protected final boolean cancelled() {
        return cancelled;
    }

    /** Stops what the current task is doing, if it can be stopped (a block stream). */
    protected void abortWorkUnderWay() {
    }

    /** A re-issued command for the job this run is carrying out: its events from now on answer to the new one. */
    final void adopt(String reissuedCommandId) {
        commandId = reissuedCommandId;
    }

    /**
     * How a run ends when nothing failed: done (with the disks' proofs, if it moved data, and the recovery point a
     * replication reached), or suspended.
     */
    record Outcome(List<DiskVerification> verifications, DeltaCheckpoint suspendedAt, Instant recoveryPoint, CatchUpRound caughtUp) {
        static Outcome succeeded(List<DiskVerification> verifications) {
            return new Outcome(verifications, null, null, null);
        }

        static Outcome replicated(List<DiskVerification> verifications, Instant recoveryPoint) {
            return new Outcome(verifications, null, recoveryPoint, null);
        }

        static Outcome suspended(DeltaCheckpoint checkpoint) {
            return new Outcome(null, checkpoint, null, null);
        }

        /** A catch-up round's end: the on-premises disks now equal {@code reached}; the job stays suspended. */
        static Outcome caughtUp(DeltaCheckpoint reached, CatchUpRound round) {
            return new Outcome(null, reached, null, round);
        }
    }

    /** The tasks, chained. */
    protected abstract Uni<Outcome> tasks();

    final Uni<Void> run() {
        return tasks()
                .invoke(this::checkEveryDeclaredTaskReported)
                .chain(outcome -> outcome.caughtUp() != null
                        ? emit(SyncEvent.Type.SyncCaughtUp, null, null, null, null, outcome.suspendedAt(), null, outcome.caughtUp())
                        : outcome.suspendedAt() != null
                        ? emit(SyncEvent.Type.SyncSuspended, null, null, null, null, outcome.suspendedAt(), null, null)
                        : emit(SyncEvent.Type.SyncSucceeded, null, null, null, outcome.verifications(), null,
                                outcome.recoveryPoint(), null))
                .invoke(() -> LOG.infof("%s on %s ended (command %s)", what(), command.itemName(), commandId))
                .onFailure().call(this::reportFailure)
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * Only a job waits for a part that is away. A replication cycle fails at once and the next cycle tries again: it
     * must not hold the item's lane while its host is down, since what queues behind it then is the unplanned
     * failover to Azure that the disaster calls for.
     */
    private boolean waitsOutFaults() {
        return command.jobName() != null;
    }

    /** A job, or a cycle of ongoing replication (which is no job). */
    private String what() {
        return command.jobName() != null ? "job " + command.jobName() : "replication cycle";
    }

    protected final <T> Uni<T> task(SyncTask task, Supplier<Uni<T>> work) {
        return Uni.createFrom().voidItem()
                .invoke(() -> {
                    if (cancelled) {
                        throw new SiteCallException("Cancelled", "the job was cancelled before task " + task);
                    }
                    checkDeclaredNext(task);
                    currentTask = task;
                    lastProgress = null;
                })
                .chain(() -> emit(SyncEvent.Type.TaskStarted, task, null, null, null))
                .chain(() -> attempt(task, work, null))
                .call(() -> emit(SyncEvent.Type.TaskSucceeded, task, lastProgress, null, null));
    }

    /** The task's work once; when a site it needs is away, again once the site answers, within the patience. */
    private <T> Uni<T> attempt(SyncTask task, Supplier<Uni<T>> work, Patience.Outage outage) {
        Instant started = Instant.now();
        return Uni.createFrom().deferred(work::get)
                .onFailure(failure -> failure instanceof SiteCallException site && site.isTransient() && !cancelled && waitsOutFaults())
                .recoverWithUni(failure -> {
                    SiteCallException away = (SiteCallException) failure;
                    boolean workedForAWhile = Duration.between(started, Instant.now()).compareTo(Patience.WORKED_FOR_A_WHILE) >= 0;
                    Patience.Outage current = outage == null || workedForAWhile ? patience.outageBeginningNow() : outage;
                    LOG.infof("%s on %s, task %s: %s (%s); retrying until %s", what(), command.itemName(), task, away.getMessage(),
                            away.code(), current.giveUpAt());
                    return waitFor(task, away, current, false).chain(() -> attempt(task, work, current.retried()));
                });
    }

    /**
     * Sleeps the back-off, then asks whether the site answers, until it does. The wait is reported each time the site
     * is found away (at least every {@link Patience#MAX_BACKOFF}, which also tells job-service that this run is alive,
     * well within its lease), and its end once the site is back; a stream cut while both sites answer is simply done
     * again.
     */
    private Uni<Void> waitFor(SyncTask task, SiteCallException away, Patience.Outage outage, boolean waitingReported) {
        if (cancelled) {
            return Uni.createFrom().failure(new SiteCallException("Cancelled", "the job was cancelled while task " + task
                    + " waited for " + away.awayPart()));
        }
        if (Instant.now().isAfter(outage.giveUpAt())) {
            return Uni.createFrom().failure(new SiteCallException(away.code(), away.getMessage() + "; still failing after "
                    + patience.patience().toSeconds() + " s of retries (patience: failback.patience, FAILBACK_SYNC_PATIENCE)"));
        }
        return patience.sleep(outage.nextBackoff())
                .chain(() -> patience.answers(away))
                .chain(back -> {
                    if (back) {
                        return waitingReported
                                ? emit(SyncEvent.Type.TaskResumed, task, lastProgress, null, null)
                                        .invoke(() -> LOG.infof("%s on %s, task %s: %s answers again", what(), command.itemName(), task,
                                                away.awayPart()))
                                : Uni.createFrom().voidItem();
                    }
                    return emit(SyncEvent.Type.TaskWaiting, task, lastProgress, new Failure(away.code(), away.getMessage()
                                    + "; waiting for it to come back, retrying until " + outage.giveUpAt()), null)
                            .chain(() -> waitFor(task, away, outage.retried(), true));
                });
    }

    /**
     * The task waits for something other than a site (a copy slot): said as a {@link SyncEvent.Type#TaskWaiting}
     * under {@code code}, then {@link #reportGoingOn}. Repeated while the wait lasts, at least every
     * {@link Patience#MAX_BACKOFF}, it also tells job-service that the run is alive, well within its lease.
     */
    protected final Uni<Void> reportWaiting(SyncTask task, String code, String message) {
        return emit(SyncEvent.Type.TaskWaiting, task, lastProgress, new Failure(code, message), null);
    }

    /** What {@link #reportWaiting} said the task waits for is there. */
    protected final Uni<Void> reportGoingOn(SyncTask task) {
        return emit(SyncEvent.Type.TaskResumed, task, lastProgress, null, null);
    }

    private void checkDeclaredNext(SyncTask task) {
        if (tasksStarted >= declaredTasks.size() || declaredTasks.get(tasksStarted) != task) {
            currentTask = null; // the task before it succeeded; only the run fails
            throw new SiteCallException(UNDECLARED_TASKS, "task " + task + " would start after " + declaredTasks.subList(0, tasksStarted)
                    + ", but the contract declares " + declaredTasks + " for this command");
        }
        tasksStarted++;
    }

    private void checkEveryDeclaredTaskReported() {
        if (tasksStarted != declaredTasks.size()) {
            currentTask = null;
            throw new SiteCallException(UNDECLARED_TASKS, "the run ended after " + declaredTasks.subList(0, tasksStarted)
                    + ", but the contract declares " + declaredTasks + " for this command");
        }
    }

    protected final Uni<Void> reportProgress(SyncTask task, TaskProgress progress) {
        lastProgress = progress;
        return emit(SyncEvent.Type.TaskProgress, task, progress, null, null);
    }

    private Uni<Void> reportFailure(Throwable failure) {
        Failure reason = failure instanceof SiteCallException site ? new Failure(site.code(), site.getMessage())
                : new Failure("InternalError", String.valueOf(failure.getMessage()));
        LOG.warnf("%s on %s failed in task %s: %s", what(), command.itemName(), currentTask, reason.message());
        Uni<Void> taskFailed = currentTask == null ? Uni.createFrom().voidItem()
                : emit(SyncEvent.Type.TaskFailed, currentTask, lastProgress, reason, null);
        return taskFailed.chain(() -> emit(SyncEvent.Type.SyncFailed, null, null, reason, null))
                .onFailure().invoke(e -> LOG.errorf("could not report the failure of %s: %s", what(), e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private Uni<Void> emit(SyncEvent.Type type, SyncTask task, TaskProgress progress, Failure failure,
            List<DiskVerification> verifications) {
        return emit(type, task, progress, failure, verifications, null, null, null);
    }

    private Uni<Void> emit(SyncEvent.Type type, SyncTask task, TaskProgress progress, Failure failure,
            List<DiskVerification> verifications, DeltaCheckpoint checkpoint, Instant recoveryPoint, CatchUpRound caughtUp) {
        SyncEvent event = new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), commandId,
                command.jobName(), command.itemName(), type, task, sequence.incrementAndGet(), Instant.now(), progress, failure,
                verifications == null ? null : new ArrayList<>(verifications), checkpoint, recoveryPoint, caughtUp);
        return publisher.publish(event);
    }
}
