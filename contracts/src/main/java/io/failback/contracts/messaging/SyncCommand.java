package io.failback.contracts.messaging;

import java.time.Instant;

/**
 * job-service → sync-service, on {@link Topics#SYNC_COMMANDS}, keyed by {@code itemName}. Version
 * {@link ContractVersions#SYNC_COMMAND}.
 * <p>
 * Exactly one of {@code plannedFailover} and {@code failoverCommit} is set: the operation the job carries out.
 * <p>
 * Delivered at least once: sync-service treats a second command with the same {@code jobName} while the first runs
 * as a duplicate, and job-service ignores events for a job that already ended.
 *
 * @param commandId unique per command; echoed on every event the command causes
 * @param jobName the job this work belongs to
 * @param itemName the replication protected item (the VM)
 */
public record SyncCommand(
        int schemaVersion,
        String commandId,
        String jobName,
        String itemName,
        Instant issuedAt,
        PlannedFailover plannedFailover,
        FailoverCommit failoverCommit) {

    /** Commit after failback: delete the Azure VM and its disks; the VM now lives on-premises. */
    public record FailoverCommit(AzureVm source) {
    }

    /**
     * A planned failover's data-plane work.
     *
     * @param source the Azure VM the data comes from
     * @param target the on-premises host and VM the data goes to
     * @param encryptionKeyId certificate id of the cloud's data-encryption key, null when the cloud does not encrypt
     * @param completeFrom with ForDownTime: null runs phase 1 (snapshot, delta copy, suspend); the checkpoint that
     *            phase 1 reported runs phase 2 ("Complete Failover")
     */
    public record PlannedFailover(
            FailoverDirection failoverDirection,
            DataSyncOption dataSyncOption,
            RecoveryVmCreationOption recoveryVmCreationOption,
            AzureVm source,
            OnPremisesVm target,
            String encryptionKeyId,
            DeltaCheckpoint completeFrom) {
    }

    public record AzureVm(String vmName) {
    }

    /**
     * @param providerId the Hyper-V host (its Site Recovery provider id)
     * @param hostUrl where the host-agent's API answers, as its last heartbeat said
     * @param virtualSwitchName the switch to attach a VM that failback creates: the one it had on the original host
     */
    public record OnPremisesVm(String providerId, String hostUrl, String vmName, String virtualSwitchName) {
    }
}
