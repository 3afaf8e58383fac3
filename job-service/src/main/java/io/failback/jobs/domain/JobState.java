package io.failback.jobs.domain;

/** Azure Site Recovery's job and task states. */
public enum JobState {
    NotStarted,
    InProgress,
    Succeeded,
    Failed,
    Cancelled,
    Suspended,
    Other;

    public boolean isFinal() {
        return this == Succeeded || this == Failed || this == Cancelled;
    }
}
