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
import io.failback.jobs.domain.JobAction;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ProtectionState;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.domain.Scenario;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Starts operations on protected items, all along one path: the item's state must allow the operation (its
 * {@link Scenario} declares from where), the operation's handler checks what else it needs and says what to send to
 * sync-service, and then the job (its tasks those the contract declares for that work), the item's new state and the
 * command are written in one transaction.
 */
@ApplicationScoped
public class FailoverService {
    public static final String PREREQUISITES_TASK = "PrerequisitesCheck";

    private final OutboxWriter outbox;
    private final JobServiceConfig config;
    private final com.fasterxml.jackson.databind.ObjectMapper json;
    private final AzureVms azureVms;

    public FailoverService(OutboxWriter outbox, JobServiceConfig config, com.fasterxml.jackson.databind.ObjectMapper json,
            AzureVms azureVms) {
        this.outbox = outbox;
        this.config = config;
        this.json = json;
        this.azureVms = azureVms;
    }

    /**
     * What an operation's handler decided about its job, beyond what the scenario declares.
     *
     * @param targetProviderId the host the job's work needs connected again when it is restarted; null for none
     * @param work what sync-service carries out; null when nothing is left to do and the job succeeds at once
     * @param job fills in the job's options
     * @param item what the job changes on the item as it starts, beyond its scenario and description
     */
    private record Start(String targetProviderId, SyncCommand.Operation work, Consumer<ReplicationJob> job,
            Consumer<ReplicationProtectedItem> item) {
        Start(String targetProviderId, SyncCommand.Operation work) {
            this(targetProviderId, work, job -> { }, item -> { });
        }

        Start withItem(Consumer<ReplicationProtectedItem> change) {
            return new Start(targetProviderId, work, job, change);
        }
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
                // Nothing runs yet to find out later that the host or the Azure VM is not there: refuse it now.
                return knownProvider(p.primaryProviderId())
                        .chain(() -> azureVms.requireVm(item.recoveryAzureVmName))
                        .chain(() -> item.persist());
            }
            // Not an operation on an existing item, so no guard: a VM registered on-premises starts replicating.
            return item.<ReplicationProtectedItem>persist()
                    .call(persisted -> replication(persisted, false).chain(start -> begin(persisted, Scenario.EnableProtection, start)))
                    .replaceWith(item);
        });
    }

    /**
     * "Reverse Replicate" after a committed failback: protection again, from the on-premises VM into the replica in
     * Azure that Commit kept, so only what changed on-premises since the failback travels.
     */
    @WithTransaction
    public Uni<ReplicationJob> reprotect(String itemName) {
        return withItem(itemName, item -> start(item, ItemOperation.ReverseReplicate, (it, scenario) -> replication(it, false)));
    }

    /**
     * Repair replication ("resynchronize"): when replication is unhealthy, compare every block's hash of a snapshot
     * of the on-premises VM with the replica's and send the blocks that differ, then prove the replica with a digest.
     */
    @WithTransaction
    public Uni<ReplicationJob> repairReplication(String itemName) {
        return withItem(itemName, item -> start(item, ItemOperation.RepairReplication, (it, scenario) -> replication(it, true)));
    }

    /** One verified replication (initial or delta, as the replica decides), from the item's connected host. */
    private Uni<Start> replication(ReplicationProtectedItem item, boolean resynchronize) {
        return connectedProvider(item.primaryProviderId).map(provider -> new Start(provider.providerId,
                new SyncCommand.Replicate(onPremisesVm(item, provider), true, resynchronize)));
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

    /**
     * Planned failover, in the direction from where the item runs to the other site: a failback from Azure, or a
     * failover of the protected VM to Azure (the on-premises VM shuts down, its last changes replicate, verified, and
     * the VM starts in Azure from the replica). Commit then makes it final.
     */
    @WithTransaction
    public Uni<ReplicationJob> plannedFailover(String itemName, PlannedFailoverRequest request) {
        return withItem(itemName, item -> start(item, ItemOperation.PlannedFailover, (it, scenario) -> {
            FailoverDirection direction = request.properties().failoverDirection();
            if (direction != scenario.direction()) {
                return Uni.createFrom().failure(new ProblemException(422, "FailoverDirectionNotSupported",
                        "item '" + itemName + "' is active at " + it.activeLocation + " (" + it.protectionState + "); a planned failover "
                                + direction + " runs from the active site to the other, and PrimaryToRecovery needs the item Protected"));
            }
            if (scenario == Scenario.PlannedFailback) {
                return failback(it, request.properties().providerSpecificDetails());
            }
            return connectedProvider(it.primaryProviderId).map(provider -> new Start(provider.providerId,
                    new SyncCommand.PlannedFailover(FailoverDirection.PrimaryToRecovery, null, null,
                            new SyncCommand.AzureVm(it.recoveryAzureVmName), onPremisesVm(it, provider), null, null)));
        }));
    }

    private Uni<Start> failback(ReplicationProtectedItem item, PlannedFailoverRequest.ProviderSpecificDetails details) {
        DataSyncOption dataSync = details == null || details.dataSyncOption() == null ? DataSyncOption.ForDownTime : details.dataSyncOption();
        RecoveryVmCreationOption creation = details == null || details.recoveryVmCreationOption() == null
                ? RecoveryVmCreationOption.NoAction : details.recoveryVmCreationOption();
        String alternate = details == null ? null : details.providerIdForAlternateRecovery();
        String targetProviderId = alternate == null || alternate.isBlank() ? item.primaryProviderId : alternate;
        String encryptionKeyId = details == null ? null : details.encryptionKeyId();
        return connectedProvider(targetProviderId).chain(provider -> azureVms.dataBytesOrNull(item.recoveryAzureVmName)
                .map(dataBytes -> new Start(targetProviderId, failbackWork(item, provider, dataSync, creation, encryptionKeyId, null), job -> {
                    job.dataSyncOption = dataSync;
                    job.recoveryVmCreationOption = creation;
                    job.encryptionKeyId = encryptionKeyId;
                    job.sourceDataBytes = dataBytes; // what the failback estimate learns a full download's rates from
                }, it -> { })));
    }

    private static SyncCommand.PlannedFailover failbackWork(ReplicationProtectedItem item, FabricProvider provider, DataSyncOption dataSync,
            RecoveryVmCreationOption creation, String encryptionKeyId, DeltaCheckpoint completeFrom) {
        return new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary, dataSync, creation,
                new SyncCommand.AzureVm(item.recoveryAzureVmName), onPremisesVm(item, provider), encryptionKeyId, completeFrom);
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
        return withItem(itemName, item -> {
            if (request.properties().failoverDirection() == FailoverDirection.RecoveryToPrimary) {
                return Uni.createFrom().failure(new ProblemException(422, "UnplannedFailbackNotSupported",
                        "only a planned failover may run in the failback direction (RecoveryToPrimary): it shuts the Azure VM down "
                                + "and synchronizes every change before the VM starts on-premises, so nothing is lost; an unplanned "
                                + "failover would drop what the Azure VM wrote since. Use plannedFailover"));
            }
            return start(item, ItemOperation.UnplannedFailover, (it, scenario) -> {
                if (it.lastReplicatedTime == null) {
                    return Uni.createFrom().failure(noRecoveryPoint(itemName));
                }
                boolean shutDownFirst = request.properties().sourceSiteOperations() == ItemOperationRequests.SourceSiteOperations.Required;
                Uni<FabricProvider> provider = shutDownFirst ? connectedProvider(it.primaryProviderId) : Uni.createFrom().nullItem();
                return provider.map(host -> new Start(host == null ? null : host.providerId,
                        new SyncCommand.UnplannedFailover(new SyncCommand.AzureVm(it.recoveryAzureVmName),
                                host == null ? null : onPremisesVm(it, host))).withItem(started -> {
                                    started.protectionStateDescription = scenario.startedDescription() + ", from the recovery point of "
                                            + started.lastReplicatedTime;
                                    // A replication cycle answered after this point must not move the recovery point any more.
                                    started.replicationCycleCommandId = null;
                                    started.replicationCycleIssuedAt = null;
                                }));
            });
        });
    }

    private static ProblemException noRecoveryPoint(String itemName) {
        return ProblemException.conflict("NoRecoveryPoint", "'" + itemName
                + "' has no recovery point in Azure yet: initial replication has not completed");
    }

    /**
     * Test failover: a VM named {@link #testVmName} starts in Azure from the replica's latest recovery point, while the
     * protected VM keeps running on-premises and replicating. The item stays Protected; test failover cleanup deletes
     * the test VM.
     */
    @WithTransaction
    public Uni<ReplicationJob> testFailover(String itemName, ItemOperationRequests.TestFailover request) {
        return withItem(itemName, item -> start(item, ItemOperation.TestFailover, (it, scenario) -> {
            if (request.properties().failoverDirection() != FailoverDirection.PrimaryToRecovery) {
                return Uni.createFrom().failure(new ProblemException(422, "FailoverDirectionNotSupported",
                        "a test failover runs from the protected on-premises VM's replica into Azure (PrimaryToRecovery)"));
            }
            if (it.lastReplicatedTime == null) {
                return Uni.createFrom().failure(noRecoveryPoint(itemName));
            }
            return Uni.createFrom().item(new Start(null, new SyncCommand.TestFailover(new SyncCommand.AzureVm(testVmName(it)))));
        }));
    }

    /** The VM a test failover of {@code item} creates in Azure, beside the name a real failover would use. */
    public static String testVmName(ReplicationProtectedItem item) {
        return item.testVmName();
    }

    /** Deletes the test VM; the comments stay on the item. */
    @WithTransaction
    public Uni<ReplicationJob> testFailoverCleanup(String itemName, ItemOperationRequests.TestFailoverCleanup request) {
        return withItem(itemName, item -> start(item, ItemOperation.TestFailoverCleanup, (it, scenario) -> Uni.createFrom().item(
                new Start(null, new SyncCommand.TestFailoverCleanup(new SyncCommand.AzureVm(it.testFailoverVmName)))
                        .withItem(started -> started.testFailoverComments = request == null ? null : request.properties().comments()))));
    }

    /**
     * Disable protection: replication stops and the replica storage in Azure is deleted; once that is done the item
     * is removed. The VM itself keeps running where it runs. An item that a recovery plan lists cannot be removed.
     */
    @WithTransaction
    public Uni<ReplicationJob> disableProtection(String itemName, ItemOperationRequests.DisableProtection request) {
        return withItem(itemName, item -> start(item, ItemOperation.DisableProtection, (it, scenario) -> RecoveryPlan.<RecoveryPlan>listAll()
                .chain(plans -> {
                    List<String> listing = plans.stream().filter(plan -> plan.itemNames().contains(itemName)).map(plan -> plan.name).toList();
                    if (!listing.isEmpty()) {
                        return Uni.createFrom().failure(ProblemException.conflict("ItemInRecoveryPlan", "'" + itemName
                                + "' belongs to recovery plans " + listing + "; remove it from them first"));
                    }
                    return Uni.createFrom().item(new Start(null, new SyncCommand.DisableProtection()).withItem(started -> {
                        if (request != null && request.properties().disableProtectionReason() != null) {
                            started.protectionStateDescription += " (" + request.properties().disableProtectionReason() + ")";
                        }
                        started.replicationCycleCommandId = null;
                        started.replicationCycleIssuedAt = null;
                    }));
                })));
    }

    /**
     * Commit. After a failback, Azure keeps the final disk content as replica storage, then deletes the Azure VM and
     * its disks; the item is then unprotected on-premises until Reverse Replicate. After a failover to Azure nothing
     * moves (the VM runs from the replica's data): the failover becomes final at once, the item unprotected in Azure,
     * ready to fail back.
     */
    @WithTransaction
    public Uni<ReplicationJob> failoverCommit(String itemName) {
        return withItem(itemName, item -> start(item, ItemOperation.Commit, (it, scenario) -> {
            if (it.activeLocation == ActiveLocation.Recovery) {
                return Uni.createFrom().item(new Start(null, null));
            }
            return FabricProvider.<FabricProvider>findById(it.primaryProviderId).chain(provider -> {
                if (provider == null) {
                    return Uni.createFrom().failure(new ProblemException(422, "ProviderNotFound", "the on-premises host '"
                            + it.primaryProviderId + "' the VM failed back to is not registered"));
                }
                return Uni.createFrom().item(new Start(null, new SyncCommand.FailoverCommit(
                        new SyncCommand.AzureVm(it.recoveryAzureVmName), onPremisesVm(it, provider))));
            });
        }));
    }

    /**
     * "Cancel failover" before Commit: the VM runs again where it ran before the failover. After a failback the
     * on-premises VM shuts down and the Azure VM starts again from its own disks (what the on-premises VM wrote since
     * stays there only); after a failover to Azure the Azure VM made from the replica is deleted and the on-premises VM
     * starts again, protected as before. Which of the two is the scenario's: its direction is the one undone.
     */
    @WithTransaction
    public Uni<ReplicationJob> failoverCancel(String itemName) {
        return withItem(itemName, item -> start(item, ItemOperation.CancelFailover, (it, scenario) -> connectedProvider(it.primaryProviderId)
                .map(provider -> new Start(provider.providerId, new SyncCommand.FailoverCancel(scenario.direction(),
                        new SyncCommand.AzureVm(it.recoveryAzureVmName), onPremisesVm(it, provider))))));
    }

    private static Uni<ReplicationJob> withItem(String itemName, java.util.function.Function<ReplicationProtectedItem, Uni<ReplicationJob>> operation) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(itemName)
                .onItem().ifNull().failWith(() -> itemNotFound(itemName))
                .chain(item -> operation.apply(item));
    }

    /** The one way an operation starts on an item: the state machine's guard, the operation's handler, then {@link #begin}. */
    private Uni<ReplicationJob> start(ReplicationProtectedItem item, ItemOperation operation,
            BiFunction<ReplicationProtectedItem, Scenario, Uni<Start>> handler) {
        Scenario scenario = Scenario.startedBy(operation, item);
        if (scenario == null) {
            return Uni.createFrom().failure(notAllowed(item, operation));
        }
        return handler.apply(item, scenario).chain(start -> begin(item, scenario, start));
    }

    /**
     * Writes the job as its scenario declares it, with the tasks the contract declares for its work, and hands the
     * work to sync-service; work that needs nothing from sync-service ends the job now.
     */
    private Uni<ReplicationJob> begin(ReplicationProtectedItem item, Scenario scenario, Start start) {
        Instant now = Instant.now();
        ReplicationJob job = new ReplicationJob();
        job.name = UUID.randomUUID().toString();
        job.scenarioName = scenario.scenarioName();
        job.friendlyName = scenario.friendlyName();
        job.state = JobState.InProgress;
        job.stateDescription = "In progress";
        job.targetObjectId = item.name;
        job.targetObjectName = item.friendlyName;
        job.startTime = now;
        job.failoverDirection = scenario.direction();
        job.targetProviderId = start.targetProviderId();
        start.job().accept(job);
        job.details = new ReplicationJob.JobDetails(tasks(scenario.prerequisitesDescription(),
                start.work() == null ? List.of() : SyncTask.ofJob(start.work()), now), List.of(), List.of(), null, null);
        if (start.work() == null) {
            job.finish(JobState.Succeeded, "Completed", now);
            scenario.succeeded(item, job, new Scenario.Outcome(now, null));
            return job.persist();
        }
        item.beginScenario(scenario.scenarioName(), job.name, now);
        item.protectionStateDescription = scenario.startedDescription();
        start.item().accept(item);
        SyncCommand command = command(job.name, item.name, now, start.work());
        return job.<ReplicationJob>persist().call(() -> issue(job, command));
    }

    /** An item names its on-premises host: one that has registered (a host may be disconnected for a while). */
    private static Uni<FabricProvider> knownProvider(String providerId) {
        return FabricProvider.<FabricProvider>findById(providerId).onItem().ifNull().failWith(() -> providerNotFound(providerId));
    }

    private static ProblemException providerNotFound(String providerId) {
        return new ProblemException(422, "ProviderNotFound", "no on-premises Hyper-V host '" + providerId
                + "' has registered; start its host-agent");
    }

    /** A prerequisite of failback and of replication: the host has registered and is connected now. */
    private Uni<FabricProvider> connectedProvider(String providerId) {
        return FabricProvider.<FabricProvider>findById(providerId).chain(provider -> {
            if (provider == null) {
                return Uni.createFrom().failure(providerNotFound(providerId));
            }
            if (!provider.isConnected(Instant.now(), config.providerHeartbeatTimeout())) {
                return Uni.createFrom().failure(ProblemException.conflict("ProviderNotConnected", "the on-premises Hyper-V host '"
                        + providerId + "' is not connected (last heartbeat " + provider.lastHeartbeat
                        + "); failback and replication need a connected host"));
            }
            return Uni.createFrom().item(provider);
        });
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
        if (!job.allows(JobAction.Resume) || job.details.checkpoint() == null) {
            return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + job.name + " is "
                    + job.state + "; Resume is allowed only while it is Suspended (allowed actions: " + job.allowedActions() + ")"));
        }
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId)
                .chain(item -> connectedProvider(job.targetProviderId).chain(provider -> {
                    Instant now = Instant.now();
                    job.state = JobState.InProgress;
                    job.stateDescription = "Completing the failover";
                    job.resumedAt = now;
                    return issue(job, command(job.name, item.name, now, failbackWork(item, provider, job.dataSyncOption,
                            job.recoveryVmCreationOption, job.encryptionKeyId, job.details.checkpoint()))).replaceWith(job);
                }));
    }

    /**
     * One catch-up round of a suspended ForDownTime failback (issue #17; {@link CatchUpRounds} decides when): from the
     * job's checkpoint to its host, through the outbox in this transaction. A host that is not connected gets no
     * round; the next pass tries again.
     *
     * @return whether a round went out
     */
    Uni<Boolean> issueCatchUpRound(ReplicationJob job, Instant now) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId).chain(item -> {
            if (item == null || !job.name.equals(item.currentScenarioJobName)) {
                return Uni.createFrom().item(false);
            }
            return FabricProvider.<FabricProvider>findById(job.targetProviderId).chain(provider -> {
                if (provider == null || !provider.isConnected(now, config.providerHeartbeatTimeout())) {
                    return Uni.createFrom().item(false);
                }
                SyncCommand round = command(job.name, item.name, now, new SyncCommand.CatchUp(new SyncCommand.AzureVm(item.recoveryAzureVmName),
                        onPremisesVm(item, provider), job.encryptionKeyId, job.details.checkpoint()));
                return outbox.add(Topics.SYNC_COMMANDS, item.name, round).invoke(message -> job.catchUpIssued(round.commandId(), now))
                        .replaceWith(true);
            });
        });
    }

    /**
     * Cancel: the job ends now as Cancelled and sync-service is told to stop its run. What was copied stays, and an
     * on-premises disk being written stays inconsistent (it may not boot): triggering the failover again completes
     * the synchronization, resuming from what the host recorded durable rather than starting over. For an item's job
     * already read in this transaction; a plan's job is its plan's to cancel ({@link JobActions}).
     */
    Uni<ReplicationJob> cancel(ReplicationJob job) {
        if (!job.allows(JobAction.Cancel)) {
            return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + job.name + " ("
                    + job.scenarioName + ") is " + job.state + "; it cannot be cancelled now (allowed actions: "
                    + job.allowedActions() + ")"));
        }
        Instant now = Instant.now();
        job.cancel(now, "Cancelled by the user");
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(job.targetObjectId).chain(item -> {
            if (item != null && job.name.equals(item.currentScenarioJobName)) {
                Scenario.of(job).cancelled(item);
            }
            SyncCommand cancel = command(job.name, job.targetObjectId, now, new SyncCommand.Cancel("cancelled by the user"));
            return outbox.add(Topics.SYNC_COMMANDS, job.targetObjectId, cancel).replaceWith(job);
        });
    }

    public static ProblemException jobNotFound(String name) {
        return ProblemException.notFound("JobNotFound", "no replication job named '" + name + "'");
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
                    if (!job.allows(JobAction.Restart)) {
                        return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + jobName + " ("
                                + job.scenarioName + ") is " + job.state + "; only a failed job of an item operation can be restarted "
                                + "(allowed actions: " + job.allowedActions() + ")"));
                    }
                    ItemOperation operation = Scenario.of(job).operation();
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
