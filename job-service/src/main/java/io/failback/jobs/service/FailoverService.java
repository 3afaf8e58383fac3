package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.messaging.Topics;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ProtectionState;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Starts operations on protected items. Each one checks the state machine and the prerequisites, then writes the
 * job, the item's new state and the command for sync-service in one transaction.
 */
@ApplicationScoped
public class FailoverService {
    public static final String PREREQUISITES_TASK = "PrerequisitesCheck";
    public static final String PLANNED_FAILOVER = "PlannedFailover";
    public static final String FAILOVER_COMMIT = "FailoverCommit";
    public static final String ENABLE_PROTECTION = "EnableProtection";
    public static final String REPROTECT = "Reprotect";
    public static final String FAILOVER_CANCEL = "FailoverCancel";
    public static final String UNPLANNED_FAILOVER = "UnplannedFailover";
    public static final String TEST_FAILOVER = "TestFailover";
    public static final String TEST_FAILOVER_CLEANUP = "TestFailoverCleanup";
    public static final String REPAIR_REPLICATION = "RepairReplication";
    public static final String DISABLE_PROTECTION = "DisableProtection";

    private final OutboxWriter outbox;
    private final JobServiceConfig config;
    private final com.fasterxml.jackson.databind.ObjectMapper json;

    public FailoverService(OutboxWriter outbox, JobServiceConfig config, com.fasterxml.jackson.databind.ObjectMapper json) {
        this.outbox = outbox;
        this.config = config;
        this.json = json;
    }

    @WithTransaction
    public Uni<ReplicationProtectedItem> register(String name, RegisterItemRequest request) {
        RegisterItemRequest.Properties p = request.properties();
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(name).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().failure(ProblemException.conflict("ItemExists",
                        "replication protected item '" + name + "' already exists"));
            }
            if (p.activeLocation() == ActiveLocation.Recovery && (p.recoveryAzureVmName() == null || p.recoveryAzureVmName().isBlank())) {
                return Uni.createFrom().failure(ProblemException.badRequest("RecoveryAzureVmNameRequired",
                        "an item running in Azure (activeLocation Recovery) must name its Azure VM in recoveryAzureVmName"));
            }
            ReplicationProtectedItem item = new ReplicationProtectedItem();
            item.name = name;
            item.friendlyName = p.friendlyName() == null ? name : p.friendlyName();
            item.activeLocation = p.activeLocation();
            item.protectionState = ProtectionState.FailoverCompleted;
            item.protectionStateDescription = "Failover committed: running in Azure, not protected";
            item.primaryProviderId = p.primaryProviderId();
            item.primaryVmName = p.primaryVmName() == null ? name : p.primaryVmName();
            item.primaryVirtualSwitchName = p.primaryVirtualSwitchName();
            item.recoveryAzureVmName = p.recoveryAzureVmName() == null || p.recoveryAzureVmName().isBlank() ? name : p.recoveryAzureVmName();
            item.replicationHealth = "Normal";
            if (p.activeLocation() == ActiveLocation.Recovery) {
                return item.persist();
            }
            return item.<ReplicationProtectedItem>persist()
                    .call(persisted -> startReplicationJob(persisted, ENABLE_PROTECTION, "Enable protection",
                            "Enabling protection: initial replication to Azure"))
                    .replaceWith(item);
        });
    }

    /**
     * "Reverse Replicate" after a committed failback: protection again, from the on-premises VM into the replica in
     * Azure that Commit kept, so only what changed on-premises since the failback travels.
     */
    @WithTransaction
    public Uni<ReplicationJob> reprotect(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.ReverseReplicate)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.ReverseReplicate));
                    }
                    return startReplicationJob(item, REPROTECT, "Reverse replicate",
                            "Reverse replicating: sending the changes made on-premises to Azure");
                });
    }

    /** A job of one verified replication (initial or delta, as the replica decides) that ends with the item Protected. */
    private Uni<ReplicationJob> startReplicationJob(ReplicationProtectedItem item, String scenario, String friendlyName,
            String description) {
        return connectedProvider(item.primaryProviderId).chain(provider -> {
            Instant now = Instant.now();
            ReplicationJob job = newJob(item, scenario, friendlyName, now);
            job.targetProviderId = provider.providerId;
            job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for " + friendlyName.toLowerCase(java.util.Locale.ROOT),
                    SyncTask.REPLICATION, now), List.of(), List.of(), null);
            item.beginScenario(scenario, job.name, now);
            item.protectionStateDescription = description;
            SyncCommand command = command(job.name, item.name, now, new SyncCommand.Replicate(onPremisesVm(item, provider), true, false));
            return job.<ReplicationJob>persist().call(() -> issue(job, command));
        });
    }

    /** One cycle of ongoing replication for a Protected item: no job, its outcome updates the item's recovery point. */
    public Uni<Void> issueReplicationCycle(ReplicationProtectedItem item, FabricProvider provider) {
        Instant now = Instant.now();
        SyncCommand command = command(null, item.name, now, new SyncCommand.Replicate(onPremisesVm(item, provider), false, false));
        return outbox.add(Topics.SYNC_COMMANDS, item.name, command).invoke(message -> {
            item.replicationCycleCommandId = command.commandId();
            item.replicationCycleIssuedAt = now;
        }).replaceWithVoid();
    }

    private static SyncCommand.OnPremisesVm onPremisesVm(ReplicationProtectedItem item, FabricProvider provider) {
        return new SyncCommand.OnPremisesVm(provider.providerId, provider.baseUrl, item.primaryVmName, item.primaryVirtualSwitchName);
    }

    private static ReplicationJob newJob(ReplicationProtectedItem item, String scenario, String friendlyName, Instant now) {
        ReplicationJob job = new ReplicationJob();
        job.name = UUID.randomUUID().toString();
        job.scenarioName = scenario;
        job.friendlyName = friendlyName;
        job.state = JobState.InProgress;
        job.stateDescription = "In progress";
        job.targetObjectId = item.name;
        job.targetObjectName = item.friendlyName;
        job.startTime = now;
        return job;
    }

    @WithTransaction
    public Uni<ReplicationJob> plannedFailover(String itemName, PlannedFailoverRequest request) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.PlannedFailover)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.PlannedFailover));
                    }
                    FailoverDirection direction = request.properties().failoverDirection();
                    if (direction == FailoverDirection.RecoveryToPrimary && item.activeLocation == ActiveLocation.Recovery) {
                        return failback(item, request.properties().providerSpecificDetails());
                    }
                    if (direction == FailoverDirection.PrimaryToRecovery && item.activeLocation == ActiveLocation.Primary
                            && item.protectionState == ProtectionState.Protected) {
                        return failoverToAzure(item);
                    }
                    return Uni.createFrom().failure(new ProblemException(422, "FailoverDirectionNotSupported",
                            "item '" + itemName + "' is active at " + item.activeLocation + " (" + item.protectionState + "); a planned failover "
                                    + direction + " runs from the active site to the other, and PrimaryToRecovery needs the item Protected"));
                });
    }

    private Uni<ReplicationJob> failback(ReplicationProtectedItem item, PlannedFailoverRequest.ProviderSpecificDetails details) {
        DataSyncOption dataSync = details == null || details.dataSyncOption() == null ? DataSyncOption.ForDownTime : details.dataSyncOption();
        RecoveryVmCreationOption creation = details == null || details.recoveryVmCreationOption() == null
                ? RecoveryVmCreationOption.NoAction : details.recoveryVmCreationOption();
        String alternate = details == null ? null : details.providerIdForAlternateRecovery();
        String targetProviderId = alternate == null || alternate.isBlank() ? item.primaryProviderId : alternate;
        return connectedProvider(targetProviderId).chain(provider -> {
            Instant now = Instant.now();
            ReplicationJob job = newFailbackJob(item, dataSync, creation, targetProviderId, now);
            job.encryptionKeyId = details == null ? null : details.encryptionKeyId();
            item.beginScenario(PLANNED_FAILOVER, job.name, now);
            item.protectionStateDescription = "Planned failover (failback) in progress";
            return job.<ReplicationJob>persist()
                    .call(() -> issue(job, failbackCommand(job, item, provider, null, now)));
        });
    }

    /**
     * Unplanned failover. Never in the failback direction: failback must lose no data, which only the planned
     * failover's shutdown and final synchronization guarantee. To Azure it starts the VM from the replica's latest
     * recovery point without replicating first, so it works when the on-premises site is lost; what the VM wrote
     * there after that point is not in Azure (the RPO). With sourceSiteOperations Required the on-premises VM is shut
     * down first, so that the two copies never run at once.
     */
    @WithTransaction
    public Uni<ReplicationJob> unplannedFailover(String itemName, ItemOperationRequests.UnplannedFailover request) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (request.properties().failoverDirection() == FailoverDirection.RecoveryToPrimary) {
                        return Uni.createFrom().failure(new ProblemException(422, "UnplannedFailbackNotSupported",
                                "only a planned failover may run in the failback direction (RecoveryToPrimary): it shuts the Azure VM down "
                                        + "and synchronizes every change before the VM starts on-premises, so nothing is lost; an unplanned "
                                        + "failover would drop what the Azure VM wrote since. Use plannedFailover"));
                    }
                    if (!ItemStateMachine.allows(item, ItemOperation.UnplannedFailover)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.UnplannedFailover));
                    }
                    if (item.lastReplicatedTime == null) {
                        return Uni.createFrom().failure(ProblemException.conflict("NoRecoveryPoint", "'" + itemName
                                + "' has no recovery point in Azure yet: initial replication has not completed"));
                    }
                    boolean shutDownFirst = request.properties().sourceSiteOperations() == ItemOperationRequests.SourceSiteOperations.Required;
                    Uni<FabricProvider> provider = shutDownFirst ? connectedProvider(item.primaryProviderId) : Uni.createFrom().nullItem();
                    return provider.chain(host -> {
                        Instant now = Instant.now();
                        ReplicationJob job = newJob(item, UNPLANNED_FAILOVER, "Unplanned failover (on-premises to Azure)", now);
                        job.failoverDirection = FailoverDirection.PrimaryToRecovery;
                        job.targetProviderId = host == null ? null : host.providerId;
                        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for unplanned failover",
                                shutDownFirst ? SyncTask.UNPLANNED_FAILOVER_TO_AZURE : List.of(SyncTask.FailoverToAzure), now),
                                List.of(), List.of(), null);
                        item.beginScenario(UNPLANNED_FAILOVER, job.name, now);
                        item.protectionStateDescription = "Unplanned failover to Azure in progress, from the recovery point of "
                                + item.lastReplicatedTime;
                        // A replication cycle answered after this point must not move the recovery point any more.
                        item.replicationCycleCommandId = null;
                        item.replicationCycleIssuedAt = null;
                        return job.<ReplicationJob>persist().call(() -> issue(job, command(job.name, item.name, now,
                                new SyncCommand.UnplannedFailover(new SyncCommand.AzureVm(item.recoveryAzureVmName),
                                        host == null ? null : onPremisesVm(item, host)))));
                    });
                });
    }

    /**
     * Test failover: a VM named {@link #testVmName} starts in Azure from the replica's latest recovery point, while the
     * protected VM keeps running on-premises and replicating. The item stays Protected; test failover cleanup deletes
     * the test VM.
     */
    @WithTransaction
    public Uni<ReplicationJob> testFailover(String itemName, ItemOperationRequests.TestFailover request) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.TestFailover)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.TestFailover));
                    }
                    if (request.properties().failoverDirection() != FailoverDirection.PrimaryToRecovery) {
                        return Uni.createFrom().failure(new ProblemException(422, "FailoverDirectionNotSupported",
                                "a test failover runs from the protected on-premises VM's replica into Azure (PrimaryToRecovery)"));
                    }
                    if (item.lastReplicatedTime == null) {
                        return Uni.createFrom().failure(ProblemException.conflict("NoRecoveryPoint", "'" + itemName
                                + "' has no recovery point in Azure yet: initial replication has not completed"));
                    }
                    Instant now = Instant.now();
                    ReplicationJob job = newJob(item, TEST_FAILOVER, "Test failover", now);
                    job.failoverDirection = FailoverDirection.PrimaryToRecovery;
                    job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for test failover", SyncTask.TEST_FAILOVER, now),
                            List.of(), List.of(), null);
                    item.beginScenario(TEST_FAILOVER, job.name, now);
                    item.protectionStateDescription = "Test failover in progress";
                    return job.<ReplicationJob>persist().call(() -> issue(job, command(job.name, item.name, now,
                            new SyncCommand.TestFailover(new SyncCommand.AzureVm(testVmName(item))))));
                });
    }

    /** The VM a test failover of {@code item} creates in Azure, beside the name a real failover would use. */
    public static String testVmName(ReplicationProtectedItem item) {
        return item.recoveryAzureVmName + "-test";
    }

    /** Deletes the test VM; the comments stay on the item. */
    @WithTransaction
    public Uni<ReplicationJob> testFailoverCleanup(String itemName, ItemOperationRequests.TestFailoverCleanup request) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.TestFailoverCleanup)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.TestFailoverCleanup));
                    }
                    Instant now = Instant.now();
                    ReplicationJob job = newJob(item, TEST_FAILOVER_CLEANUP, "Test failover cleanup", now);
                    job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for test failover cleanup",
                            SyncTask.TEST_FAILOVER_CLEANUP, now), List.of(), List.of(), null);
                    item.beginScenario(TEST_FAILOVER_CLEANUP, job.name, now);
                    item.protectionStateDescription = "Cleaning up the test failover";
                    item.testFailoverComments = request == null ? null : request.properties().comments();
                    return job.<ReplicationJob>persist().call(() -> issue(job, command(job.name, item.name, now,
                            new SyncCommand.TestFailoverCleanup(new SyncCommand.AzureVm(item.testFailoverVmName)))));
                });
    }

    /**
     * Repair replication ("resynchronize"): when replication is unhealthy, compare every block's hash of a snapshot
     * of the on-premises VM with the replica's and send the blocks that differ, then prove the replica with a digest.
     */
    @WithTransaction
    public Uni<ReplicationJob> repairReplication(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.RepairReplication)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.RepairReplication));
                    }
                    return connectedProvider(item.primaryProviderId).chain(provider -> {
                        Instant now = Instant.now();
                        ReplicationJob job = newJob(item, REPAIR_REPLICATION, "Repair replication", now);
                        job.targetProviderId = provider.providerId;
                        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for repair replication",
                                SyncTask.REPLICATION, now), List.of(), List.of(), null);
                        item.beginScenario(REPAIR_REPLICATION, job.name, now);
                        item.protectionStateDescription = "Resynchronizing: comparing every block with the replica's";
                        return job.<ReplicationJob>persist().call(() -> issue(job, command(job.name, item.name, now,
                                new SyncCommand.Replicate(onPremisesVm(item, provider), true, true))));
                    });
                });
    }

    /**
     * Disable protection: replication stops and the replica storage in Azure is deleted; once that is done the item
     * is removed. The VM itself keeps running where it runs. An item that a recovery plan lists cannot be removed.
     */
    @WithTransaction
    public Uni<ReplicationJob> disableProtection(String itemName, ItemOperationRequests.DisableProtection request) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.DisableProtection)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.DisableProtection));
                    }
                    return RecoveryPlan.<RecoveryPlan>listAll().chain(plans -> {
                        List<String> listing = plans.stream().filter(plan -> plan.itemNames().contains(itemName)).map(plan -> plan.name).toList();
                        if (!listing.isEmpty()) {
                            return Uni.createFrom().failure(ProblemException.conflict("ItemInRecoveryPlan", "'" + itemName
                                    + "' belongs to recovery plans " + listing + "; remove it from them first"));
                        }
                        Instant now = Instant.now();
                        ReplicationJob job = newJob(item, DISABLE_PROTECTION, "Disable protection", now);
                        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for disable protection",
                                SyncTask.DISABLE_PROTECTION, now), List.of(), List.of(), null);
                        item.beginScenario(DISABLE_PROTECTION, job.name, now);
                        item.protectionStateDescription = "Disabling protection"
                                + (request == null || request.properties().disableProtectionReason() == null ? ""
                                        : " (" + request.properties().disableProtectionReason() + ")");
                        item.replicationCycleCommandId = null;
                        item.replicationCycleIssuedAt = null;
                        return job.<ReplicationJob>persist().call(() -> issue(job, command(job.name, item.name, now,
                                new SyncCommand.DisableProtection())));
                    });
                });
    }

    /**
     * Restart of a failed job: its command runs again under a new id, and every step of it is a no-op where it was
     * already done (a failback resumes from the host's checkpoint). The item must still allow what the job does.
     */
    @WithTransaction
    public Uni<ReplicationJob> restart(String jobName) {
        return ReplicationJob.<ReplicationJob>findById(jobName)
                .onItem().ifNull().failWith(() -> jobNotFound(jobName))
                .chain(job -> {
                    if (!job.allowedActions().contains("Restart")) {
                        return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + jobName + " ("
                                + job.scenarioName + ") is " + job.state + "; only a failed job of an item operation can be restarted "
                                + "(allowed actions: " + job.allowedActions() + ")"));
                    }
                    ItemOperation operation = ItemStateMachine.operationOf(job.scenarioName);
                    return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId)
                            .onItem().ifNull().failWith(() -> itemNotFound(job.targetObjectId))
                            .chain(item -> {
                                if (!ItemStateMachine.allows(item, operation)) {
                                    return Uni.createFrom().failure(notAllowed(item, operation));
                                }
                                Uni<FabricProvider> host = job.targetProviderId == null ? Uni.createFrom().nullItem()
                                        : connectedProvider(job.targetProviderId);
                                return host.chain(() -> {
                                    SyncCommand previous;
                                    try {
                                        previous = json.readValue(job.currentCommand, SyncCommand.class);
                                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                                        return Uni.createFrom().failure(e);
                                    }
                                    Instant now = Instant.now();
                                    job.restart(now);
                                    item.beginScenario(job.scenarioName, job.name, now);
                                    item.protectionStateDescription = job.friendlyName + " restarted";
                                    return issue(job, previous.reissued(UUID.randomUUID().toString(), now)).replaceWith(job);
                                });
                            });
                });
    }

    /**
     * Planned failover to Azure: the on-premises VM shuts down, its last changes replicate (verified), and the VM
     * starts in Azure from the replica. Commit then makes it final.
     */
    private Uni<ReplicationJob> failoverToAzure(ReplicationProtectedItem item) {
        return connectedProvider(item.primaryProviderId).chain(provider -> {
            Instant now = Instant.now();
            ReplicationJob job = newJob(item, PLANNED_FAILOVER, "Planned failover (on-premises to Azure)", now);
            job.failoverDirection = FailoverDirection.PrimaryToRecovery;
            job.targetProviderId = provider.providerId;
            job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for planned failover", SyncTask.PLANNED_FAILOVER_TO_AZURE,
                    now), List.of(), List.of(), null);
            item.beginScenario(PLANNED_FAILOVER, job.name, now);
            item.protectionStateDescription = "Planned failover to Azure in progress";
            SyncCommand command = command(job.name, item.name, now, new SyncCommand.PlannedFailover(FailoverDirection.PrimaryToRecovery,
                    null, null, new SyncCommand.AzureVm(item.recoveryAzureVmName), onPremisesVm(item, provider), null, null));
            return job.<ReplicationJob>persist().call(() -> issue(job, command));
        });
    }

    /** A prerequisite of failback and of replication: the host has registered and is connected now. */
    private Uni<FabricProvider> connectedProvider(String providerId) {
        return FabricProvider.<FabricProvider>findById(providerId).chain(provider -> {
            if (provider == null) {
                return Uni.createFrom().failure(new ProblemException(422, "ProviderNotFound", "no on-premises Hyper-V host '"
                        + providerId + "' has registered; start its host-agent"));
            }
            if (!provider.isConnected(Instant.now(), config.providerHeartbeatTimeout())) {
                return Uni.createFrom().failure(ProblemException.conflict("ProviderNotConnected", "the on-premises Hyper-V host '"
                        + providerId + "' is not connected (last heartbeat " + provider.lastHeartbeat
                        + "); failback and replication need a connected host"));
            }
            return Uni.createFrom().item(provider);
        });
    }

    private static SyncCommand failbackCommand(ReplicationJob job, ReplicationProtectedItem item, FabricProvider provider,
            DeltaCheckpoint completeFrom, Instant now) {
        return command(job.name, item.name, now, new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary, job.dataSyncOption,
                job.recoveryVmCreationOption, new SyncCommand.AzureVm(item.recoveryAzureVmName), onPremisesVm(item, provider),
                job.encryptionKeyId, completeFrom));
    }

    /**
     * "Complete Failover" on a suspended ForDownTime failback: phase 2 shuts the Azure VM down, sends the final
     * changes and starts the VM on-premises.
     */
    @WithTransaction
    public Uni<ReplicationJob> resume(String jobName) {
        return ReplicationJob.<ReplicationJob>findById(jobName)
                .onItem().ifNull().failWith(() -> jobNotFound(jobName))
                .chain(this::resume);
    }

    /** {@link #resume(String)} of an item's job already read in this transaction; a plan's job is its plan's to resume ({@link JobActions}). */
    Uni<ReplicationJob> resume(ReplicationJob job) {
        if (!job.allowedActions().contains("Resume") || job.details.checkpoint() == null) {
            return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + job.name + " is "
                    + job.state + "; Resume is allowed only while it is Suspended (allowed actions: " + job.allowedActions() + ")"));
        }
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId)
                .chain(item -> connectedProvider(job.targetProviderId).chain(provider -> {
                    Instant now = Instant.now();
                    job.state = JobState.InProgress;
                    job.stateDescription = "Completing the failover";
                    return issue(job, failbackCommand(job, item, provider, job.details.checkpoint(), now)).replaceWith(job);
                }));
    }

    /**
     * Cancel: the job ends now as Cancelled and sync-service is told to stop its run. What was copied stays, and an
     * on-premises disk being written stays inconsistent (it may not boot): triggering the failover again completes
     * the synchronization, resuming from what the host recorded durable rather than starting over. For an item's job
     * already read in this transaction; a plan's job is its plan's to cancel ({@link JobActions}).
     */
    Uni<ReplicationJob> cancel(ReplicationJob job) {
        if (!job.allowedActions().contains("Cancel")) {
            return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + job.name + " ("
                    + job.scenarioName + ") is " + job.state + "; it cannot be cancelled now (allowed actions: "
                    + job.allowedActions() + ")"));
        }
        Instant now = Instant.now();
        job.cancel(now, "Cancelled by the user");
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId).chain(item -> {
            if (item != null && job.name.equals(item.currentScenarioJobName)) {
                item.endScenario();
                item.protectionStateDescription = cancelledDescription(job);
            }
            SyncCommand cancel = command(job.name, job.targetObjectId, now, new SyncCommand.Cancel("cancelled by the user"));
            return outbox.add(Topics.SYNC_COMMANDS, job.targetObjectId, cancel).replaceWith(job);
        });
    }

    private static String cancelledDescription(ReplicationJob job) {
        if (job.failoverDirection == FailoverDirection.RecoveryToPrimary) {
            return "Failback cancelled: the VM still runs from Azure data (or is shut down there); on-premises disks being "
                    + "synchronized stay inconsistent and may not boot. Trigger the failover again to complete the synchronization";
        }
        if (job.failoverDirection == FailoverDirection.PrimaryToRecovery) {
            return "Failover to Azure cancelled: the VM stays on-premises; start it there or trigger the failover again";
        }
        return "Replication cancelled: not protected; Reverse Replicate to try again";
    }

    public static ProblemException jobNotFound(String name) {
        return ProblemException.notFound("JobNotFound", "no replication job named '" + name + "'");
    }

    private static ReplicationJob newFailbackJob(ReplicationProtectedItem item, DataSyncOption dataSync,
            RecoveryVmCreationOption creation, String targetProviderId, Instant now) {
        ReplicationJob job = newJob(item, PLANNED_FAILOVER, "Planned failover (Azure to on-premises)", now);
        job.failoverDirection = FailoverDirection.RecoveryToPrimary;
        job.dataSyncOption = dataSync;
        job.recoveryVmCreationOption = creation;
        job.targetProviderId = targetProviderId;
        List<SyncTask> syncTasks = dataSync == DataSyncOption.ForDownTime ? SyncTask.PLANNED_FAILBACK_DELTA : SyncTask.PLANNED_FAILBACK;
        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for planned failover", syncTasks, now),
                List.of(), List.of(), null);
        return job;
    }

    /**
     * Commit after failback: Azure keeps the final disk content as replica storage, then deletes the Azure VM and its
     * disks; the item is then unprotected on-premises until Reverse Replicate.
     */
    @WithTransaction
    public Uni<ReplicationJob> failoverCommit(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.Commit)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.Commit));
                    }
                    if (item.activeLocation == ActiveLocation.Recovery) {
                        return commitInAzure(item);
                    }
                    return FabricProvider.<FabricProvider>findById(item.primaryProviderId).chain(provider -> {
                        if (provider == null) {
                            return Uni.createFrom().failure(new ProblemException(422, "ProviderNotFound", "the on-premises host '"
                                    + item.primaryProviderId + "' the VM failed back to is not registered"));
                        }
                        Instant now = Instant.now();
                        ReplicationJob job = newJob(item, FAILOVER_COMMIT, "Commit", now);
                        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for commit", SyncTask.FAILOVER_COMMIT, now),
                                List.of(), List.of(), null);
                        item.beginScenario(FAILOVER_COMMIT, job.name, now);
                        item.protectionStateDescription = "Commit in progress";
                        SyncCommand command = command(job.name, item.name, now, new SyncCommand.FailoverCommit(
                                new SyncCommand.AzureVm(item.recoveryAzureVmName), onPremisesVm(item, provider)));
                        return job.<ReplicationJob>persist().call(() -> issue(job, command));
                    });
                });
    }

    /**
     * "Cancel failover" before Commit: the VM runs again where it ran before the failover. After a failback the
     * on-premises VM shuts down and the Azure VM starts again from its own disks (what the on-premises VM wrote since
     * stays there only); after a failover to Azure the Azure VM made from the replica is deleted and the on-premises VM
     * starts again, protected as before.
     */
    @WithTransaction
    public Uni<ReplicationJob> failoverCancel(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.CancelFailover)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.CancelFailover));
                    }
                    FailoverDirection undone = item.activeLocation == ActiveLocation.Primary ? FailoverDirection.RecoveryToPrimary
                            : FailoverDirection.PrimaryToRecovery;
                    return connectedProvider(item.primaryProviderId).chain(provider -> {
                        Instant now = Instant.now();
                        ReplicationJob job = newJob(item, FAILOVER_CANCEL, "Cancel failover", now);
                        job.failoverDirection = undone;
                        job.targetProviderId = provider.providerId;
                        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for cancel failover",
                                undone == FailoverDirection.RecoveryToPrimary ? SyncTask.FAILBACK_CANCEL : SyncTask.FAILOVER_TO_AZURE_CANCEL,
                                now), List.of(), List.of(), null);
                        item.beginScenario(FAILOVER_CANCEL, job.name, now);
                        item.protectionStateDescription = "Cancelling the failover";
                        SyncCommand command = command(job.name, item.name, now, new SyncCommand.FailoverCancel(undone,
                                new SyncCommand.AzureVm(item.recoveryAzureVmName), onPremisesVm(item, provider)));
                        return job.<ReplicationJob>persist().call(() -> issue(job, command));
                    });
                });
    }

    /**
     * Commit after a failover to Azure: nothing moves (the VM runs from the replica's data), the failover becomes
     * final and the item is unprotected in Azure, ready to fail back.
     */
    private Uni<ReplicationJob> commitInAzure(ReplicationProtectedItem item) {
        Instant now = Instant.now();
        ReplicationJob job = newJob(item, FAILOVER_COMMIT, "Commit", now);
        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for commit", List.of(), now), List.of(), List.of(), null);
        job.finish(JobState.Succeeded, "Completed", now);
        item.protectionState = ProtectionState.FailoverCompleted;
        item.protectionStateDescription = "Failover committed: running in Azure, not protected";
        return job.persist();
    }

    /**
     * Hands the job's work to sync-service through the outbox, in the caller's transaction, and remembers the
     * command so that {@link JobRedriver} can send it again if sync-service goes quiet.
     */
    Uni<Void> issue(ReplicationJob job, SyncCommand command) {
        return outbox.add(Topics.SYNC_COMMANDS, command.itemName(), command).invoke(message -> {
            job.currentCommandId = command.commandId();
            job.currentCommand = message.payload;
            job.lastActivityAt = Instant.now();
            job.attempts++;
        }).replaceWithVoid();
    }

    private static SyncCommand command(String jobName, String itemName, Instant now, SyncCommand.Operation operation) {
        return SyncCommand.of(UUID.randomUUID().toString(), jobName, itemName, now, operation);
    }

    private static List<JobTask> tasks(String prerequisites, List<SyncTask> syncTasks, Instant now) {
        List<JobTask> tasks = new ArrayList<>();
        tasks.add(JobTask.notStarted(PREREQUISITES_TASK, prerequisites).succeeded(now, null, 0));
        for (SyncTask task : syncTasks) {
            tasks.add(JobTask.notStarted(task.name(), task.friendlyName()));
        }
        return tasks;
    }

    public static ProblemException itemNotFound(String name) {
        return ProblemException.notFound("ItemNotFound", "no replication protected item named '" + name + "'");
    }

    public static ProblemException notAllowed(ReplicationProtectedItem item, ItemOperation operation) {
        List<ItemOperation> allowed = ItemStateMachine.allowedOperations(item);
        String why = item.currentScenarioJobName != null
                ? "job " + item.currentScenarioJobName + " (" + item.currentScenarioName + ") is running on it"
                : "it is " + item.protectionState + " at " + item.activeLocation;
        return ProblemException.conflict("OperationNotAllowed", operation + " is not allowed on '" + item.name + "' because "
                + why + "; allowed operations: " + allowed);
    }
}
