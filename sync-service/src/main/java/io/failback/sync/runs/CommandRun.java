package io.failback.sync.runs;

import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteCallException;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.contracts.messaging.SyncEvent.Failure;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.smallrye.mutiny.Uni;
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
 */
public abstract class CommandRun {
    private static final Logger LOG = Logger.getLogger(CommandRun.class);
    static final String UNDECLARED_TASKS = "UndeclaredTaskOrder";

    protected final SyncCommand command;
    private final SyncEventPublisher publisher;
    private final AtomicLong sequence = new AtomicLong();
    private final List<SyncTask> declaredTasks;
    /** How many of {@link #declaredTasks} have started. */
    private volatile int tasksStarted;
    /** The command this run answers to: job-service may re-issue the job's command, and then follows the new id. */
    private volatile String commandId;
    private volatile SyncTask currentTask;
    private volatile boolean cancelled;
    protected volatile TaskProgress lastProgress;

    CommandRun(SyncCommand command, SyncEventPublisher publisher) {
        this.command = command;
        this.publisher = publisher;
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
    record Outcome(List<DiskVerification> verifications, DeltaCheckpoint suspendedAt, Instant recoveryPoint) {
        static Outcome succeeded(List<DiskVerification> verifications) {
            return new Outcome(verifications, null, null);
        }

        static Outcome replicated(List<DiskVerification> verifications, Instant recoveryPoint) {
            return new Outcome(verifications, null, recoveryPoint);
        }

        static Outcome suspended(DeltaCheckpoint checkpoint) {
            return new Outcome(null, checkpoint, null);
        }
    }

    /** The tasks, chained. */
    protected abstract Uni<Outcome> tasks();

    final Uni<Void> run() {
        return tasks()
                .invoke(this::checkEveryDeclaredTaskReported)
                .chain(outcome -> outcome.suspendedAt() != null
                        ? emit(SyncEvent.Type.SyncSuspended, null, null, null, null, outcome.suspendedAt(), null)
                        : emit(SyncEvent.Type.SyncSucceeded, null, null, null, outcome.verifications(), null,
                                outcome.recoveryPoint()))
                .invoke(() -> LOG.infof("%s on %s ended (command %s)", what(), command.itemName(), commandId))
                .onFailure().call(this::reportFailure)
                .onFailure().recoverWithNull()
                .replaceWithVoid();
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
                .chain(() -> work.get())
                .call(() -> emit(SyncEvent.Type.TaskSucceeded, task, lastProgress, null, null));
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
        return emit(type, task, progress, failure, verifications, null, null);
    }

    private Uni<Void> emit(SyncEvent.Type type, SyncTask task, TaskProgress progress, Failure failure,
            List<DiskVerification> verifications, DeltaCheckpoint checkpoint, Instant recoveryPoint) {
        SyncEvent event = new SyncEvent(ContractVersions.SYNC_EVENT, UUID.randomUUID().toString(), commandId,
                command.jobName(), command.itemName(), type, task, sequence.incrementAndGet(), Instant.now(), progress, failure,
                verifications == null ? null : new ArrayList<>(verifications), checkpoint, recoveryPoint);
        return publisher.publish(event);
    }
}
