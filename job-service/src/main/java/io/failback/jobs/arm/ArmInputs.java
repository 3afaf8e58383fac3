package io.failback.jobs.arm;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.RecoveryPlanAction;
import io.failback.jobs.domain.RecoveryPlanGroup;
import io.failback.jobs.service.ItemOperationRequests;
import io.failback.jobs.service.PlannedFailoverRequest;
import io.failback.jobs.service.RecoveryPlanRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * The request bodies of Site Recovery's ARM operations (api-version 2023-06-01), with the fields of the spec that mean
 * something here, and how each maps onto the request the service layer takes. Only fields the spec has are read,
 * because the SDK's serializer drops any other; fields we do not use (policies, storage accounts, networks of a real
 * Azure) are ignored.
 */
public final class ArmInputs {
    private ArmInputs() {
    }

    /**
     * The provider-specific input of a failover, failback or its recovery-plan form: {@code HyperVReplicaAzureFailback}
     * (dataSyncOption, recoveryVmCreationOption, providerIdForAlternateRecovery) or {@code HyperVReplicaAzure}.
     */
    public record FailoverProviderInput(String instanceType, DataSyncOption dataSyncOption, RecoveryVmCreationOption recoveryVmCreationOption,
            String providerIdForAlternateRecovery) {
        PlannedFailoverRequest.ProviderSpecificDetails toService() {
            // ASR names the alternate host by its provider id; accept its full ARM id as well.
            return new PlannedFailoverRequest.ProviderSpecificDetails(instanceType, dataSyncOption, recoveryVmCreationOption,
                    ArmPaths.lastSegment(providerIdForAlternateRecovery), null);
        }
    }

    private static PlannedFailoverRequest.ProviderSpecificDetails toService(FailoverProviderInput input) {
        return input == null ? null : input.toService();
    }

    /** A recovery plan's inputs carry a list, one per replication provider: the Hyper-V one is ours. */
    private static PlannedFailoverRequest.ProviderSpecificDetails ours(List<FailoverProviderInput> inputs) {
        if (inputs == null) {
            return null;
        }
        return inputs.stream().filter(input -> input != null && input.instanceType() != null && input.instanceType().startsWith("HyperVReplicaAzure"))
                .findFirst().map(FailoverProviderInput::toService).orElse(null);
    }

    /** PlannedFailoverInput. */
    public record PlannedFailoverInput(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, FailoverProviderInput providerSpecificDetails) {
        }

        public PlannedFailoverRequest.Properties toService() {
            return new PlannedFailoverRequest.Properties(properties.failoverDirection(), ArmInputs.toService(properties.providerSpecificDetails()));
        }
    }

    /** UnplannedFailoverInput. */
    public record UnplannedFailoverInput(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, ItemOperationRequests.SourceSiteOperations sourceSiteOperations,
                FailoverProviderInput providerSpecificDetails) {
        }

        public ItemOperationRequests.UnplannedFailover.Properties toService() {
            return new ItemOperationRequests.UnplannedFailover.Properties(properties.failoverDirection(), properties.sourceSiteOperations(),
                    ArmInputs.toService(properties.providerSpecificDetails()));
        }
    }

    /** TestFailoverInput. */
    public record TestFailoverInput(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, @Size(max = 64) String networkType,
                @Size(max = 1024) String networkId) {
        }

        public ItemOperationRequests.TestFailover.Properties toService() {
            return new ItemOperationRequests.TestFailover.Properties(properties.failoverDirection(), properties.networkType(), properties.networkId());
        }
    }

    /** TestFailoverCleanupInput and RecoveryPlanTestFailoverCleanupInput. */
    public record TestFailoverCleanupInput(@NotNull @Valid Properties properties) {
        public record Properties(@Size(max = 1024) String comments) {
        }

        public ItemOperationRequests.TestFailoverCleanup.Properties toService() {
            return new ItemOperationRequests.TestFailoverCleanup.Properties(properties.comments());
        }
    }

    /** DisableProtectionInput (the body of {@code remove}). */
    public record DisableProtectionInput(@NotNull @Valid Properties properties) {
        public record Properties(ItemOperationRequests.DisableProtection.Reason disableProtectionReason) {
        }

        public ItemOperationRequests.DisableProtection.Properties toService() {
            return new ItemOperationRequests.DisableProtection.Properties(properties.disableProtectionReason());
        }
    }

    /**
     * ReverseReplicationInput ({@code reProtect}). Here Reverse Replicate protects the on-premises VM again after a
     * committed failback, i.e. replication from the primary site to Azure; the other direction does not exist here.
     */
    public record ReverseReplicationInput(@Valid Properties properties) {
        public record Properties(String failoverDirection) {
        }

        public void check() {
            String direction = properties == null ? null : properties.failoverDirection();
            if (direction != null && !FailoverDirection.PrimaryToRecovery.name().equals(direction)) {
                throw new ProblemException(422, "ReverseDirectionNotSupported", "reProtect replicates the on-premises VM to Azure "
                        + "again after a failback (failoverDirection PrimaryToRecovery); '" + direction + "' is not supported");
            }
        }
    }

    /** ResumeJobParams: the comments are accepted (the SDK requires the body) and not kept. */
    public record ResumeJobParams(Properties properties) {
        public record Properties(@Size(max = 1024) String comments) {
        }
    }

    /**
     * EnableProtectionInput ({@code PUT} of an item). The on-premises VM is the protectable item: the last segment of
     * {@code protectableItemId}, or the HyperVReplicaAzure input's {@code vmName}.
     */
    public record EnableProtectionInput(@NotNull @Valid Properties properties) {
        public record Properties(String policyId, String protectableItemId, @Valid EnableProtectionProviderInput providerSpecificDetails) {
        }

        /** HyperVReplicaAzureEnableProtectionInput, the fields used. */
        public record EnableProtectionProviderInput(String instanceType, String vmName, String targetAzureVmName) {
        }

        /** The on-premises VM's name, or a 400 when the body names none. */
        public String vmName() {
            EnableProtectionProviderInput details = properties.providerSpecificDetails();
            String fromId = ArmPaths.lastSegment(properties.protectableItemId());
            String name = fromId != null && !fromId.isBlank() ? fromId : details == null ? null : details.vmName();
            if (name == null || name.isBlank()) {
                throw ProblemException.badRequest("ProtectableItemRequired",
                        "name the VM to protect in properties.protectableItemId (or providerSpecificDetails.vmName)");
            }
            return name;
        }

        public String targetAzureVmName() {
            EnableProtectionProviderInput details = properties.providerSpecificDetails();
            return details == null || details.targetAzureVmName() == null || details.targetAzureVmName().isBlank() ? null
                    : details.targetAzureVmName();
        }
    }

    /** CreateRecoveryPlanInput ({@code PUT} of a recovery plan); the fabric ids are accepted, there is one pair of sites. */
    public record CreateRecoveryPlanInput(@NotNull @Valid Properties properties) {
        public record Properties(String primaryFabricId, String recoveryFabricId, String failoverDeploymentModel,
                @NotEmpty List<@NotNull @Valid Group> groups) {
        }

        /** @param id the protected item's ARM id (its name is the last segment) */
        public record ProtectedItem(@NotNull String id, String virtualMachineId) {
        }

        public record Group(@NotNull RecoveryPlanGroup.GroupType groupType, List<@NotNull @Valid ProtectedItem> replicationProtectedItems,
                List<@NotNull @Valid RecoveryPlanAction> startGroupActions, List<@NotNull @Valid RecoveryPlanAction> endGroupActions) {
        }

        /** @param friendlyName ARM's input has none: the plan is named by its path */
        public RecoveryPlanRequest.Properties toService(String friendlyName) {
            List<RecoveryPlanGroup> groups = properties.groups().stream().map(group -> new RecoveryPlanGroup(group.groupType(),
                    group.replicationProtectedItems() == null ? null : group.replicationProtectedItems().stream()
                            .map(item -> new RecoveryPlanGroup.ItemReference(ArmPaths.lastSegment(item.id()))).toList(),
                    group.startGroupActions(), group.endGroupActions())).toList();
            return new RecoveryPlanRequest.Properties(friendlyName, groups);
        }
    }

    /** RecoveryPlanPlannedFailoverInput. */
    public record RecoveryPlanPlannedFailoverInput(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, List<FailoverProviderInput> providerSpecificDetails) {
        }

        public PlannedFailoverRequest.Properties toService() {
            return new PlannedFailoverRequest.Properties(properties.failoverDirection(), ours(properties.providerSpecificDetails()));
        }
    }

    /** RecoveryPlanUnplannedFailoverInput. */
    public record RecoveryPlanUnplannedFailoverInput(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, ItemOperationRequests.SourceSiteOperations sourceSiteOperations,
                List<FailoverProviderInput> providerSpecificDetails) {
        }

        public ItemOperationRequests.UnplannedFailover.Properties toService() {
            return new ItemOperationRequests.UnplannedFailover.Properties(properties.failoverDirection(), properties.sourceSiteOperations(),
                    ours(properties.providerSpecificDetails()));
        }
    }

    /** RecoveryPlanTestFailoverInput. */
    public record RecoveryPlanTestFailoverInput(@NotNull @Valid Properties properties) {
        public record Properties(@NotNull FailoverDirection failoverDirection, @Size(max = 64) String networkType,
                @Size(max = 1024) String networkId) {
        }

        public ItemOperationRequests.TestFailover.Properties toService() {
            return new ItemOperationRequests.TestFailover.Properties(properties.failoverDirection(), properties.networkType(), properties.networkId());
        }
    }
}
