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
    DeleteAzureVm("Delete the virtual machine and its disks in Azure");

    public static final java.util.List<SyncTask> PLANNED_FAILBACK = java.util.List.of(PrepareOnPremisesVm, ShutdownAzureVm, DataSynchronization,
            StartOnPremisesVm);
    /** ForDownTime: phase 1 up to the suspension, phase 2 after "Complete Failover" (resume). */
    public static final java.util.List<SyncTask> PLANNED_FAILBACK_DELTA = java.util.List.of(PrepareOnPremisesVm,
            SnapshotSynchronization, ShutdownAzureVm, FinalDeltaSynchronization, StartOnPremisesVm);
    public static final java.util.List<SyncTask> FAILOVER_COMMIT = java.util.List.of(DeleteAzureVm);

    private final String friendlyName;

    SyncTask(String friendlyName) {
        this.friendlyName = friendlyName;
    }

    public String friendlyName() {
        return friendlyName;
    }
}
