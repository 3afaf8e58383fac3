package io.failback.jobs.arm;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.JobError;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ProtectionState;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.domain.RecoveryPlanAction;
import io.failback.jobs.domain.RecoveryPlanGroup;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.service.RecoveryPlanService;
import io.failback.jobs.view.Views;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Our entities in the shapes of Site Recovery's ARM specification (api-version 2023-06-01): full ARM ids that embed the
 * request's vault, ARM resource types, and the spec's property names (ReplicationProtectedItemProperties,
 * JobProperties with ASRTask and JobErrorDetails, RecoveryPlanProperties, ...). Fields of ours the spec lacks are
 * added beside them; the SDK passes unknown properties through.
 */
public final class ArmViews {
    private ArmViews() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ArmResource<P>(String id, String name, String type, String location, P properties) {
    }

    public record ArmPage<T>(List<T> value, String nextLink) {
    }

    /** @param jobId the job's full ARM id */
    public record CurrentScenario(String scenarioName, String jobId, Instant startTime) {
    }

    public record HealthError(String errorCode, String errorMessage, String errorLevel, Instant creationTimeUtc) {
    }

    /** HyperVReplicaAzureReplicationDetails, with the fields we have. */
    public record HyperVReplicaAzureDetails(String instanceType, String recoveryAzureVmName, Instant lastReplicatedTime,
            Long rpoInSeconds, String vmProtectionState, String vmProtectionStateDescription, String primaryVirtualSwitchName) {
    }

    public record ItemProperties(String friendlyName, String protectedItemType, String protectableItemId, String recoveryServicesProviderId,
            String primaryFabricFriendlyName, String primaryFabricProvider, String recoveryFabricFriendlyName, String recoveryFabricId,
            String primaryProtectionContainerFriendlyName, String recoveryProtectionContainerFriendlyName, String protectionState,
            String protectionStateDescription, String activeLocation, String testFailoverState, String testFailoverStateDescription,
            List<ItemOperation> allowedOperations, String replicationHealth, String failoverHealth, List<HealthError> healthErrors,
            Instant lastSuccessfulFailoverTime, CurrentScenario currentScenario, String recoveryContainerId,
            HyperVReplicaAzureDetails providerSpecificDetails) {
    }

    public record ServiceError(String code, String message, String possibleCauses, String recommendedAction, String activityId) {
    }

    public record JobErrorDetails(ServiceError serviceErrorDetails, String errorLevel, Instant creationTime, String taskId) {
    }

    /** ASRTask, with the task's transfer progress (bytes, rate, ETA) of ours beside. */
    public record AsrTask(String taskId, String name, Instant startTime, Instant endTime, List<String> allowedActions,
            String friendlyName, String state, String stateDescription, String taskType, List<JobErrorDetails> errors,
            TaskProgress progress) {
    }

    /** FailoverJobDetails, with our failback fields. */
    public record FailoverJobDetails(String instanceType, String failoverDirection, String dataSyncOption, String recoveryVmCreationOption,
            String targetProviderId, List<DiskVerification> verifications) {
    }

    public record JobProperties(String activityId, String scenarioName, String friendlyName, String state, String stateDescription,
            List<AsrTask> tasks, List<JobErrorDetails> errors, Instant startTime, Instant endTime, List<String> allowedActions,
            String targetObjectId, String targetObjectName, String targetInstanceType, FailoverJobDetails customDetails,
            String startedBy) {
    }

    public record FabricSpecificDetails(String instanceType) {
    }

    public record FabricProperties(String friendlyName, String internalIdentifier, String health, FabricSpecificDetails customDetails,
            List<HealthError> healthErrorDetails) {
    }

    public record ContainerProperties(String friendlyName, String fabricFriendlyName, String fabricType, long protectedItemCount,
            String pairingStatus, String role, String pairedProtectionContainerId) {
    }

    public record ProviderProperties(String fabricType, String friendlyName, String connectionStatus, int protectedItemCount,
            List<String> allowedScenarios, Instant lastHeartBeat, String fabricFriendlyName, String machineName, String providerVersion,
            String url, List<String> virtualSwitches) {
    }

    public record ProtectableItemDetails(String instanceType, String virtualSwitchName, String state) {
    }

    public record ProtectableItemProperties(String friendlyName, String protectionStatus, String replicationProtectedItemId,
            String recoveryServicesProviderId, List<String> protectionReadinessErrors, List<String> supportedReplicationProviders,
            ProtectableItemDetails customDetails) {
    }

    public record PlanItem(String id, String virtualMachineId) {
    }

    public record PlanGroup(String groupType, List<PlanItem> replicationProtectedItems, List<RecoveryPlanAction> startGroupActions,
            List<RecoveryPlanAction> endGroupActions) {
    }

    public record PlanProperties(String friendlyName, String primaryFabricId, String primaryFabricFriendlyName, String recoveryFabricId,
            String recoveryFabricFriendlyName, String failoverDeploymentModel, List<String> replicationProviders,
            List<ItemOperation> allowedOperations, CurrentScenario currentScenario, String currentScenarioStatus, List<PlanGroup> groups) {
    }

    static final String ON_PREMISES_NAME = "On-premises Hyper-V site";
    static final String AZURE_NAME = "Microsoft Azure";

    public static ArmResource<ItemProperties> item(VaultScope vault, ReplicationProtectedItem item) {
        CurrentScenario scenario = item.currentScenarioJobName == null ? null
                : new CurrentScenario(item.currentScenarioName, vault.jobId(item.currentScenarioJobName), item.currentScenarioStartTime);
        // What the item's job waits for is a warning: it goes away by itself when the part is back.
        List<HealthError> errors = Views.healthErrors(item).stream().map(message -> new HealthError(Views.code(message), message,
                message.equals(item.waitingOn) ? "Warning" : "Error", null)).toList();
        boolean testRunning = io.failback.jobs.domain.Scenario.TestFailover.scenarioName().equals(item.currentScenarioName);
        String testState = testRunning ? "TestFailoverInProgress" : item.testFailoverVmName != null ? "TestFailoverCompleted" : "None";
        String testDescription = item.testFailoverVmName != null
                ? "Test VM '" + item.testFailoverVmName + "' runs in Azure; clean up the test failover to delete it"
                : item.testFailoverComments == null ? null : "Last test cleaned up: " + item.testFailoverComments;
        HyperVReplicaAzureDetails details = new HyperVReplicaAzureDetails("HyperVReplicaAzure", item.recoveryAzureVmName,
                item.lastReplicatedTime, rpoSeconds(item), item.protectionState.name(), item.protectionStateDescription,
                item.primaryVirtualSwitchName);
        return new ArmResource<>(vault.itemId(item.name), item.name, ArmPaths.ITEM_TYPE, null, new ItemProperties(item.friendlyName,
                "HyperVVirtualMachine", vault.protectableItemId(item.primaryVmName == null ? item.name : item.primaryVmName),
                item.primaryProviderId == null ? null : vault.providerId(item.primaryProviderId), ON_PREMISES_NAME, "HyperVSite",
                AZURE_NAME, vault.fabricId(ArmPaths.AZURE_FABRIC), "Hyper-V site protection group", "Azure recovery",
                item.protectionState.name(), item.protectionStateDescription, item.activeLocation.name(), testState, testDescription,
                ItemStateMachine.allowedOperations(item), Views.replicationHealth(item), errors.isEmpty() ? "Normal" : "Warning", errors,
                item.lastSuccessfulFailoverTime, scenario, vault.containerId(ArmPaths.AZURE_FABRIC, ArmPaths.AZURE_CONTAINER), details));
    }

    private static Long rpoSeconds(ReplicationProtectedItem item) {
        if (item.protectionState != ProtectionState.Protected || item.lastReplicatedTime == null) {
            return null;
        }
        return Math.max(0, Duration.between(item.lastReplicatedTime, Instant.now()).toSeconds());
    }

    public static ArmResource<JobProperties> job(VaultScope vault, ReplicationJob job) {
        boolean planJob = RecoveryPlanService.isPlanJob(job);
        List<AsrTask> tasks = job.tasks().stream().map(task -> task(job, task)).toList();
        List<JobErrorDetails> errors = job.errors().stream().map(error -> error(job, error, null, job.endTime)).toList();
        return new ArmResource<>(vault.jobId(job.name), job.name, ArmPaths.JOB_TYPE, null, new JobProperties(job.requestId,
                job.scenarioName, job.friendlyName, job.state.name(), job.stateDescription, tasks, errors, job.startTime, job.endTime,
                job.allowedActions(), job.targetObjectId, job.targetObjectName, planJob ? "RecoveryPlan" : "ProtectionEntity",
                new FailoverJobDetails("FailoverJobDetails", name(job.failoverDirection), name(job.dataSyncOption),
                        name(job.recoveryVmCreationOption), job.targetProviderId, job.verifications()),
                job.startedBy));
    }

    private static AsrTask task(ReplicationJob job, JobTask task) {
        return new AsrTask(task.taskId(), task.name(), task.startTime(), task.endTime(), List.of(), task.friendlyName(), task.state().name(),
                task.stateDescription(), "JobTask", task.errors().stream().map(error -> error(job, error, task.taskId(), task.endTime())).toList(),
                task.progress());
    }

    private static JobErrorDetails error(ReplicationJob job, JobError error, String taskId, Instant at) {
        return new JobErrorDetails(new ServiceError(error.errorCode(), error.message(), null, null, job.requestId), "Error", at, taskId);
    }

    /** The code and message that a failed job ends an operation with: its first error, or the state's description. */
    public static ArmErrors.ErrorDetail failure(ReplicationJob job) {
        if (!job.errors().isEmpty()) {
            JobError first = job.errors().get(0);
            return new ArmErrors.ErrorDetail(first.errorCode(), first.message());
        }
        return job.tasks().stream().filter(task -> task.state() == JobState.Failed && !task.errors().isEmpty()).findFirst()
                .map(task -> new ArmErrors.ErrorDetail(task.errors().get(0).errorCode(), task.errors().get(0).message()))
                .orElse(new ArmErrors.ErrorDetail("JobFailed", job.stateDescription == null ? "the job failed" : job.stateDescription));
    }

    public static ArmResource<FabricProperties> fabric(VaultScope vault, String fabric, String health) {
        boolean onPremises = ArmPaths.ON_PREMISES_FABRIC.equals(fabric);
        return new ArmResource<>(vault.fabricId(fabric), fabric, ArmPaths.FABRIC_TYPE, null, new FabricProperties(
                onPremises ? ON_PREMISES_NAME : AZURE_NAME, fabric, health,
                new FabricSpecificDetails(onPremises ? "HyperVSite" : "Azure"), List.of()));
    }

    public static ArmResource<ContainerProperties> container(VaultScope vault, String fabric, long itemCount) {
        boolean onPremises = ArmPaths.ON_PREMISES_FABRIC.equals(fabric);
        String container = onPremises ? ArmPaths.ON_PREMISES_CONTAINER : ArmPaths.AZURE_CONTAINER;
        String paired = onPremises ? vault.containerId(ArmPaths.AZURE_FABRIC, ArmPaths.AZURE_CONTAINER)
                : vault.containerId(ArmPaths.ON_PREMISES_FABRIC, ArmPaths.ON_PREMISES_CONTAINER);
        return new ArmResource<>(vault.containerId(fabric, container), container, ArmPaths.CONTAINER_TYPE, null, new ContainerProperties(
                onPremises ? "Hyper-V site protection group" : "Azure recovery", onPremises ? ON_PREMISES_NAME : AZURE_NAME,
                onPremises ? "HyperVSite" : "Azure", onPremises ? itemCount : 0, "Paired", onPremises ? "Primary" : "Recovery", paired));
    }

    public static ArmResource<ProviderProperties> provider(VaultScope vault, FabricProvider provider, boolean connected, int itemCount) {
        return new ArmResource<>(vault.providerId(provider.providerId), provider.providerId, ArmPaths.PROVIDER_TYPE, null,
                new ProviderProperties("HyperVSite", provider.friendlyName, connected ? "Connected" : "NotConnected", itemCount,
                        List.of("HyperVReplicaAzure"), provider.lastHeartbeat, ON_PREMISES_NAME, provider.friendlyName, "failback",
                        provider.baseUrl, provider.details.virtualSwitches()));
    }

    /** @param itemName the protected item of this VM, or null while it is not protected */
    public static ArmResource<ProtectableItemProperties> protectableItem(VaultScope vault, OnPremisesVmLocator.HostVm vm, String itemName) {
        return new ArmResource<>(vault.protectableItemId(vm.vm().name()), vm.vm().name(), ArmPaths.PROTECTABLE_ITEM_TYPE, null,
                new ProtectableItemProperties(vm.vm().name(), itemName == null ? "Unprotected" : "Protected",
                        itemName == null ? null : vault.itemId(itemName), vault.providerId(vm.providerId()), List.of(),
                        List.of("HyperVReplicaAzure"),
                        new ProtectableItemDetails("HyperVVirtualMachine", vm.vm().virtualSwitchName(), vm.vm().state())));
    }

    public static ArmResource<PlanProperties> plan(VaultScope vault, RecoveryPlanService.Overview overview) {
        RecoveryPlan plan = overview.plan();
        CurrentScenario scenario = plan.currentScenarioJobName == null ? null
                : new CurrentScenario(plan.currentScenarioName, vault.jobId(plan.currentScenarioJobName), plan.currentScenarioStartTime);
        List<PlanGroup> groups = plan.groups().stream().map(group -> planGroup(vault, group)).toList();
        return new ArmResource<>(vault.planId(plan.name), plan.name, ArmPaths.PLAN_TYPE, null, new PlanProperties(plan.friendlyName,
                vault.fabricId(ArmPaths.ON_PREMISES_FABRIC), ON_PREMISES_NAME, vault.fabricId(ArmPaths.AZURE_FABRIC), AZURE_NAME,
                "NotApplicable", List.of("HyperVReplicaAzure"), overview.allowedOperations(), scenario,
                scenario == null ? null : "InProgress", groups));
    }

    private static PlanGroup planGroup(VaultScope vault, RecoveryPlanGroup group) {
        return new PlanGroup(group.groupType().name(), group.itemNames().stream().map(item -> new PlanItem(vault.itemId(item), item)).toList(),
                group.startGroupActions(), group.endGroupActions());
    }

    private static String name(Enum<?> value) {
        return value == null ? null : value.name();
    }
}
