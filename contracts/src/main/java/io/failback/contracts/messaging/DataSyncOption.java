package io.failback.contracts.messaging;

/**
 * The failback's data synchronization option, named as Azure Site Recovery's API names it.
 * <ul>
 * <li>{@code ForDownTime}: "Synchronize data before failover (delta changes only)": phase 1 copies a snapshot while
 * the Azure VM runs, then the job suspends until "Complete Failover" (resume) runs phase 2.</li>
 * <li>{@code ForSynchronization}: "Synchronize data during failover only (full download)": shut down, download every
 * block, no checksums.</li>
 * </ul>
 */
public enum DataSyncOption {
    ForDownTime,
    ForSynchronization
}
