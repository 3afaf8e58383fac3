package io.failback.jobs.domain;

/**
 * Where an item stands when no job owns it: what {@link Scenario}s declare they start from. Every idle item is in
 * exactly one.
 */
public enum ItemCondition {
    /** Protected: replicating from on-premises to Azure, no test VM in Azure. */
    Protected,
    /** Protected, with a test failover's VM running in Azure until it is cleaned up. */
    ProtectedWithTestVm,
    /** A failover to Azure is done and committed (or the VM was registered there): it runs in Azure, unprotected. */
    RunningInAzure,
    /** A failback is committed: it runs on-premises, unprotected until Reverse Replicate. */
    RunningOnPremises,
    /** A failover to Azure (planned or not) is done and waits for Commit or Cancel. */
    FailedOverCommitPending,
    /** A failback is done and waits for Commit or Cancel. */
    FailedBackCommitPending;

    /** The item's condition; null while a job owns it. */
    public static ItemCondition of(ReplicationProtectedItem item) {
        if (item.currentScenarioJobName != null) {
            return null;
        }
        boolean inAzure = item.activeLocation == ActiveLocation.Recovery;
        return switch (item.protectionState) {
            case Protected -> item.testFailoverVmName != null ? ProtectedWithTestVm : Protected;
            case FailoverCompleted -> inAzure ? RunningInAzure : RunningOnPremises;
            case PlannedFailoverCommitRequired -> inAzure ? FailedOverCommitPending : FailedBackCommitPending;
        };
    }
}
