package io.failback.jobs.domain;

/** A replication protected item's protection state, named as Azure Site Recovery names them. */
public enum ProtectionState {
    /** Replicating from the active site to the other. */
    Protected,
    /** Failed over and committed: running at the active location, not protected. */
    FailoverCompleted,
    /** Failed over; waiting for Commit (or CancelFailover). */
    PlannedFailoverCommitRequired
}
