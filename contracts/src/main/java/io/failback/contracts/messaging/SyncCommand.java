package io.failback.contracts.messaging;

import java.time.Instant;

/**
 * job-service → sync-service, on {@link Topics#SYNC_COMMANDS}, keyed by {@code itemName}. Version
 * {@link ContractVersions#SYNC_COMMAND}.
 * <p>
 * Exactly one of {@code plannedFailover}, {@code failoverCommit}, {@code replicate}, {@code failoverCancel} and
 * {@code cancel} is set: the operation the job carries out, or (cancel) the end of the job's run.
 * <p>
 * Delivered at least once: sync-service treats a second command with the same {@code jobName} while the first runs
 * as a duplicate, and job-service ignores events for a job that already ended.
 *
 * @param commandId unique per command; echoed on every event the command causes
 * @param jobName the job this work belongs to; null for a replication cycle of ongoing protection, which is no job
 * @param itemName the replication protected item (the VM)
 */
public record SyncCommand(
        int schemaVersion,
        String commandId,
        String jobName,
        String itemName,
        Instant issuedAt,
        PlannedFailover plannedFailover,
        FailoverCommit failoverCommit,
        Replicate replicate,
        Cancel cancel,
        FailoverCancel failoverCancel) {

    /** The same work under a new command id: what job-service sends when it hands a job to sync-service again. */
    public SyncCommand reissued(String newCommandId, Instant at) {
        return new SyncCommand(schemaVersion, newCommandId, jobName, itemName, at, plannedFailover, failoverCommit, replicate, cancel,
                failoverCancel);
    }

    /**
     * Undo a failover that is not committed: the VM runs again where it ran before. {@code failoverDirection} is the
     * direction of the failover being undone: RecoveryToPrimary (a failback) shuts the on-premises VM down and starts
     * the Azure VM again; PrimaryToRecovery deletes the Azure VM made from the replica and starts the on-premises VM.
     */
    public record FailoverCancel(FailoverDirection failoverDirection, AzureVm azureVm, OnPremisesVm onPremisesVm) {
    }

    /**
     * Stop the run of job {@code jobName} (the user cancelled it): the block stream under way is cut and no further
     * task starts. Written data stays; a target disk stays inconsistent until a later failback completes it.
     */
    public record Cancel(String reason) {
    }

    /**
     * Commit after failback: keep the Azure disks' final state as the item's replica storage (so that Reverse
     * Replicate sends only what changed on-premises since), then delete the Azure VM and its disks.
     *
     * @param target the on-premises VM the failback started: its start tracking points date the retained replica
     */
    public record FailoverCommit(AzureVm source, OnPremisesVm target) {
    }

    /**
     * One replication of an on-premises VM into its replica storage in Azure, from a consistent snapshot: every
     * block when the replica has no recovery point yet (initial replication), otherwise only the blocks changed
     * since the replica's recovery point (ongoing replication, and Reverse Replicate after a failback).
     *
     * @param verify prove the replica equal to the snapshot with SHA-256 on both sides (reads both disks whole)
     */
    public record Replicate(OnPremisesVm source, boolean verify) {
    }

    /**
     * A planned failover's data-plane work. RecoveryToPrimary (failback) copies the Azure VM's disks to the
     * on-premises VM; PrimaryToRecovery shuts the on-premises VM down, replicates its last changes and starts the Azure
     * VM from the replica.
     *
     * @param azureVm the VM in Azure: the failback's source, or the VM a failover to Azure creates
     * @param onPremisesVm the host and VM on-premises: the failback's target, or the failover's source
     * @param dataSyncOption failback only; null for PrimaryToRecovery
     * @param recoveryVmCreationOption failback only
     * @param encryptionKeyId certificate id of the cloud's data-encryption key, null when the cloud does not encrypt
     * @param completeFrom with ForDownTime: null runs phase 1 (snapshot, delta copy, suspend); the checkpoint that
     *            phase 1 reported runs phase 2 ("Complete Failover")
     */
    public record PlannedFailover(
            FailoverDirection failoverDirection,
            DataSyncOption dataSyncOption,
            RecoveryVmCreationOption recoveryVmCreationOption,
            AzureVm azureVm,
            OnPremisesVm onPremisesVm,
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
