package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.JobAction;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.RecoveryPlanAction;
import io.failback.jobs.domain.RecoveryPlanGroup;
import io.failback.jobs.domain.RecoveryPlanGroup.GroupType;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.domain.Scenario;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Recovery plans: their definitions, and the operations that run a plan as one job ({@link RecoveryPlanRunner} moves
 * it along). Starting a plan job checks every item first and reserves them all, so a plan either starts whole or
 * not at all, and nobody starts another job on an item whose group has not had its turn yet.
 */
@ApplicationScoped
public class RecoveryPlanService {
    /** The scenario names of plan jobs, as the {@link Scenario} table declares them. */
    static final List<String> SCENARIOS = Scenario.planJobNames();
    /** The operations a whole plan offers, each run on every item of it. */
    private static final List<ItemOperation> PLAN_OPERATIONS = List.of(ItemOperation.PlannedFailover, ItemOperation.UnplannedFailover,
            ItemOperation.TestFailover, ItemOperation.TestFailoverCleanup, ItemOperation.Commit, ItemOperation.ReverseReplicate);

    private final RecoveryPlanRunner runner;

    private final OutboxWriter outbox;

    public RecoveryPlanService(RecoveryPlanRunner runner, OutboxWriter outbox) {
        this.runner = runner;
        this.outbox = outbox;
    }

    /** A plan with the operations allowed on it now (those allowed on every one of its items, while no plan job runs). */
    public record Overview(RecoveryPlan plan, List<ItemOperation> allowedOperations) {
    }

    public record Saved(Overview overview, boolean created) {
    }

    public static boolean isPlanJob(ReplicationJob job) {
        Scenario scenario = Scenario.of(job);
        return scenario != null && scenario.isPlanJob();
    }

    /** Creates or replaces the plan; not while its job runs. */
    @WithTransaction
    public Uni<Saved> save(String name, RecoveryPlanRequest request) {
        List<RecoveryPlanGroup> groups = request.properties().groups();
        return Uni.createFrom().item(groups).invoke(RecoveryPlanService::checkDefinition)
                .chain(() -> RecoveryPlan.<RecoveryPlan>findById(name))
                .chain(existing -> {
                    if (existing != null && existing.currentScenarioJobName != null) {
                        return Uni.createFrom().failure(busy(existing));
                    }
                    RecoveryPlan plan = existing == null ? new RecoveryPlan() : existing;
                    plan.name = name;
                    plan.friendlyName = request.properties().friendlyName() == null ? name : request.properties().friendlyName();
                    plan.definition = new RecoveryPlan.Definition(groups);
                    return items(plan.itemNames()).chain(items -> {
                        List<String> unknown = plan.itemNames().stream().filter(item -> !items.containsKey(item)).toList();
                        if (!unknown.isEmpty()) {
                            return Uni.createFrom().failure(new ProblemException(422, "ItemNotFound",
                                    "no replication protected item named " + unknown + "; protect or register them first"));
                        }
                        Uni<RecoveryPlan> stored = existing == null ? plan.persist() : Uni.createFrom().item(plan);
                        return stored.map(saved -> new Saved(overview(saved, items), existing == null));
                    });
                });
    }

    @WithSession
    public Uni<Overview> find(String name) {
        return RecoveryPlan.<RecoveryPlan>findById(name)
                .onItem().ifNull().failWith(() -> planNotFound(name))
                .chain(plan -> items(plan.itemNames()).map(items -> overview(plan, items)));
    }

    /** Up to {@code limit} plans in name order, after {@code afterName}. */
    @WithSession
    public Uni<List<Overview>> list(String afterName, int limit) {
        return RecoveryPlan.<RecoveryPlan>find("name > ?1", Sort.by("name"), afterName).page(Page.ofSize(limit)).list()
                .chain(plans -> items(plans.stream().flatMap(plan -> plan.itemNames().stream()).distinct().toList())
                        .map(items -> plans.stream().map(plan -> overview(plan, items)).toList()));
    }

    /** Deletes the plan (never its items or jobs); not while its job runs. */
    @WithTransaction
    public Uni<Void> delete(String name) {
        return RecoveryPlan.<RecoveryPlan>findById(name)
                .onItem().ifNull().failWith(() -> planNotFound(name))
                .chain(plan -> plan.currentScenarioJobName != null ? Uni.createFrom().failure(busy(plan))
                        // Followers of the state-change feed learn of the removal from a last change, one version on.
                        : outbox.add(io.failback.contracts.messaging.Topics.STATE_CHANGES, name, new io.failback.contracts.messaging.StateChange(
                                io.failback.contracts.messaging.ContractVersions.STATE_CHANGE,
                                io.failback.contracts.messaging.StateChange.Kind.RecoveryPlan, name, plan.version + 1, null,
                                java.time.Instant.now(), null)).chain(message -> plan.delete()));
    }

    /**
     * Planned failover of every item, with the item operation's body. A failback with ForDownTime (the default, as for
     * one item) synchronizes every item's snapshot at once and then suspends; Resume completes the groups in order.
     */
    @WithTransaction
    public Uni<ReplicationJob> plannedFailover(String planName, PlannedFailoverRequest request) {
        FailoverDirection direction = request.properties().failoverDirection();
        PlannedFailoverRequest.ProviderSpecificDetails details = request.properties().providerSpecificDetails();
        return start(planName, Scenario.RecoveryPlanPlannedFailover, direction,
                direction == FailoverDirection.RecoveryToPrimary ? "Planned failover (Azure to on-premises)" : "Planned failover (on-premises to Azure)",
                job -> {
                    if (direction == FailoverDirection.RecoveryToPrimary) {
                        job.dataSyncOption = details == null || details.dataSyncOption() == null ? DataSyncOption.ForDownTime
                                : details.dataSyncOption();
                        job.recoveryVmCreationOption = details == null || details.recoveryVmCreationOption() == null
                                ? RecoveryVmCreationOption.NoAction : details.recoveryVmCreationOption();
                        job.targetProviderId = details == null ? null : details.providerIdForAlternateRecovery();
                        job.encryptionKeyId = details == null ? null : details.encryptionKeyId();
                    }
                });
    }

    @WithTransaction
    public Uni<ReplicationJob> failoverCommit(String planName) {
        return start(planName, Scenario.RecoveryPlanFailoverCommit, null, "Commit", job -> {
        });
    }

    /**
     * Unplanned failover of every item to Azure, from each one's latest recovery point, group by group; the body is
     * an item's (sourceSiteOperations Required shuts each on-premises VM down first). Refused in the failback direction.
     */
    @WithTransaction
    public Uni<ReplicationJob> unplannedFailover(String planName, ItemOperationRequests.UnplannedFailover request) {
        if (request.properties().failoverDirection() != FailoverDirection.PrimaryToRecovery) {
            return Uni.createFrom().failure(new ProblemException(422, "UnplannedFailbackNotSupported",
                    "only a planned failover may run in the failback direction (RecoveryToPrimary): it loses no data"));
        }
        return start(planName, Scenario.RecoveryPlanUnplannedFailover, FailoverDirection.PrimaryToRecovery,
                "Unplanned failover (on-premises to Azure)", job -> job.sourceSiteOperations = request.properties().sourceSiteOperations() == null
                        ? null : request.properties().sourceSiteOperations().name());
    }

    /** Test failover of every item: test VMs from the latest recovery points, group by group, while protection goes on. */
    @WithTransaction
    public Uni<ReplicationJob> testFailover(String planName, ItemOperationRequests.TestFailover request) {
        if (request.properties().failoverDirection() != FailoverDirection.PrimaryToRecovery) {
            return Uni.createFrom().failure(new ProblemException(422, "FailoverDirectionNotSupported",
                    "a test failover runs from the protected on-premises VMs' replicas into Azure (PrimaryToRecovery)"));
        }
        return start(planName, Scenario.RecoveryPlanTestFailover, FailoverDirection.PrimaryToRecovery, "Test failover", job -> {
        });
    }

    /** Deletes every item's test VM. */
    @WithTransaction
    public Uni<ReplicationJob> testFailoverCleanup(String planName, ItemOperationRequests.TestFailoverCleanup request) {
        return start(planName, Scenario.RecoveryPlanTestFailoverCleanup, null, "Test failover cleanup",
                job -> job.testFailoverComments = request == null ? null : request.properties().comments());
    }

    /** "Reverse Replicate" of every item after a committed failback. */
    @WithTransaction
    public Uni<ReplicationJob> reprotect(String planName) {
        return start(planName, Scenario.RecoveryPlanReprotect, null, "Reverse replicate", job -> {
        });
    }

    private Uni<ReplicationJob> start(String planName, Scenario planScenario, FailoverDirection direction, String friendlyName,
            Consumer<ReplicationJob> failoverDetails) {
        ItemOperation operation = planScenario.operation();
        String scenario = planScenario.scenarioName();
        return RecoveryPlan.<RecoveryPlan>findById(planName)
                .onItem().ifNull().failWith(() -> planNotFound(planName))
                .chain(plan -> {
                    if (plan.currentScenarioJobName != null) {
                        return Uni.createFrom().failure(busy(plan));
                    }
                    return items(plan.itemNames()).chain(items -> {
                        List<String> notReady = plan.itemNames().stream()
                                .map(name -> whyNotReady(name, items.get(name), operation, direction))
                                .filter(why -> why != null)
                                .toList();
                        if (!notReady.isEmpty()) {
                            return Uni.createFrom().failure(ProblemException.conflict("OperationNotAllowed", operation
                                    + " is not allowed on recovery plan '" + planName + "' now: " + String.join("; ", notReady)));
                        }
                        Instant now = Instant.now();
                        ReplicationJob job = new ReplicationJob();
                        job.name = UUID.randomUUID().toString();
                        job.scenarioName = scenario;
                        job.friendlyName = friendlyName + " of recovery plan " + plan.friendlyName;
                        job.state = JobState.InProgress;
                        job.stateDescription = "In progress";
                        job.targetObjectId = plan.name;
                        job.targetObjectName = plan.friendlyName;
                        job.startTime = now;
                        job.failoverDirection = direction;
                        failoverDetails.accept(job);
                        boolean twoPhase = job.dataSyncOption == DataSyncOption.ForDownTime;
                        job.details = new ReplicationJob.JobDetails(RecoveryPlanRunner.tasks(plan, operation, direction, twoPhase, now),
                                List.of(), List.of(), null, null);
                        items.values().forEach(item -> item.beginScenario(scenario, job.name, now));
                        plan.beginScenario(scenario, job.name, now);
                        return job.<ReplicationJob>persist()
                                .call(() -> runner.advance(new RecoveryPlanRunner.Run(job, plan, Map.of())));
                    });
                });
    }

    /** Why the item cannot take part in the operation now, or null when it can. */
    private static String whyNotReady(String name, ReplicationProtectedItem item, ItemOperation operation, FailoverDirection direction) {
        if (item == null) {
            return name + " no longer exists";
        }
        if (!ItemStateMachine.allows(item, operation)) {
            return name + (item.currentScenarioJobName != null
                    ? " is taken by job " + item.currentScenarioJobName + " (" + item.currentScenarioName + ")"
                    : " is " + item.protectionState + " at " + item.activeLocation + " (allowed: " + ItemStateMachine.allowedOperations(item) + ")");
        }
        if (direction != null && item.activeLocation != (direction == FailoverDirection.RecoveryToPrimary
                ? ActiveLocation.Recovery : ActiveLocation.Primary)) {
            return name + " is active at " + item.activeLocation + ", not where a " + direction + " failover starts";
        }
        return null;
    }

    /** Resume of a suspended plan job: after phase 1, or after a manual action was carried out. */
    Uni<ReplicationJob> resume(ReplicationJob job) {
        if (!job.allows(JobAction.Resume)) {
            return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + job.name + " is " + job.state
                    + "; Resume is allowed only while it is Suspended (allowed actions: " + job.allowedActions() + ")"));
        }
        return runner.load(job).chain(run -> {
            RecoveryPlanRunner.completeWaitingActions(job, Instant.now());
            job.state = JobState.InProgress;
            job.stateDescription = "In progress";
            return runner.advance(run);
        }).replaceWith(job);
    }

    /** Cancel of a plan job: see {@link RecoveryPlanRunner#cancel}. */
    Uni<ReplicationJob> cancel(ReplicationJob job) {
        if (!job.allows(JobAction.Cancel)) {
            return Uni.createFrom().failure(ProblemException.conflict("ActionNotAllowed", "job " + job.name + " (" + job.scenarioName
                    + ") is " + job.state + "; it cannot be cancelled now (allowed actions: " + job.allowedActions() + ")"));
        }
        return runner.load(job).chain(runner::cancel).replaceWith(job);
    }

    private static Uni<Map<String, ReplicationProtectedItem>> items(List<String> names) {
        if (names.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return ReplicationProtectedItem.<ReplicationProtectedItem>list("name in ?1", names)
                .map(items -> items.stream().collect(Collectors.toMap(item -> item.name, Function.identity())));
    }

    private static Overview overview(RecoveryPlan plan, Map<String, ReplicationProtectedItem> items) {
        List<ItemOperation> allowed = plan.currentScenarioJobName != null ? List.of() : PLAN_OPERATIONS.stream()
                .filter(operation -> plan.itemNames().stream().allMatch(name -> items.get(name) != null
                        && ItemStateMachine.allows(items.get(name), operation)))
                .toList();
        return new Overview(plan, allowed);
    }

    /**
     * What bean validation cannot say about a plan: the groups run Shutdown, Failover, then Boot groups (Shutdown and
     * Failover at most once each, as in Site Recovery); only Boot groups hold items, each item once; at least one item;
     * action names unique in the plan (they name the job's tasks); a script action names its script.
     */
    private static void checkDefinition(List<RecoveryPlanGroup> groups) {
        for (int g = 1; g < groups.size(); g++) {
            GroupType before = groups.get(g - 1).groupType();
            GroupType type = groups.get(g).groupType();
            if (type.ordinal() < before.ordinal() || (type == before && type != GroupType.Boot)) {
                throw ProblemException.badRequest("GroupOrder", "groups run in the order Shutdown, Failover, then one or more Boot "
                        + "groups, with Shutdown and Failover at most once each; group " + (g + 1) + " (" + type + ") follows " + before);
            }
        }
        Set<String> items = new HashSet<>();
        Set<String> actions = new HashSet<>();
        for (int g = 0; g < groups.size(); g++) {
            RecoveryPlanGroup group = groups.get(g);
            if (group.groupType() != GroupType.Boot && !group.replicationProtectedItems().isEmpty()) {
                throw ProblemException.badRequest("ItemOutsideBootGroup", "group " + (g + 1) + " is a " + group.groupType()
                        + " group: it stands for the plan-wide step and takes actions only; put items in Boot groups");
            }
            for (String item : group.itemNames()) {
                if (!items.add(item)) {
                    throw ProblemException.badRequest("DuplicateItem", "item '" + item + "' appears more than once in the plan");
                }
            }
            for (RecoveryPlanAction action : concat(group.startGroupActions(), group.endGroupActions())) {
                if (!actions.add(action.actionName())) {
                    throw ProblemException.badRequest("DuplicateActionName", "action name '" + action.actionName()
                            + "' appears more than once in the plan");
                }
                if (!action.manual() && (action.customDetails().path() == null || action.customDetails().path().isBlank())) {
                    throw ProblemException.badRequest("ScriptPathRequired", "script action '" + action.actionName() + "' must name its script in path");
                }
            }
        }
        if (items.isEmpty()) {
            throw ProblemException.badRequest("EmptyRecoveryPlan", "a recovery plan needs at least one item in a Boot group");
        }
    }

    private static List<RecoveryPlanAction> concat(List<RecoveryPlanAction> first, List<RecoveryPlanAction> second) {
        return Stream.concat(first.stream(), second.stream()).toList();
    }

    private static ProblemException busy(RecoveryPlan plan) {
        return ProblemException.conflict("RecoveryPlanBusy", "job " + plan.currentScenarioJobName + " (" + plan.currentScenarioName
                + ") is running on recovery plan '" + plan.name + "'; wait for it to end, or cancel it");
    }

    public static ProblemException planNotFound(String name) {
        return ProblemException.notFound("RecoveryPlanNotFound", "no recovery plan named '" + name + "'");
    }
}
