package io.failback.jobs.service;

import io.failback.contracts.messaging.ContractVersions;
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

    private final OutboxWriter outbox;
    private final JobServiceConfig config;

    public FailoverService(OutboxWriter outbox, JobServiceConfig config) {
        this.outbox = outbox;
        this.config = config;
    }

    @WithTransaction
    public Uni<ReplicationProtectedItem> register(String name, RegisterItemRequest request) {
        RegisterItemRequest.Properties p = request.properties();
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(name).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().failure(ProblemException.conflict("ItemExists",
                        "replication protected item '" + name + "' already exists"));
            }
            ReplicationProtectedItem item = new ReplicationProtectedItem();
            item.name = name;
            item.friendlyName = p.friendlyName() == null ? name : p.friendlyName();
            item.activeLocation = p.activeLocation();
            item.protectionState = ProtectionState.FailoverCompleted;
            item.protectionStateDescription = p.activeLocation() == ActiveLocation.Recovery
                    ? "Failover committed: running in Azure, not protected"
                    : "Running on-premises, not protected";
            item.primaryProviderId = p.primaryProviderId();
            item.primaryVmName = p.primaryVmName() == null ? name : p.primaryVmName();
            item.primaryVirtualSwitchName = p.primaryVirtualSwitchName();
            item.recoveryAzureVmName = p.recoveryAzureVmName();
            item.replicationHealth = "Normal";
            return item.persist();
        });
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
                    if (direction != FailoverDirection.RecoveryToPrimary || item.activeLocation != ActiveLocation.Recovery) {
                        return Uni.createFrom().failure(new ProblemException(422, "FailoverDirectionNotSupported",
                                "item '" + itemName + "' runs at " + item.activeLocation + "; a planned failover " + direction
                                        + " needs protection from the other site first (only failback, RecoveryToPrimary, is available here)"));
                    }
                    return failback(item, request.properties().providerSpecificDetails());
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

    /** A prerequisite of failback: the host has registered and is connected now. */
    private Uni<FabricProvider> connectedProvider(String providerId) {
        return FabricProvider.<FabricProvider>findById(providerId).chain(provider -> {
            if (provider == null) {
                return Uni.createFrom().failure(new ProblemException(422, "ProviderNotFound", "no on-premises Hyper-V host '"
                        + providerId + "' has registered; start its host-agent"));
            }
            if (!provider.isConnected(Instant.now(), config.providerHeartbeatTimeout())) {
                return Uni.createFrom().failure(ProblemException.conflict("ProviderNotConnected", "the on-premises Hyper-V host '"
                        + providerId + "' is not connected (last heartbeat " + provider.lastHeartbeat
                        + "); failback needs a connected primary host"));
            }
            return Uni.createFrom().item(provider);
        });
    }

    private static SyncCommand failbackCommand(ReplicationJob job, ReplicationProtectedItem item, FabricProvider provider,
            DeltaCheckpoint completeFrom, Instant now) {
        return new SyncCommand(ContractVersions.SYNC_COMMAND, UUID.randomUUID().toString(), job.name, item.name, now,
                new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary, job.dataSyncOption, job.recoveryVmCreationOption,
                        new SyncCommand.AzureVm(item.recoveryAzureVmName),
                        new SyncCommand.OnPremisesVm(provider.providerId, provider.baseUrl, item.primaryVmName,
                                item.primaryVirtualSwitchName),
                        job.encryptionKeyId, completeFrom),
                null);
    }

    /**
     * "Complete Failover" on a suspended ForDownTime failback: phase 2 shuts the Azure VM down, sends the final
     * changes and starts the VM on-premises.
     */
    @WithTransaction
    public Uni<ReplicationJob> resume(String jobName) {
        return ReplicationJob.<ReplicationJob>findById(jobName)
                .onItem().ifNull().failWith(() -> jobNotFound(jobName))
                .chain(job -> {
                    if (!job.allowedActions().contains("Resume") || job.details.checkpoint() == null) {
                        return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + jobName + " is "
                                + job.state + "; Resume is allowed only while it is Suspended (allowed actions: " + job.allowedActions() + ")"));
                    }
                    return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId)
                            .chain(item -> connectedProvider(job.targetProviderId).chain(provider -> {
                                Instant now = Instant.now();
                                job.state = JobState.InProgress;
                                job.stateDescription = "Completing the failover";
                                return issue(job, failbackCommand(job, item, provider, job.details.checkpoint(), now)).replaceWith(job);
                            }));
                });
    }

    public static ProblemException jobNotFound(String name) {
        return ProblemException.notFound("JobNotFound", "no replication job named '" + name + "'");
    }

    private static ReplicationJob newFailbackJob(ReplicationProtectedItem item, DataSyncOption dataSync,
            RecoveryVmCreationOption creation, String targetProviderId, Instant now) {
        ReplicationJob job = new ReplicationJob();
        job.name = UUID.randomUUID().toString();
        job.scenarioName = PLANNED_FAILOVER;
        job.friendlyName = "Planned failover (Azure to on-premises)";
        job.state = JobState.InProgress;
        job.stateDescription = "In progress";
        job.targetObjectId = item.name;
        job.targetObjectName = item.friendlyName;
        job.startTime = now;
        job.failoverDirection = FailoverDirection.RecoveryToPrimary;
        job.dataSyncOption = dataSync;
        job.recoveryVmCreationOption = creation;
        job.targetProviderId = targetProviderId;
        List<SyncTask> syncTasks = dataSync == DataSyncOption.ForDownTime ? SyncTask.PLANNED_FAILBACK_DELTA : SyncTask.PLANNED_FAILBACK;
        job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for planned failover", syncTasks, now),
                List.of(), List.of(), null);
        return job;
    }

    /** Commit after failback: deletes the Azure VM and its disks; the item is then unprotected on-premises. */
    @WithTransaction
    public Uni<ReplicationJob> failoverCommit(String itemName) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> {
                    if (!ItemStateMachine.allows(item, ItemOperation.Commit)) {
                        return Uni.createFrom().failure(notAllowed(item, ItemOperation.Commit));
                    }
                    Instant now = Instant.now();
                    ReplicationJob job = new ReplicationJob();
                    job.name = UUID.randomUUID().toString();
                    job.scenarioName = FAILOVER_COMMIT;
                    job.friendlyName = "Commit";
                    job.state = JobState.InProgress;
                    job.stateDescription = "In progress";
                    job.targetObjectId = item.name;
                    job.targetObjectName = item.friendlyName;
                    job.startTime = now;
                    job.details = new ReplicationJob.JobDetails(tasks("Prerequisites check for commit", SyncTask.FAILOVER_COMMIT, now),
                            List.of(), List.of(), null);
                    item.beginScenario(FAILOVER_COMMIT, job.name, now);
                    item.protectionStateDescription = "Commit in progress";
                    SyncCommand command = new SyncCommand(ContractVersions.SYNC_COMMAND, UUID.randomUUID().toString(), job.name,
                            item.name, now, null, new SyncCommand.FailoverCommit(new SyncCommand.AzureVm(item.recoveryAzureVmName)));
                    return job.<ReplicationJob>persist().call(() -> issue(job, command));
                });
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
