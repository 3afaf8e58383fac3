package io.failback.jobs.domain;

import static io.failback.jobs.domain.ActiveLocation.Primary;
import static io.failback.jobs.domain.ActiveLocation.Recovery;
import static io.failback.jobs.domain.ItemCondition.FailedBackCommitPending;
import static io.failback.jobs.domain.ItemCondition.FailedOverCommitPending;
import static io.failback.jobs.domain.ItemCondition.ProtectedWithTestVm;
import static io.failback.jobs.domain.ItemCondition.RunningInAzure;
import static io.failback.jobs.domain.ItemCondition.RunningOnPremises;
import static io.failback.jobs.domain.JobAction.Cancel;
import static io.failback.jobs.domain.JobAction.Restart;
import static io.failback.jobs.domain.JobAction.Resume;
import static io.failback.jobs.domain.ProtectionState.FailoverCompleted;
import static io.failback.jobs.domain.ProtectionState.PlannedFailoverCommitRequired;

import io.failback.contracts.messaging.FailoverDirection;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The lifecycle as data: one declaration per kind of job. Each says which operation starts it and from which item
 * conditions, what it may be asked later (cancel, resume, restart), and where it leaves its item when it succeeds,
 * fails or is cancelled. The guards ({@link ItemStateMachine}), the job's {@code allowedActions}, the item's
 * {@code allowedOperations} and the 409 that names them, and what {@code SyncEventHandler} does with a job's end all
 * read it. The tasks a job runs are the contract's ({@code SyncTask.ofJob} of the command it sends), after job-service's
 * own prerequisites check named here. See docs/lifecycle.md.
 */
public enum Scenario {
    PlannedFailoverToAzure(item("PlannedFailover", ItemOperation.PlannedFailover, FailoverDirection.PrimaryToRecovery)
            .from(ItemCondition.Protected).actions(Cancel, Restart)
            .named("Planned failover (on-premises to Azure)", "planned failover")
            .started("Planned failover to Azure in progress")
            .succeeds(PlannedFailoverCommitRequired, Recovery, item -> "Planned failover commit pending: running in Azure, Commit to make it final",
                    (item, job, outcome) -> failedOver(item, outcome))
            .fails("Failover to Azure failed; the VM stays on-premises (shut down). Start it there or trigger the failover again")
            .cancelled("Failover to Azure cancelled: the VM stays on-premises; start it there or trigger the failover again")),

    PlannedFailback(item("PlannedFailover", ItemOperation.PlannedFailover, FailoverDirection.RecoveryToPrimary)
            .from(RunningInAzure).actions(Cancel, Resume, Restart)
            .named("Planned failover (Azure to on-premises)", "planned failover")
            .started("Planned failover (failback) in progress")
            .succeeds(PlannedFailoverCommitRequired, Primary,
                    item -> "Planned failover committed pending: running on-premises, Commit to delete the Azure VM",
                    (item, job, outcome) -> {
                        item.primaryProviderId = job.targetProviderId;
                        failedOver(item, outcome);
                    })
            .fails("Failback failed; the VM still runs from Azure data. Trigger the failover again")
            .cancelled("Failback cancelled: the VM still runs from Azure data (or is shut down there); on-premises disks being "
                    + "synchronized stay inconsistent and may not boot. Trigger the failover again to complete the synchronization")),

    UnplannedFailover(item("UnplannedFailover", ItemOperation.UnplannedFailover, FailoverDirection.PrimaryToRecovery)
            .from(ItemCondition.Protected).actions(Restart)
            .named("Unplanned failover (on-premises to Azure)", "unplanned failover")
            .started("Unplanned failover to Azure in progress")
            .succeeds(PlannedFailoverCommitRequired, Recovery,
                    item -> "Unplanned failover commit pending: running in Azure from the recovery point of " + item.lastReplicatedTime
                            + " (what the on-premises VM wrote after it is not in Azure); Commit to make it final",
                    (item, job, outcome) -> failedOver(item, outcome))
            .fails("Failover to Azure failed; the VM stays on-premises (shut down). Start it there or trigger the failover again")),

    TestFailover(item("TestFailover", ItemOperation.TestFailover, FailoverDirection.PrimaryToRecovery)
            .from(ItemCondition.Protected).actions(Restart)
            .named("Test failover", "test failover")
            .started("Test failover in progress")
            .succeeds(null, null, item -> "Protected; test failover done: '" + item.testFailoverVmName
                    + "' runs in Azure from the latest recovery point. Clean up the test failover to delete it",
                    (item, job, outcome) -> item.testFailoverVmName = item.testVmName())
            .fails("Test failover failed; protection goes on. Restart the job or test again")),

    TestFailoverCleanup(item("TestFailoverCleanup", ItemOperation.TestFailoverCleanup, null)
            .from(ProtectedWithTestVm).actions(Restart)
            .named("Test failover cleanup", "test failover cleanup")
            .started("Cleaning up the test failover")
            .succeeds(null, null, item -> "Protected: replicating from on-premises to Azure",
                    (item, job, outcome) -> item.testFailoverVmName = null)
            .fails("Test failover cleanup failed; restart the job")),

    /** After a failback the Azure VM goes (its disks kept as replica); after a failover to Azure nothing moves. */
    FailoverCommit(item("FailoverCommit", ItemOperation.Commit, null)
            .from(FailedBackCommitPending, FailedOverCommitPending).actions(Restart)
            .named("Commit", "commit")
            .started("Commit in progress")
            .succeeds(FailoverCompleted, null, item -> item.activeLocation == Recovery
                    ? "Failover committed: running in Azure, not protected"
                    : "Failback committed: the Azure VM and its disks are deleted; Reverse Replicate to protect it again",
                    (item, job, outcome) -> item.lastErrorMessage = null)
            .fails("Commit failed; commit again")),

    /** Cancel failover after a failback: the job's failoverDirection is the direction undone. */
    FailbackCancel(item("FailoverCancel", ItemOperation.CancelFailover, FailoverDirection.RecoveryToPrimary)
            .from(FailedBackCommitPending).actions(Restart)
            .named("Cancel failover", "cancel failover")
            .started("Cancelling the failover")
            .succeeds(FailoverCompleted, Recovery, item -> "Failback cancelled: the VM runs in Azure again; what it wrote on-premises "
                    + "since the failback stays on-premises only", (item, job, outcome) -> item.lastErrorMessage = null)
            .fails("Cancel failover failed; cancel it again or commit")),

    FailoverToAzureCancel(item("FailoverCancel", ItemOperation.CancelFailover, FailoverDirection.PrimaryToRecovery)
            .from(FailedOverCommitPending).actions(Restart)
            .named("Cancel failover", "cancel failover")
            .started("Cancelling the failover")
            .succeeds(ProtectionState.Protected, Primary, item -> "Failover to Azure cancelled: the VM runs on-premises again, protected",
                    (item, job, outcome) -> item.lastErrorMessage = null)
            .fails("Cancel failover failed; cancel it again or commit")),

    /** Reverse Replicate after a committed failback: only what changed on-premises since travels. */
    Reprotect(item("Reprotect", ItemOperation.ReverseReplicate, null)
            .from(RunningOnPremises).actions(Cancel, Restart)
            .named("Reverse replicate", "reverse replicate")
            .started("Reverse replicating: sending the changes made on-premises to Azure")
            .succeeds(ProtectionState.Protected, Primary, item -> "Protected: replicating from on-premises to Azure", Scenario::replicated)
            .fails("Replication to Azure failed; not protected. Reverse Replicate to try again")
            .cancelled("Replication cancelled: not protected; Reverse Replicate to try again")),

    /**
     * Started by registering an on-premises VM, not by an operation on an item; restarting it after it failed is
     * what Reverse Replicate does, so that is the operation it needs allowed.
     */
    EnableProtection(item("EnableProtection", ItemOperation.ReverseReplicate, null)
            .from(RunningOnPremises).actions(Cancel, Restart)
            .named("Enable protection", "enable protection")
            .started("Enabling protection: initial replication to Azure")
            .succeeds(ProtectionState.Protected, Primary, item -> "Protected: replicating from on-premises to Azure", Scenario::replicated)
            .fails("Replication to Azure failed; not protected. Reverse Replicate to try again")
            .cancelled("Replication cancelled: not protected; Reverse Replicate to try again")),

    /** Resynchronize: always offered while protected, it is the way out when replicationHealth is Critical. */
    RepairReplication(item("RepairReplication", ItemOperation.RepairReplication, null)
            .from(ItemCondition.Protected).actions(Cancel, Restart)
            .named("Repair replication", "repair replication")
            .started("Resynchronizing: comparing every block with the replica's")
            .succeeds(ProtectionState.Protected, Primary, item -> "Protected: replicating from on-premises to Azure", Scenario::replicated)
            .fails("Repair replication failed; the replica is not consistent. Repair it again", item -> item.replicationHealth = "Critical")
            .cancelled("Replication cancelled: not protected; Reverse Replicate to try again")),

    /** The replica in Azure is deleted, then the item itself. */
    DisableProtection(item("DisableProtection", ItemOperation.DisableProtection, null)
            .from(ItemCondition.Protected, RunningInAzure, RunningOnPremises).actions(Restart)
            .named("Disable protection", "disable protection")
            .started("Disabling protection")
            .removesItemOnSuccess()
            .fails("Disable protection failed; restart the job")),

    // A recovery plan's job runs one item operation on each of its items, group by group; the plan's scenario only
    // decides what may be asked of the plan job itself. Any of them may wait (suspended) for a manual action.
    RecoveryPlanPlannedFailover(plan("RecoveryPlanPlannedFailover", ItemOperation.PlannedFailover).actions(Cancel, Resume)),
    RecoveryPlanFailoverCommit(plan("RecoveryPlanFailoverCommit", ItemOperation.Commit).actions(Resume)),
    RecoveryPlanReprotect(plan("RecoveryPlanReprotect", ItemOperation.ReverseReplicate).actions(Cancel, Resume)),
    RecoveryPlanUnplannedFailover(plan("RecoveryPlanUnplannedFailover", ItemOperation.UnplannedFailover).actions(Resume)),
    RecoveryPlanTestFailover(plan("RecoveryPlanTestFailover", ItemOperation.TestFailover).actions(Resume)),
    RecoveryPlanTestFailoverCleanup(plan("RecoveryPlanTestFailoverCleanup", ItemOperation.TestFailoverCleanup).actions(Resume));

    /** What a successful job leaves on its item beyond its state, location and description. */
    @FunctionalInterface
    public interface Effect {
        void apply(ReplicationProtectedItem item, ReplicationJob job, Outcome outcome);
    }

    /** @param recoveryPoint the replica's new recovery point, after a replication; else null */
    public record Outcome(Instant at, Instant recoveryPoint) {
    }

    private final Declaration declared;

    Scenario(Declaration declared) {
        this.declared = declared;
    }

    /** The job's {@code scenarioName} (and the item's {@code currentScenarioName} while it runs). */
    public String scenarioName() {
        return declared.scenarioName;
    }

    /** The operation that starts it on an item, or that a plan job runs on each of its items. */
    public ItemOperation operation() {
        return declared.operation;
    }

    /** The job's {@code failoverDirection}; null where it has none. */
    public FailoverDirection direction() {
        return declared.direction;
    }

    public boolean isPlanJob() {
        return declared.planJob;
    }

    public boolean admits(ReplicationProtectedItem item) {
        ItemCondition condition = ItemCondition.of(item);
        return condition != null && declared.from.contains(condition);
    }

    public boolean allows(JobAction action) {
        return declared.actions.contains(action);
    }

    public String friendlyName() {
        return declared.friendlyName;
    }

    /** The description of job-service's own first task, done when the job is created. */
    public String prerequisitesDescription() {
        return "Prerequisites check for " + declared.prerequisitesOf;
    }

    /** The item's description while the job runs. */
    public String startedDescription() {
        return declared.started;
    }

    public boolean removesItemOnSuccess() {
        return declared.removesItem;
    }

    /** The job succeeded: the item leaves it in the declared state. */
    public void succeeded(ReplicationProtectedItem item, ReplicationJob job, Outcome outcome) {
        declared.onSuccess.apply(item, job, outcome);
        item.endScenario();
        if (declared.successState != null) {
            item.protectionState = declared.successState;
        }
        if (declared.successLocation != null) {
            item.activeLocation = declared.successLocation;
        }
        item.protectionStateDescription = declared.successDescription.apply(item);
    }

    /** The job failed: the item stays where it was, free again, and says why. */
    public void failed(ReplicationProtectedItem item, JobError error) {
        item.endScenario();
        item.protectionStateDescription = declared.failed;
        item.lastErrorMessage = error.errorCode() + ": " + error.message();
        declared.onFailure.accept(item);
    }

    /** The user cancelled the job: the item stays where it was, free again; what was written stays. */
    public void cancelled(ReplicationProtectedItem item) {
        item.endScenario();
        item.protectionStateDescription = declared.cancelled;
    }

    /** The declaration of this job's scenario; null for a scenario no longer declared. */
    public static Scenario of(ReplicationJob job) {
        return of(job.scenarioName, job.failoverDirection);
    }

    /** The declaration of a job of this name and direction (the direction tells a planned failover's two apart). */
    public static Scenario of(String scenarioName, FailoverDirection direction) {
        Scenario match = null;
        for (Scenario scenario : values()) {
            if (scenario.scenarioName().equals(scenarioName)) {
                if (scenario.direction() == direction || scenario.isPlanJob()) {
                    return scenario;
                }
                match = match == null ? scenario : match;
            }
        }
        return match;
    }

    /** The scenario {@code operation} starts on {@code item} as it is now; null when none admits it. */
    public static Scenario startedBy(ItemOperation operation, ReplicationProtectedItem item) {
        return Arrays.stream(values()).filter(scenario -> !scenario.isPlanJob() && scenario.operation() == operation
                && scenario.admits(item)).findFirst().orElse(null);
    }

    /** The scenario names of recovery plan jobs. */
    public static List<String> planJobNames() {
        return Arrays.stream(values()).filter(Scenario::isPlanJob).map(Scenario::scenarioName).toList();
    }

    private static void failedOver(ReplicationProtectedItem item, Outcome outcome) {
        item.lastSuccessfulFailoverTime = outcome.at();
        item.lastErrorMessage = null;
    }

    /** A verified replication is done: the item is protected from its recovery point on. */
    private static void replicated(ReplicationProtectedItem item, ReplicationJob job, Outcome outcome) {
        item.lastReplicatedTime = outcome.recoveryPoint();
        item.replicationHealth = "Normal";
        item.lastErrorMessage = null;
    }

    private static Declaration item(String scenarioName, ItemOperation operation, FailoverDirection direction) {
        Declaration declaration = new Declaration();
        declaration.scenarioName = scenarioName;
        declaration.operation = operation;
        declaration.direction = direction;
        return declaration;
    }

    private static Declaration plan(String scenarioName, ItemOperation operation) {
        Declaration declaration = item(scenarioName, operation, null);
        declaration.planJob = true;
        return declaration;
    }

    /** One row of the table, written as a sentence; read only through {@link Scenario}. */
    private static final class Declaration {
        String scenarioName;
        ItemOperation operation;
        FailoverDirection direction;
        boolean planJob;
        Set<ItemCondition> from = EnumSet.noneOf(ItemCondition.class);
        Set<JobAction> actions = EnumSet.noneOf(JobAction.class);
        String friendlyName;
        String prerequisitesOf;
        String started;
        ProtectionState successState;
        ActiveLocation successLocation;
        Function<ReplicationProtectedItem, String> successDescription;
        Effect onSuccess = (item, job, outcome) -> { };
        boolean removesItem;
        String failed;
        Consumer<ReplicationProtectedItem> onFailure = item -> { };
        String cancelled;

        Declaration from(ItemCondition... conditions) {
            from = EnumSet.copyOf(List.of(conditions));
            return this;
        }

        Declaration actions(JobAction... allowed) {
            actions = EnumSet.copyOf(List.of(allowed));
            return this;
        }

        Declaration named(String jobFriendlyName, String prerequisitesCheckOf) {
            friendlyName = jobFriendlyName;
            prerequisitesOf = prerequisitesCheckOf;
            return this;
        }

        Declaration started(String description) {
            started = description;
            return this;
        }

        /** @param state null: unchanged; @param location null: unchanged */
        Declaration succeeds(ProtectionState state, ActiveLocation location, Function<ReplicationProtectedItem, String> description,
                Effect effect) {
            successState = state;
            successLocation = location;
            successDescription = description;
            onSuccess = effect;
            return this;
        }

        Declaration removesItemOnSuccess() {
            removesItem = true;
            return this;
        }

        Declaration fails(String description) {
            failed = description;
            return this;
        }

        Declaration fails(String description, Consumer<ReplicationProtectedItem> effect) {
            failed = description;
            onFailure = effect;
            return this;
        }

        Declaration cancelled(String description) {
            cancelled = description;
            return this;
        }
    }
}
