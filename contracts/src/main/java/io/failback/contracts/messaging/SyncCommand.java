package io.failback.contracts.messaging;

import java.time.Instant;

/**
 * job-service → sync-service, on {@link Topics#SYNC_COMMANDS}, keyed by {@code itemName}. Version
 * {@link ContractVersions#SYNC_COMMAND}.
 * <p>
 * Exactly one operation is set: {@code plannedFailover}, {@code unplannedFailover}, {@code testFailover},
 * {@code testFailoverCleanup}, {@code failoverCommit}, {@code failoverCancel}, {@code replicate},
 * {@code disableProtection}, {@code catchUp} — the work the job carries out — or {@code cancel}, the end of the job's
 * run. The last five of the first list were added within version 1: a consumer that does not know them finds no operation it
 * knows and dead-letters the command rather than guessing.
 * <p>
 * Delivered at least once: sync-service treats a second command with the same {@code jobName} and the same work
 * ({@link #sameWorkAs}) while the first is queued or runs as a duplicate; one of the same job with other work (a
 * ForDownTime failback's phase 2 after its phase 1) is the job's later step and supersedes the older run. job-service
 * ignores events for a job that already ended, or of a command it no longer waits on.
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
        FailoverCancel failoverCancel,
        UnplannedFailover unplannedFailover,
        TestFailover testFailover,
        TestFailoverCleanup testFailoverCleanup,
        DisableProtection disableProtection,
        CatchUp catchUp) {

    /** What a command asks for: exactly one of these is set on it. */
    public sealed interface Operation permits PlannedFailover, UnplannedFailover, TestFailover, TestFailoverCleanup, FailoverCommit,
            FailoverCancel, Replicate, DisableProtection, CatchUp, Cancel {
    }

    /** A new command (version {@link ContractVersions#SYNC_COMMAND}) carrying {@code operation}. */
    public static SyncCommand of(String commandId, String jobName, String itemName, Instant issuedAt, Operation operation) {
        return new SyncCommand(ContractVersions.SYNC_COMMAND, commandId, jobName, itemName, issuedAt,
                operation instanceof PlannedFailover o ? o : null, operation instanceof FailoverCommit o ? o : null,
                operation instanceof Replicate o ? o : null, operation instanceof Cancel o ? o : null,
                operation instanceof FailoverCancel o ? o : null, operation instanceof UnplannedFailover o ? o : null,
                operation instanceof TestFailover o ? o : null, operation instanceof TestFailoverCleanup o ? o : null,
                operation instanceof DisableProtection o ? o : null, operation instanceof CatchUp o ? o : null);
    }

    /** The operations set on this command: one on a valid command. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public java.util.List<Operation> operations() {
        return java.util.stream.Stream.<Operation>of(plannedFailover, unplannedFailover, testFailover, testFailoverCleanup, failoverCommit,
                failoverCancel, replicate, disableProtection, catchUp, cancel).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * Whether {@code other} asks for what this command asks for, under whatever id and time: the same job, item and
     * operation. A command {@link #reissued} does; ForDownTime's phase 2 (with {@code completeFrom}) does not do its
     * phase 1's work.
     */
    public boolean sameWorkAs(SyncCommand other) {
        return java.util.Objects.equals(jobName, other.jobName) && java.util.Objects.equals(itemName, other.itemName)
                && operations().equals(other.operations());
    }

    /** The same work under a new command id: what job-service sends when it hands a job to sync-service again. */
    public SyncCommand reissued(String newCommandId, Instant at) {
        return new SyncCommand(schemaVersion, newCommandId, jobName, itemName, at, plannedFailover, failoverCommit, replicate, cancel,
                failoverCancel, unplannedFailover, testFailover, testFailoverCleanup, disableProtection, catchUp);
    }

    /**
     * Unplanned failover to Azure: the on-premises site may be lost, so nothing is replicated first. The Azure VM
     * starts from the replica's latest recovery point; what the on-premises VM wrote after it is not in Azure.
     *
     * @param shutDownOnPremisesVm the on-premises VM to shut down first (the request's sourceSiteOperations
     *            Required, when its host still answers); null to leave the on-premises site alone
     */
    public record UnplannedFailover(AzureVm azureVm, OnPremisesVm shutDownOnPremisesVm) implements Operation {
    }

    /**
     * Test failover: a separate VM in Azure, started from a copy of the replica's latest recovery point, while the
     * protected VM keeps running on-premises and replicating. Nothing else changes.
     */
    public record TestFailover(AzureVm testVm) implements Operation {
    }

    /** Delete the VM (and its disks) that a test failover created. A VM already gone is success. */
    public record TestFailoverCleanup(AzureVm testVm) implements Operation {
    }

    /**
     * One catch-up round of a suspended ForDownTime failback (issue #17): while the job waits for "Complete Failover"
     * and the Azure VM keeps writing, snapshot it again, send the blocks (of partly written blocks, the pages) written
     * since {@code from}'s tracking points, read from that new snapshot, and answer {@code SyncCaughtUp} with the new
     * checkpoint, which the on-premises disks then equal (a failed round answers {@code SyncFailed}; the job stays
     * suspended, its checkpoint where it was). The snapshot of {@code from} is deleted once the new one is reached.
     * The on-premises disks stay marked inconsistent: only phase 2's proof ends that. Phase 2 of the same job
     * supersedes a round under way, which then stops; phase 2 continues from the last checkpoint a round reported.
     */
    public record CatchUp(AzureVm azureVm, OnPremisesVm onPremisesVm, String encryptionKeyId, DeltaCheckpoint from) implements Operation {
    }

    /** Disable protection: delete the item's replica storage in Azure. A replica already gone is success. */
    public record DisableProtection() implements Operation {
    }

    /**
     * Undo a failover that is not committed: the VM runs again where it ran before. {@code failoverDirection} is the
     * direction of the failover being undone: RecoveryToPrimary (a failback) shuts the on-premises VM down and starts
     * the Azure VM again; PrimaryToRecovery deletes the Azure VM made from the replica and starts the on-premises VM.
     */
    public record FailoverCancel(FailoverDirection failoverDirection, AzureVm azureVm, OnPremisesVm onPremisesVm) implements Operation {
    }

    /**
     * Stop the run of job {@code jobName} (the user cancelled it): the block stream under way is cut and no further
     * task starts. Written data stays; a target disk stays inconsistent until a later failback completes it.
     */
    public record Cancel(String reason) implements Operation {
    }

    /**
     * Commit after failback: keep the Azure disks' final state as the item's replica storage (so that Reverse
     * Replicate sends only what changed on-premises since), then delete the Azure VM and its disks.
     *
     * @param target the on-premises VM the failback started: its start tracking points date the retained replica
     */
    public record FailoverCommit(AzureVm source, OnPremisesVm target) implements Operation {
    }

    /**
     * One replication of an on-premises VM into its replica storage in Azure, from a consistent snapshot: every
     * block when the replica has no recovery point yet (initial replication), otherwise only the blocks changed
     * since the replica's recovery point (ongoing replication, and Reverse Replicate after a failback).
     *
     * @param verify prove the replica equal to the snapshot with SHA-256 on both sides (reads both disks whole)
     * @param resynchronize repair replication: ignore change tracking, compare every block's hash on both sides and
     *            send the blocks that differ (added within version 1; absent means false)
     */
    public record Replicate(OnPremisesVm source, boolean verify, boolean resynchronize) implements Operation {
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
            DeltaCheckpoint completeFrom) implements Operation {
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
