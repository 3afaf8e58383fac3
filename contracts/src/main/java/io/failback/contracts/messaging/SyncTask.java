package io.failback.contracts.messaging;

/**
 * The tasks of a failback job that sync-service carries out and reports on. job-service creates them on the job in
 * this order (after its own prerequisites check); sync-service names them in its {@link SyncEvent}s.
 */
public enum SyncTask {
    ShutdownAzureVm("Shut down the virtual machine in Azure"),
    DataSynchronization("Synchronize data to the on-premises host"),
    StartOnPremisesVm("Start the virtual machine on-premises");

    private final String friendlyName;

    SyncTask(String friendlyName) {
        this.friendlyName = friendlyName;
    }

    public String friendlyName() {
        return friendlyName;
    }
}
