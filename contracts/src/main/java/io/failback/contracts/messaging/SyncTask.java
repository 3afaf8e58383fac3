package io.failback.contracts.messaging;

/**
 * The tasks that sync-service carries out and reports on in its {@link SyncEvent}s. job-service creates a job's
 * tasks in the order of {@link #PLANNED_FAILBACK} or {@link #FAILOVER_COMMIT} (after its own prerequisites check).
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

    private final String friendlyName;

    SyncTask(String friendlyName) {
        this.friendlyName = friendlyName;
    }

    public String friendlyName() {
        return friendlyName;
    }
}
