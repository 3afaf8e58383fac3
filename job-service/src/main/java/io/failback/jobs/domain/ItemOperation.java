package io.failback.jobs.domain;

/** Operations on a replication protected item, as {@code allowedOperations} lists them. */
public enum ItemOperation {
    PlannedFailover,
    UnplannedFailover,
    TestFailover,
    Commit,
    CancelFailover,
    ReverseReplicate,
    DisableProtection
}
