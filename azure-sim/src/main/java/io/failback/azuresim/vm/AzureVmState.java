package io.failback.azuresim.vm;

/** Power state of an Azure VM. Stopped means deallocated: the disks stay, nothing writes to them. */
public enum AzureVmState {
    Running,
    Stopping,
    Stopped,
    Deleted
}
