package io.failback.contracts.messaging;

/**
 * The tasks that sync-service carries out and reports on in its {@link SyncEvent}s, and the one declaration of their
 * order: {@link #reportedBy} says which tasks a command's run reports and in what order, {@link #ofJob} which tasks
 * a job has. job-service creates a job's tasks from {@link #ofJob} (after its own prerequisites check); sync-service's
 * runs fail rather than report a task out of {@link #reportedBy}'s order.
 */
public enum SyncTask {
    PrepareOnPremisesVm("Check (or create) the virtual machine on the on-premises host"),
    ShutdownAzureVm("Shut down the virtual machine in Azure"),
    DataSynchronization("Synchronize data to the on-premises host"),
    SnapshotSynchronization("Synchronize a snapshot of the Azure VM while it keeps running (delta changes only)"),
    FinalDeltaSynchronization("Synchronize the changes made since the snapshot"),
    StartOnPremisesVm("Start the virtual machine on-premises"),
    RetainReplicaInAzure("Keep the Azure disks' final state as replica storage for Reverse Replicate"),
    DeleteAzureVm("Delete the virtual machine and its disks in Azure"),
    ReplicateToAzure("Replicate the on-premises virtual machine's disks to Azure"),
    ShutdownOnPremisesVm("Shut down the virtual machine on-premises"),
    FailoverToAzure("Create and start the virtual machine in Azure from the replica"),
    StartAzureVm("Start the virtual machine in Azure again"),
    TestFailoverToAzure("Create and start a test virtual machine in Azure from the latest recovery point"),
    DeleteTestAzureVm("Delete the test virtual machine and its disks in Azure"),
    DeleteReplicaInAzure("Delete the replica storage in Azure");

    public static final java.util.List<SyncTask> PLANNED_FAILBACK = java.util.List.of(PrepareOnPremisesVm, ShutdownAzureVm, DataSynchronization,
            StartOnPremisesVm);
    /** ForDownTime: phase 1 up to the suspension, phase 2 after "Complete Failover" (resume). */
    public static final java.util.List<SyncTask> PLANNED_FAILBACK_DELTA = java.util.List.of(PrepareOnPremisesVm,
            SnapshotSynchronization, ShutdownAzureVm, FinalDeltaSynchronization, StartOnPremisesVm);
    /** The part of {@link #PLANNED_FAILBACK_DELTA} that phase 1 runs: the run suspends after it. */
    private static final int SNAPSHOT_PHASE_TASKS = 2;
    public static final java.util.List<SyncTask> FAILOVER_COMMIT = java.util.List.of(RetainReplicaInAzure, DeleteAzureVm);
    /** Enable protection, Reverse Replicate and each cycle of ongoing replication. */
    public static final java.util.List<SyncTask> REPLICATION = java.util.List.of(ReplicateToAzure);
    /** Cancel of a failback that was not committed: the VM runs from Azure again. */
    public static final java.util.List<SyncTask> FAILBACK_CANCEL = java.util.List.of(ShutdownOnPremisesVm, StartAzureVm);
    /** Cancel of a failover to Azure that was not committed: the VM runs on-premises again. */
    public static final java.util.List<SyncTask> FAILOVER_TO_AZURE_CANCEL = java.util.List.of(DeleteAzureVm, StartOnPremisesVm);
    /** Planned failover PrimaryToRecovery: nothing written on-premises is left behind. */
    public static final java.util.List<SyncTask> PLANNED_FAILOVER_TO_AZURE = java.util.List.of(ShutdownOnPremisesVm, ReplicateToAzure,
            FailoverToAzure);

    /** Unplanned failover to Azure: from the latest recovery point, shutting the on-premises VM down only if asked. */
    public static final java.util.List<SyncTask> UNPLANNED_FAILOVER_TO_AZURE = java.util.List.of(ShutdownOnPremisesVm, FailoverToAzure);
    public static final java.util.List<SyncTask> TEST_FAILOVER = java.util.List.of(TestFailoverToAzure);
    public static final java.util.List<SyncTask> TEST_FAILOVER_CLEANUP = java.util.List.of(DeleteTestAzureVm);
    public static final java.util.List<SyncTask> DISABLE_PROTECTION = java.util.List.of(DeleteReplicaInAzure);

    /**
     * The tasks a run of {@code command} reports, in this order, until it succeeds or suspends (a failure ends it
     * earlier): each one started, then succeeded, before the next. A ForDownTime failback reports its phase 1 up to
     * the suspension, and the command that completes it ({@code completeFrom} set) the rest. A cancel reports none.
     */
    public static java.util.List<SyncTask> reportedBy(SyncCommand command) {
        java.util.List<SyncCommand.Operation> operations = command.operations();
        if (operations.size() != 1) {
            throw new IllegalArgumentException("a command carries exactly one operation; command " + command.commandId()
                    + " carries " + operations);
        }
        SyncCommand.Operation operation = operations.get(0);
        if (operation instanceof SyncCommand.PlannedFailover failover && isTwoPhaseFailback(failover)) {
            return failover.completeFrom() == null ? PLANNED_FAILBACK_DELTA.subList(0, SNAPSHOT_PHASE_TASKS)
                    : PLANNED_FAILBACK_DELTA.subList(SNAPSHOT_PHASE_TASKS, PLANNED_FAILBACK_DELTA.size());
        }
        return ofJob(operation);
    }

    /** The tasks of a job whose work is {@code operation}, over all its commands, in order. */
    public static java.util.List<SyncTask> ofJob(SyncCommand.Operation operation) {
        if (operation instanceof SyncCommand.PlannedFailover failover) {
            if (failover.failoverDirection() == FailoverDirection.PrimaryToRecovery) {
                return PLANNED_FAILOVER_TO_AZURE;
            }
            return isTwoPhaseFailback(failover) ? PLANNED_FAILBACK_DELTA : PLANNED_FAILBACK;
        }
        if (operation instanceof SyncCommand.UnplannedFailover failover) {
            return failover.shutDownOnPremisesVm() == null ? java.util.List.of(FailoverToAzure) : UNPLANNED_FAILOVER_TO_AZURE;
        }
        if (operation instanceof SyncCommand.FailoverCancel cancel) {
            return cancel.failoverDirection() == FailoverDirection.RecoveryToPrimary ? FAILBACK_CANCEL : FAILOVER_TO_AZURE_CANCEL;
        }
        if (operation instanceof SyncCommand.FailoverCommit) {
            return FAILOVER_COMMIT;
        }
        if (operation instanceof SyncCommand.Replicate) {
            return REPLICATION;
        }
        if (operation instanceof SyncCommand.TestFailover) {
            return TEST_FAILOVER;
        }
        if (operation instanceof SyncCommand.TestFailoverCleanup) {
            return TEST_FAILOVER_CLEANUP;
        }
        if (operation instanceof SyncCommand.DisableProtection) {
            return DISABLE_PROTECTION;
        }
        // Cancel ends a run and carries out nothing; a catch-up round keeps a suspended job's copy close to the Azure
        // VM and adds no task to the job (its figures travel on SyncCaughtUp).
        return java.util.List.of();
    }

    /** A failback copies in two phases unless it asked for the full download (ForSynchronization). */
    private static boolean isTwoPhaseFailback(SyncCommand.PlannedFailover failover) {
        return failover.failoverDirection() == FailoverDirection.RecoveryToPrimary
                && failover.dataSyncOption() != DataSyncOption.ForSynchronization;
    }

    private final String friendlyName;

    SyncTask(String friendlyName) {
        this.friendlyName = friendlyName;
    }

    public String friendlyName() {
        return friendlyName;
    }
}
