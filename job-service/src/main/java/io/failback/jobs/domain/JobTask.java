package io.failback.jobs.domain;

import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import java.time.Instant;
import java.util.List;

/**
 * A step of a job (stored inside the job's row as JSON: tasks belong to their job and change with it).
 *
 * @param lastSequence the highest sync-event sequence applied to this task, so late or repeated reports are ignored
 */
public record JobTask(String taskId, String name, String friendlyName, JobState state, String stateDescription,
        Instant startTime, Instant endTime, TaskProgress progress, List<JobError> errors, long lastSequence) {

    public static JobTask notStarted(String name, String friendlyName) {
        return new JobTask(name, name, friendlyName, JobState.NotStarted, "Not started", null, null, null, List.of(), 0);
    }

    public JobTask started(Instant at, long sequence) {
        return new JobTask(taskId, name, friendlyName, JobState.InProgress, "In progress", at, null, progress, errors, sequence);
    }

    /** A re-issued command numbers its events from 1 again. */
    public JobTask withSequenceReset() {
        return new JobTask(taskId, name, friendlyName, state, stateDescription, startTime, endTime, progress, errors, 0);
    }

    public JobTask progressed(TaskProgress newProgress, long sequence) {
        return new JobTask(taskId, name, friendlyName, state, stateDescription, startTime, endTime, newProgress, errors, sequence);
    }

    public JobTask succeeded(Instant at, TaskProgress finalProgress, long sequence) {
        return new JobTask(taskId, name, friendlyName, JobState.Succeeded, "Completed", startTime == null ? at : startTime, at,
                finalProgress == null ? progress : finalProgress, errors, sequence);
    }

    /** A task that had not finished when its job was cancelled. */
    public JobTask cancelled(Instant at) {
        return state.isFinal() ? this : new JobTask(taskId, name, friendlyName, JobState.Cancelled, "Cancelled",
                startTime, state == JobState.NotStarted ? null : at, progress, errors, lastSequence);
    }

    public JobTask failed(Instant at, JobError error, long sequence) {
        return new JobTask(taskId, name, friendlyName, JobState.Failed, error.message(), startTime == null ? at : startTime, at,
                progress, List.of(error), sequence);
    }
}
