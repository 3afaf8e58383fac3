package io.failback.jobs.service;

import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.JobError;
import io.failback.jobs.domain.JobAction;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.RecoveryPlanAction;
import io.failback.jobs.domain.RecoveryPlanGroup;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.domain.Scenario;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Moves a recovery plan's job along by reading the item jobs it started; it never looks at sync-service's events.
 * Groups run in order and the items of a group in parallel, each through its own item job started with
 * {@link FailoverService}'s public operations. A failback with ForDownTime first runs every item's phase 1 together
 * (a snapshot copy while the Azure VMs keep running, which disturbs nobody) and suspends once all are done; after
 * Resume the groups complete in order, so the VMs shut down in Azure and start on-premises in boot order.
 * <p>
 * The job's tasks, in order: the prerequisites check, for ForDownTime the plan-wide snapshot synchronization, then
 * for each group its task, its start actions, one task per item and its end actions. Everything happens in the
 * caller's transaction.
 */
@ApplicationScoped
public class RecoveryPlanRunner {
    static final String SNAPSHOT_TASK = "SnapshotSynchronization";

    private final FailoverService failovers;

    public RecoveryPlanRunner(FailoverService failovers) {
        this.failovers = failovers;
    }

    /** A plan job with its plan and the item jobs it started (by item name), loaded in the caller's session. */
    record Run(ReplicationJob job, RecoveryPlan plan, Map<String, ReplicationJob> itemJobs) {
    }

    /** An item job could not be started or resumed; the plan job fails with this problem on that task. */
    static final class ItemStepRefused extends ProblemException {
        final String taskName;

        ItemStepRefused(String taskName, String itemName, ProblemException cause) {
            super(cause.status(), cause.type(), itemName + ": " + cause.getMessage());
            this.taskName = taskName;
        }
    }

    static List<JobTask> tasks(RecoveryPlan plan, ItemOperation operation, FailoverDirection direction, boolean twoPhase, Instant now) {
        List<JobTask> tasks = new ArrayList<>();
        tasks.add(JobTask.notStarted(FailoverService.PREREQUISITES_TASK, "Prerequisites check for the recovery plan").succeeded(now, null, 0));
        if (twoPhase) {
            tasks.add(JobTask.notStarted(SNAPSHOT_TASK, "Synchronize a snapshot of every VM while it keeps running in Azure (phase 1)"));
        }
        for (int g = 0; g < plan.groups().size(); g++) {
            RecoveryPlanGroup group = plan.groups().get(g);
            tasks.add(JobTask.notStarted(groupTask(g), "Group " + (g + 1) + ": " + group.groupType()));
            for (RecoveryPlanAction action : applicable(group.startGroupActions(), operation, direction)) {
                tasks.add(JobTask.notStarted(actionTask(g, "StartAction", action), actionFriendlyName(action)));
            }
            for (String item : group.itemNames()) {
                tasks.add(JobTask.notStarted(itemTask(g, item), verb(operation) + " of " + item));
            }
            for (RecoveryPlanAction action : applicable(group.endGroupActions(), operation, direction)) {
                tasks.add(JobTask.notStarted(actionTask(g, "EndAction", action), actionFriendlyName(action)));
            }
        }
        return tasks;
    }

    Uni<Run> load(ReplicationJob job) {
        return RecoveryPlan.<RecoveryPlan>findById(job.targetObjectId).chain(plan -> {
            if (plan == null) {
                return Uni.createFrom().failure(new IllegalStateException("recovery plan '" + job.targetObjectId + "' of job "
                        + job.name + " is gone, though a plan cannot be deleted while its job runs"));
            }
            if (plan.itemJobs.isEmpty()) {
                return Uni.createFrom().item(new Run(job, plan, Map.of()));
            }
            return ReplicationJob.<ReplicationJob>list("name in ?1", List.copyOf(plan.itemJobs.values())).map(jobs -> {
                Map<String, ReplicationJob> byItem = new HashMap<>();
                jobs.forEach(itemJob -> byItem.put(itemJob.targetObjectId, itemJob));
                return new Run(job, plan, byItem);
            });
        });
    }

    /** Advances the named plan job if it is still InProgress (the scheduler's entry). */
    Uni<Void> advance(String jobName) {
        return ReplicationJob.<ReplicationJob>findById(jobName).chain(job -> job == null || job.state != JobState.InProgress
                ? Uni.createFrom().voidItem() : load(job).chain(this::advance));
    }

    /**
     * Takes every step that can be taken now: starts or resumes the item jobs whose turn came, runs actions, records
     * what the item jobs did. Fails with {@link ItemStepRefused} (the caller's transaction then changes nothing) when
     * an item job cannot be started or resumed.
     */
    Uni<Void> advance(Run run) {
        List<Supplier<Uni<Void>>> steps = new ArrayList<>();
        Instant now = Instant.now();
        JobTask snapshot = run.job().task(SNAPSHOT_TASK);
        if (snapshot != null && !snapshot.state().isFinal()) {
            synchronizeSnapshots(run, snapshot, now, steps);
        } else {
            completeGroupsInOrder(run, now, steps);
        }
        return Multi.createFrom().iterable(steps).onItem().transformToUniAndConcatenate(Supplier::get).collect().last().replaceWithVoid();
    }

    /** Phase 1 of a ForDownTime failback: every item at once; the plan suspends when all finished theirs. */
    private void synchronizeSnapshots(Run run, JobTask snapshot, Instant now, List<Supplier<Uni<Void>>> steps) {
        ReplicationJob job = run.job();
        List<String> items = run.plan().itemNames();
        if (run.itemJobs().isEmpty()) {
            job.updateTask(SNAPSHOT_TASK, task -> task.started(now, 0));
            for (String item : items) {
                steps.add(() -> startItemJob(run, item, null, now));
            }
            return;
        }
        long synchronizedItems = 0;
        List<String> failed = new ArrayList<>();
        TaskProgress total = null;
        for (String item : items) {
            ReplicationJob itemJob = run.itemJobs().get(item);
            if (itemJob.state == JobState.Failed || itemJob.state == JobState.Cancelled) {
                recordFailedItem(job, itemTask(run.plan(), item), item, itemJob, now);
                failed.add(item);
                continue;
            }
            JobTask itemSnapshot = itemJob.task(SyncTask.SnapshotSynchronization.name());
            if (itemSnapshot.state() == JobState.Succeeded) {
                synchronizedItems++;
            }
            total = sum(total, itemSnapshot.progress());
        }
        if (synchronizedItems + failed.size() == items.size()) {
            if (!failed.isEmpty()) {
                List<JobError> errors = errorsOf(job, failed.stream().map(item -> itemTask(run.plan(), item)).toList());
                steps.add(() -> fail(run, SNAPSHOT_TASK, failedItems(failed, items.size(), "phase 1"), errors));
                return;
            }
            job.updateTask(SNAPSHOT_TASK, task -> task.succeeded(now, null, 0));
            job.suspend(null, "Every VM's snapshot is synchronized while it keeps running in Azure. Complete Failover (resume this "
                    + "job) to shut them down, send their final changes and start them on-premises, group by group", now);
            return;
        }
        String synchronizedSoFar = synchronizedItems + " of " + items.size() + " VMs synchronized"
                + (failed.isEmpty() ? "" : ", " + failed.size() + " failed (" + String.join(", ", failed) + ")");
        JobTask progressed = new JobTask(snapshot.taskId(), snapshot.name(), snapshot.friendlyName(), snapshot.state(),
                synchronizedSoFar, snapshot.startTime(), null, total, snapshot.errors(), snapshot.lastSequence(), snapshot.waitedForAPart(), snapshot.waitedItsTurn());
        if (!progressed.equals(snapshot)) {
            job.updateTask(SNAPSHOT_TASK, task -> progressed);
        }
    }

    private void completeGroupsInOrder(Run run, Instant now, List<Supplier<Uni<Void>>> steps) {
        ReplicationJob job = run.job();
        ItemOperation operation = operationOf(job);
        for (int g = 0; g < run.plan().groups().size(); g++) {
            RecoveryPlanGroup group = run.plan().groups().get(g);
            String groupTask = groupTask(g);
            if (job.task(groupTask).state() == JobState.Succeeded) {
                continue;
            }
            if (job.task(groupTask).state() == JobState.NotStarted) {
                job.updateTask(groupTask, task -> task.started(now, 0));
            }
            if (!runActions(job, g, "StartAction", applicable(group.startGroupActions(), operation, job.failoverDirection), now)
                    || !completeItems(run, g, group, now, steps)
                    || !runActions(job, g, "EndAction", applicable(group.endGroupActions(), operation, job.failoverDirection), now)) {
                return;
            }
            job.updateTask(groupTask, task -> task.succeeded(now, null, 0));
        }
        job.finish(JobState.Succeeded, "Completed", now);
        run.plan().endScenario();
    }

    /**
     * Whether every item of the group succeeded; starts (or resumes after phase 1) those whose turn came. An item job
     * that failed is recorded on its task at once, and the group's other items are followed to their own end: only
     * then does the plan job fail (its later groups never start).
     */
    private boolean completeItems(Run run, int g, RecoveryPlanGroup group, Instant now, List<Supplier<Uni<Void>>> steps) {
        ReplicationJob job = run.job();
        boolean allEnded = true;
        List<String> failed = new ArrayList<>();
        for (String item : group.itemNames()) {
            String taskName = itemTask(g, item);
            ReplicationJob itemJob = run.itemJobs().get(item);
            JobTask task = job.task(taskName);
            if (task.state() == JobState.Succeeded) {
                continue;
            }
            if (task.state() == JobState.Failed) {
                failed.add(item);
                continue;
            }
            if (itemJob == null) {
                steps.add(() -> startItemJob(run, item, taskName, now));
                allEnded = false;
                continue;
            }
            if (task.state() == JobState.NotStarted) {
                if (itemJob.state == JobState.Suspended) {
                    steps.add(() -> resumeItemJob(run, itemJob, taskName, now));
                    allEnded = false;
                    continue;
                }
                // Completed by hand since phase 1 ("Complete Failover" on the item's own job): its step is under way.
                job.updateTask(taskName, t -> moved(t, JobState.InProgress, "Job " + itemJob.name + " in progress", now));
            }
            switch (itemJob.state) {
                case Succeeded -> job.updateTask(taskName, t -> moved(t, JobState.Succeeded, "Job " + itemJob.name + " succeeded",
                        itemJob.endTime == null || itemJob.endTime.isBefore(t.startTime()) ? now : itemJob.endTime));
                case Failed, Cancelled -> {
                    recordFailedItem(job, taskName, item, itemJob, now);
                    failed.add(item);
                }
                default -> allEnded = false;
            }
        }
        if (allEnded && !failed.isEmpty()) {
            List<JobError> errors = errorsOf(job, failed.stream().map(item -> itemTask(g, item)).toList());
            steps.add(() -> fail(run, groupTask(g), failedItems(failed, group.itemNames().size(), "in group " + (g + 1)), errors));
            return false;
        }
        return allEnded;
    }

    /** The item's task fails with its job's error, which the plan job's errors list too, once. */
    private static void recordFailedItem(ReplicationJob job, String taskName, String item, ReplicationJob itemJob, Instant now) {
        if (job.task(taskName).state() == JobState.Failed) {
            return;
        }
        JobError error = itemJobError(item, itemJob);
        job.updateTask(taskName, t -> t.failed(now, error, t.lastSequence()));
        job.addError(error);
    }

    /**
     * Runs the actions in order; whether all are done. A manual action suspends the job until it is resumed. A script
     * action is simulated: there is no Azure Automation (or any script host) here, so its task records which script
     * would have run and succeeds without running it.
     */
    private static boolean runActions(ReplicationJob job, int g, String kind, List<RecoveryPlanAction> actions, Instant now) {
        for (RecoveryPlanAction action : actions) {
            String taskName = actionTask(g, kind, action);
            JobTask task = job.task(taskName);
            if (task.state() == JobState.Succeeded) {
                continue;
            }
            if (action.manual()) {
                if (task.state() == JobState.NotStarted) {
                    String waiting = "Waiting for the manual action '" + action.actionName() + "'"
                            + (action.customDetails().description() == null ? "" : ": " + action.customDetails().description())
                            + ". Resume the job once it is done";
                    job.updateTask(taskName, t -> moved(t, JobState.InProgress, waiting, now));
                    job.suspend(null, waiting, now);
                }
                return false;
            }
            RecoveryPlanAction.Details script = action.customDetails();
            job.updateTask(taskName, t -> moved(t, JobState.Succeeded, "Simulated, not run: the script " + script.path()
                    + (script.fabricLocation() == null ? "" : " on the " + script.fabricLocation() + " site")
                    + " (no Azure Automation or script host here)", now));
        }
        return true;
    }

    /** Marks a manual action the job waits on as done, when the job is resumed. */
    static void completeWaitingActions(ReplicationJob job, Instant now) {
        for (JobTask task : job.tasks()) {
            if (task.state() == JobState.InProgress && isActionTask(task.name())) {
                job.updateTask(task.name(), t -> moved(t, JobState.Succeeded, "Done (the job was resumed)", now));
            }
        }
    }

    /**
     * Starts the item's own job, which takes the item over from the plan's reservation. {@code taskName} is null in
     * phase 1, where the item's task waits for its group's turn.
     */
    private Uni<Void> startItemJob(Run run, String item, String taskName, Instant now) {
        ReplicationJob job = run.job();
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(item)
                .invoke(entity -> {
                    if (entity != null && job.name.equals(entity.currentScenarioJobName)) {
                        entity.endScenario();
                    }
                })
                .chain(entity -> startOperation(job, item))
                .onFailure(ProblemException.class).transform(e -> new ItemStepRefused(taskName == null ? SNAPSHOT_TASK : taskName, item,
                        (ProblemException) e))
                .invoke(itemJob -> {
                    Map<String, String> itemJobs = new HashMap<>(run.plan().itemJobs);
                    itemJobs.put(item, itemJob.name);
                    run.plan().itemJobs = itemJobs;
                    String ownTask = taskName == null ? itemTask(run.plan(), item) : taskName;
                    if (taskName == null) {
                        job.updateTask(ownTask, t -> described(t, "Phase 1 by job " + itemJob.name + "; completes in its group's turn"));
                    } else {
                        job.updateTask(ownTask, t -> moved(t, JobState.InProgress, "Job " + itemJob.name + " in progress", now));
                    }
                })
                .replaceWithVoid();
    }

    private Uni<ReplicationJob> startOperation(ReplicationJob job, String item) {
        return switch (Scenario.of(job)) {
            case RecoveryPlanPlannedFailover -> failovers.plannedFailover(item, new PlannedFailoverRequest(
                    new PlannedFailoverRequest.Properties(job.failoverDirection, new PlannedFailoverRequest.ProviderSpecificDetails(
                            job.failoverDirection == FailoverDirection.RecoveryToPrimary ? "HyperVReplicaAzureFailback" : "HyperVReplicaAzure",
                            job.dataSyncOption, job.recoveryVmCreationOption, job.targetProviderId, job.encryptionKeyId))));
            case RecoveryPlanFailoverCommit -> failovers.failoverCommit(item);
            case RecoveryPlanUnplannedFailover -> failovers.unplannedFailover(item, new ItemOperationRequests.UnplannedFailover(
                    new ItemOperationRequests.UnplannedFailover.Properties(FailoverDirection.PrimaryToRecovery,
                            job.sourceSiteOperations == null ? null : ItemOperationRequests.SourceSiteOperations.valueOf(job.sourceSiteOperations),
                            null)));
            case RecoveryPlanTestFailover -> failovers.testFailover(item, new ItemOperationRequests.TestFailover(
                    new ItemOperationRequests.TestFailover.Properties(FailoverDirection.PrimaryToRecovery, null, null)));
            case RecoveryPlanTestFailoverCleanup -> failovers.testFailoverCleanup(item, new ItemOperationRequests.TestFailoverCleanup(
                    new ItemOperationRequests.TestFailoverCleanup.Properties(job.testFailoverComments)));
            case RecoveryPlanReprotect -> failovers.reprotect(item);
            default -> throw new IllegalStateException("job " + job.name + " (" + job.scenarioName + ") is no recovery plan job");
        };
    }

    /** "Complete Failover" of an item whose phase 1 is done. */
    private Uni<Void> resumeItemJob(Run run, ReplicationJob itemJob, String taskName, Instant now) {
        return failovers.resume(itemJob.name)
                .onFailure(ProblemException.class).transform(e -> new ItemStepRefused(taskName, itemJob.targetObjectId, (ProblemException) e))
                .invoke(resumed -> run.job().updateTask(taskName, t -> moved(t, JobState.InProgress,
                        "Job " + itemJob.name + " completing the failover", now)))
                .replaceWithVoid();
    }

    /**
     * Records a refused item step on its task, if the plan job is still InProgress (the scheduler's entry). A refused
     * item counts as a failed one: its group's other items are followed to their end, then the plan job fails. A
     * refused phase 1 started nothing (its whole start rolled back), so the plan job fails at once.
     */
    Uni<Void> refuse(String jobName, ItemStepRefused refused) {
        return ReplicationJob.<ReplicationJob>findById(jobName).chain(job -> job == null || job.state != JobState.InProgress
                ? Uni.createFrom().voidItem()
                : load(job).chain(run -> {
                    JobError error = new JobError(refused.type(), refused.getMessage());
                    run.job().updateTask(refused.taskName, task -> task.failed(Instant.now(), error, task.lastSequence()));
                    run.job().addError(error);
                    return refused.taskName.equals(SNAPSHOT_TASK)
                            ? fail(run, SNAPSHOT_TASK, error.message(), List.of(error))
                            : Uni.createFrom().voidItem();
                }));
    }

    /**
     * The plan job fails on the named task (a group, or phase 1) with its failed items' errors, once those are all that
     * is left of it. Item jobs still running go on to their own end (stopping one half-way would leave its VM down in
     * Azure and unbootable on-premises), and those suspended after phase 1 stay suspended: each can still be completed
     * or cancelled on its own job. Items whose turn never came are released.
     */
    private Uni<Void> fail(Run run, String taskName, String description, List<JobError> errors) {
        Instant now = Instant.now();
        ReplicationJob job = run.job();
        job.updateTask(taskName, task -> new JobTask(task.taskId(), task.name(), task.friendlyName(), JobState.Failed, description,
                task.startTime() == null ? now : task.startTime(), now, task.progress(), List.copyOf(errors), task.lastSequence(),
                task.waitedForAPart(), task.waitedItsTurn()));
        job.finish(JobState.Failed, description, now);
        run.plan().endScenario();
        return release(job);
    }

    /** What the plan job says when it fails on a group, or phase 1, of which these items failed. */
    private static String failedItems(List<String> items, int of, String where) {
        return items.size() + " of " + of + " VMs failed " + where + ": " + String.join(", ", items);
    }

    private static List<JobError> errorsOf(ReplicationJob job, List<String> taskNames) {
        return taskNames.stream().flatMap(name -> job.task(name).errors().stream()).toList();
    }

    /**
     * Cancels the item jobs that can be cancelled (a commit runs to its end; the ForDownTime ones suspended after
     * phase 1 leave their on-premises disks unbootable and their Azure VMs running), ends the plan job as Cancelled
     * and gives back the items whose turn had not come.
     */
    Uni<Void> cancel(Run run) {
        List<ReplicationJob> cancellable = run.itemJobs().values().stream()
                .filter(itemJob -> itemJob.allows(JobAction.Cancel))
                .toList();
        return Multi.createFrom().iterable(cancellable)
                .onItem().transformToUniAndConcatenate(failovers::cancel)
                .collect().asList()
                .invoke(() -> {
                    run.job().cancel(Instant.now(), "Cancelled by the user");
                    run.plan().endScenario();
                })
                .chain(() -> release(run.job()));
    }

    /** Gives back the items the plan job reserved and did not start. */
    private Uni<Void> release(ReplicationJob job) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>list("currentScenarioJobName", job.name)
                .invoke(items -> items.forEach(ReplicationProtectedItem::endScenario))
                .replaceWithVoid();
    }

    private static JobError itemJobError(String item, ReplicationJob itemJob) {
        JobError cause = itemJob.errors().isEmpty()
                ? new JobError(itemJob.state == JobState.Cancelled ? "ItemJobCancelled" : "ItemJobFailed", itemJob.stateDescription)
                : itemJob.errors().get(0);
        return new JobError(cause.errorCode(), item + " (job " + itemJob.name + "): " + cause.message());
    }

    private static TaskProgress sum(TaskProgress total, TaskProgress more) {
        if (more == null) {
            return total;
        }
        if (total == null) {
            return more;
        }
        Long eta = total.etaSeconds() == null ? more.etaSeconds()
                : more.etaSeconds() == null ? total.etaSeconds() : Math.max(total.etaSeconds(), more.etaSeconds());
        return new TaskProgress(total.bytesTotal() + more.bytesTotal(), total.bytesScanned() + more.bytesScanned(),
                total.bytesToSend() + more.bytesToSend(), total.bytesSent() + more.bytesSent(),
                total.bytesPerSecond() + more.bytesPerSecond(), eta, total.bytesResumed() + more.bytesResumed());
    }

    static ItemOperation operationOf(ReplicationJob job) {
        return Scenario.of(job).operation();
    }

    private static List<RecoveryPlanAction> applicable(List<RecoveryPlanAction> actions, ItemOperation operation, FailoverDirection direction) {
        return actions.stream().filter(action -> action.appliesTo(operation, direction)).toList();
    }

    private static String verb(ItemOperation operation) {
        return switch (operation) {
            case PlannedFailover -> "Planned failover";
            case UnplannedFailover -> "Unplanned failover";
            case TestFailover -> "Test failover";
            case TestFailoverCleanup -> "Test failover cleanup";
            case Commit -> "Commit";
            default -> "Reverse replicate";
        };
    }

    private static String actionFriendlyName(RecoveryPlanAction action) {
        return action.manual() ? "Manual action: " + action.actionName() : "Script: " + action.actionName() + " (" + action.customDetails().path() + ")";
    }

    // Task names separate their parts with '/', which item names cannot contain: no item task can collide with an action's.
    static String groupTask(int g) {
        return "Group" + (g + 1);
    }

    static String itemTask(int g, String item) {
        return groupTask(g) + "/" + item;
    }

    private static String itemTask(RecoveryPlan plan, String item) {
        for (int g = 0; g < plan.groups().size(); g++) {
            if (plan.groups().get(g).itemNames().contains(item)) {
                return itemTask(g, item);
            }
        }
        throw new IllegalArgumentException("item " + item + " is not in recovery plan " + plan.name);
    }

    private static String actionTask(int g, String kind, RecoveryPlanAction action) {
        return groupTask(g) + "/" + kind + "/" + action.actionName();
    }

    private static boolean isActionTask(String taskName) {
        return taskName.contains("/StartAction/") || taskName.contains("/EndAction/");
    }

    private static JobTask described(JobTask task, String description) {
        return new JobTask(task.taskId(), task.name(), task.friendlyName(), task.state(), description, task.startTime(), task.endTime(),
                task.progress(), task.errors(), task.lastSequence(), task.waitedForAPart(), task.waitedItsTurn());
    }

    private static JobTask moved(JobTask task, JobState state, String description, Instant at) {
        return new JobTask(task.taskId(), task.name(), task.friendlyName(), state, description,
                task.startTime() == null ? at : task.startTime(), state.isFinal() ? at : null, task.progress(), task.errors(),
                task.lastSequence(), task.waitedForAPart(), task.waitedItsTurn());
    }
}
