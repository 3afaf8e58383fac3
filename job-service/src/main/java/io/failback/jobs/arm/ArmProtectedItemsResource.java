package io.failback.jobs.arm;

import io.failback.contracts.messaging.OperationRequest.Operation;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmViews.ArmPage;
import io.failback.jobs.arm.ArmViews.ArmResource;
import io.failback.jobs.arm.ArmViews.ItemProperties;
import io.failback.jobs.domain.ActiveLocation;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.security.Roles;
import io.failback.jobs.service.FailoverService;
import io.failback.jobs.service.RegisterItemRequest;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * Replication protected items under ARM's path {@code P/replicationFabrics/{f}/replicationProtectionContainers/{c}/
 * replicationProtectedItems}: reads, enable protection (PUT), and every item operation, each a long-running operation
 * (202 with Azure-AsyncOperation, Location and Retry-After) that runs through the same service path as {@code /api}.
 * Items live in the on-premises site's container; Azure's container has none.
 */
@RolesAllowed(Roles.READER)
@Path(ArmPaths.CONTAINER_ITEMS)
public class ArmProtectedItemsResource {
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    private final ArmConfig config;
    private final ArmOperations operations;
    private final OnPremisesVmLocator vms;

    public ArmProtectedItemsResource(ArmConfig config, ArmOperations operations, OnPremisesVmLocator vms) {
        this.config = config;
        this.operations = operations;
        this.vms = vms;
    }

    /** Items of the container, in name order, a page at a time. */
    @GET
    @WithSession
    public Uni<ArmPage<ArmResource<ItemProperties>>> list(@BeanParam VaultScope vault, @PathParam("fabricName") String fabric,
            @PathParam("protectionContainerName") String container) {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(ArmFabricsResource.container(fabric, container))) {
            return Uni.createFrom().item(new ArmPage<>(List.of(), null));
        }
        return ArmVaultResource.itemPage(vault, config.pageSize());
    }

    @GET
    @Path("/{replicatedProtectedItemName}")
    @WithSession
    public Uni<ArmResource<ItemProperties>> get(@BeanParam VaultScope vault, @PathParam("fabricName") String fabric,
            @PathParam("protectionContainerName") String container, @PathParam("replicatedProtectedItemName") String name) {
        onPremises(fabric, container, name);
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(name)
                .onItem().ifNull().failWith(() -> FailoverService.itemNotFound(name))
                .map(item -> ArmViews.item(vault, item));
    }

    /**
     * Enable protection (EnableProtectionInput) of an on-premises VM: the protectable item names the VM; the host that
     * has it and its virtual switch are found by asking the connected hosts (404 none has it, 409 several do). Then the
     * EnableProtection job replicates it to Azure; at the end the SDK reads the item at this URL.
     */
    @PUT
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{replicatedProtectedItemName}")
    public Uni<Response> enableProtection(@BeanParam VaultScope vault, @PathParam("fabricName") String fabric,
            @PathParam("protectionContainerName") String container,
            @PathParam("replicatedProtectedItemName") @Pattern(regexp = NAME, message = "must be 1-64 letters, digits, '.', '_' or '-'") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId, @Valid @NotNull ArmInputs.EnableProtectionInput input) {
        onPremises(fabric, container, name);
        String vmName = input.vmName();
        String operationId = operations.operationId(clientRequestId);
        return operations.replay(vault, operationId, Operation.EnableProtection, name).chain(done -> done != null
                ? Uni.createFrom().item(done) : vms.locate(vmName).chain(found -> {
            if (found.vm().virtualSwitchName() == null || found.vm().virtualSwitchName().isBlank()) {
                return Uni.createFrom().failure(new ProblemException(422, "VmNotConnectedToSwitch", "VM '" + vmName + "' on host '"
                        + found.providerId() + "' is not connected to a virtual switch; failback recreates VMs on the switch they had"));
            }
            RegisterItemRequest.Properties properties = new RegisterItemRequest.Properties(vmName, ActiveLocation.Primary,
                    found.providerId(), vmName, found.vm().virtualSwitchName(), input.targetAzureVmName());
            return operations.start(vault, operationId, Operation.EnableProtection, name, properties);
        }));
    }

    /** ARM's purge: here it disables protection, as {@code remove} does (the replica in Azure goes, then the item). */
    @DELETE
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{replicatedProtectedItemName}")
    public Uni<Response> purge(@BeanParam ItemCall call) {
        return call.start(operations, Operation.DisableProtection, null);
    }

    @POST
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{replicatedProtectedItemName}/remove")
    public Uni<Response> remove(@BeanParam ItemCall call, @Valid ArmInputs.DisableProtectionInput input) {
        return call.start(operations, Operation.DisableProtection, input == null ? null : input.toService());
    }

    /** With failoverDirection RecoveryToPrimary and HyperVReplicaAzureFailback details, the failback. */
    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/plannedFailover")
    public Uni<Response> plannedFailover(@BeanParam ItemCall call, @Valid @NotNull ArmInputs.PlannedFailoverInput input) {
        return call.start(operations, Operation.PlannedFailover, input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/unplannedFailover")
    public Uni<Response> unplannedFailover(@BeanParam ItemCall call, @Valid @NotNull ArmInputs.UnplannedFailoverInput input) {
        return call.start(operations, Operation.UnplannedFailover, input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/testFailover")
    public Uni<Response> testFailover(@BeanParam ItemCall call, @Valid @NotNull ArmInputs.TestFailoverInput input) {
        return call.start(operations, Operation.TestFailover, input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/testFailoverCleanup")
    public Uni<Response> testFailoverCleanup(@BeanParam ItemCall call, @Valid ArmInputs.TestFailoverCleanupInput input) {
        return call.start(operations, Operation.TestFailoverCleanup, input == null ? null : input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/failoverCommit")
    public Uni<Response> failoverCommit(@BeanParam ItemCall call) {
        return call.start(operations, Operation.FailoverCommit, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/failoverCancel")
    public Uni<Response> failoverCancel(@BeanParam ItemCall call) {
        return call.start(operations, Operation.FailoverCancel, null);
    }

    /** "Reverse Replicate" (ARM spells it reProtect). */
    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/reProtect")
    public Uni<Response> reProtect(@BeanParam ItemCall call, @Valid ArmInputs.ReverseReplicationInput input) {
        if (input != null) {
            input.check();
        }
        return call.start(operations, Operation.Reprotect, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{replicatedProtectedItemName}/repairReplication")
    public Uni<Response> repairReplication(@BeanParam ItemCall call) {
        return call.start(operations, Operation.RepairReplication, null);
    }

    /** Items live in the on-premises container: under Azure's there is no item of that name. */
    private static void onPremises(String fabric, String container, String name) {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(ArmFabricsResource.container(fabric, container))) {
            throw FailoverService.itemNotFound(name);
        }
    }
}
