package io.failback.jobs.domain;

/** Operations on a replication protected item, as {@code allowedOperations} lists them. */
public enum ItemOperation {
    PlannedFailover,
    UnplannedFailover,
    TestFailover,
    /** Delete the VM a test failover created. */
    TestFailoverCleanup,
    Commit,
    CancelFailover,
    ReverseReplicate,
    /** Resynchronize: compare every block's hash with the replica's and send those that differ. */
    RepairReplication,
    DisableProtection
}
