package io.failback.jobs.arm;

import io.failback.contracts.messaging.OperationRequest.Operation;
import io.failback.jobs.service.FailoverService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

/**
 * What every call on one replication protected item names: the vault, the fabric and container the item is
 * addressed under, the item, and the client's request id (the operation's id). Items live in the on-premises site's
 * container; under Azure's there is no item of any name.
 */
public class ItemCall {
    @BeanParam
    VaultScope vault;
    @PathParam("fabricName")
    String fabric;
    @PathParam("protectionContainerName")
    String container;
    @PathParam("replicatedProtectedItemName")
    String name;
    @HeaderParam(ArmOperations.CLIENT_REQUEST_ID)
    String clientRequestId;

    /** The item's name, once the fabric and container it was addressed under are known to hold items. */
    String item() {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(ArmFabricsResource.container(fabric, container))) {
            throw FailoverService.itemNotFound(name);
        }
        return name;
    }

    /** Starts the operation on this item as a long-running operation. */
    Uni<Response> start(ArmOperations operations, Operation operation, Object properties) {
        return operations.start(vault, clientRequestId, operation, item(), properties);
    }
}
