package io.failback.jobs.domain;

import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import java.time.Instant;
import java.util.List;

/**
 * A step of a job (stored inside the job's row as JSON: tasks belong to their job and change with it).
 *
 * @param lastSequence the highest sync-event sequence applied to this task, so late or repeated reports are ignored
 * @param waitedForAPart whether the task ever {@link #waiting waited} for a part that was away: its duration then says
 *        nothing about how fast the work goes, and the failback estimate does not learn from it
 * @param waitedItsTurn whether the task ever waited its turn (a copy slot, a busy site): copies sharing the link,
 *        which the estimate learns from as it learns from any
 */
public record JobTask(String taskId, String name, String friendlyName, JobState state, String stateDescription,
        Instant startTime, Instant endTime, TaskProgress progress, List<JobError> errors, long lastSequence, boolean waitedForAPart,
        boolean waitedItsTurn) {
    /** What a waiting task's (and its job's) state description starts with; the rest names the part it waits for. */
    public static final String WAITING_PREFIX = "Waiting: ";
    private static final String IN_PROGRESS = "In progress";

    public static JobTask notStarted(String name, String friendlyName) {
        return new JobTask(name, name, friendlyName, JobState.NotStarted, "Not started", null, null, null, List.of(), 0, false, false);
    }

    public JobTask started(Instant at, long sequence) {
        return new JobTask(taskId, name, friendlyName, JobState.InProgress, IN_PROGRESS, at, null, progress, errors, sequence, waitedForAPart, waitedItsTurn);
    }

    /** A re-issued command numbers its events from 1 again. */
    public JobTask withSequenceReset() {
        return new JobTask(taskId, name, friendlyName, state, stateDescription, startTime, endTime, progress, errors, 0, waitedForAPart, waitedItsTurn);
    }

    /** A newer report; a waiting task goes on ("In progress") with it. */
    public JobTask progressed(TaskProgress newProgress, long sequence) {
        return new JobTask(taskId, name, friendlyName, state, waitsForAPart() ? IN_PROGRESS : stateDescription, startTime, endTime,
                notBelowShown(newProgress), errors, sequence, waitedForAPart, waitedItsTurn);
    }

    public JobTask succeeded(Instant at, TaskProgress finalProgress, long sequence) {
        return new JobTask(taskId, name, friendlyName, JobState.Succeeded, "Completed", startTime == null ? at : startTime, at,
                finalProgress == null ? progress : notBelowShown(finalProgress), errors, sequence, waitedForAPart, waitedItsTurn);
    }

    /**
     * The task cannot go on until a part that is away is back, or until its turn comes (a copy slot, a busy site): it
     * stays in progress and says what it waits for. A task that had not started yet starts waiting; one that ended stays
     * as it is. Only a wait for a part that was away marks it {@code waitedForAPart}: waiting one's turn is how copies
     * share the link, which is what the estimate learns.
     *
     * @param itsTurn whether it waits its turn rather than for a part that is away
     */
    public JobTask waiting(Instant at, String waitingFor, long sequence, boolean itsTurn) {
        if (state.isFinal()) {
            return this;
        }
        return new JobTask(taskId, name, friendlyName, JobState.InProgress, WAITING_PREFIX + waitingFor,
                startTime == null ? at : startTime, null, progress, errors, sequence, waitedForAPart || !itsTurn, waitedItsTurn || itsTurn);
    }

    /** The part the task waited for is back: it goes on. */
    public JobTask resumed(long sequence) {
        return new JobTask(taskId, name, friendlyName, state, waitsForAPart() ? IN_PROGRESS : stateDescription, startTime, endTime,
                progress, errors, sequence, waitedForAPart, waitedItsTurn);
    }

    public boolean waitsForAPart() {
        return state == JobState.InProgress && stateDescription != null && stateDescription.startsWith(WAITING_PREFIX);
    }

    /**
     * A resumed copy counts from its durable checkpoint, which may lie a little below what was shown before it was cut:
     * the bytes sent shown never go back while the task lives; the rest (rate, ETA) is the newest report's.
     */
    private TaskProgress notBelowShown(TaskProgress newer) {
        if (progress == null || newer == null || newer.bytesSent() >= progress.bytesSent()) {
            return newer;
        }
        return new TaskProgress(newer.bytesTotal(), newer.bytesScanned(), newer.bytesToSend(), progress.bytesSent(),
                newer.bytesPerSecond(), newer.etaSeconds(), newer.bytesResumed());
    }

    /** A task that had not finished when its job was cancelled. */
    public JobTask cancelled(Instant at) {
        return state.isFinal() ? this : new JobTask(taskId, name, friendlyName, JobState.Cancelled, "Cancelled",
                startTime, state == JobState.NotStarted ? null : at, progress, errors, lastSequence, waitedForAPart, waitedItsTurn);
    }

    public JobTask failed(Instant at, JobError error, long sequence) {
        return new JobTask(taskId, name, friendlyName, JobState.Failed, error.message(), startTime == null ? at : startTime, at,
                progress, List.of(error), sequence, waitedForAPart, waitedItsTurn);
    }
}
