package io.failback.azuresim.vm;

import io.failback.contracts.site.VmSnapshot;
import io.failback.contracts.site.WorkloadSettings;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Azure's side of the story: VMs, their power state and their disks. Disk blocks are served by the block API
 * ({@link io.failback.sitedisk.blockapi.BlockApi}) on the same paths below {@code /api/vms/{name}/disks}.
 * Methods block on file I/O, so they run on worker threads (Quarkus REST's default for non-reactive signatures).
 */
@Path("/api/vms")
public class AzureVmResource {
    private final VmStore store;

    public AzureVmResource(VmStore store) {
        this.store = store;
    }

    @GET
    @Operation(summary = "List the VMs in Azure")
    public List<AzureVm> list() {
        return store.list();
    }

    @POST
    @Operation(summary = "Create a running VM with generated disk content (as a failover to Azure leaves it)")
    public Response create(@Valid @NotNull CreateAzureVm request) {
        AzureVm vm = store.create(request);
        return Response.status(Response.Status.CREATED).header("Location", "/api/vms/" + vm.name()).entity(vm).build();
    }

    @GET
    @Path("/{name}")
    public AzureVm get(@PathParam("name") String name) {
        return store.get(name);
    }

    @POST
    @Path("/{name}/shutdown")
    @Operation(summary = "Shut the VM down and deallocate it; its disks stay")
    public AzureVm shutdown(@PathParam("name") String name) {
        return store.shutdown(name);
    }

    @POST
    @Path("/{name}/start")
    public AzureVm start(@PathParam("name") String name) {
        return store.start(name);
    }

    @PUT
    @Path("/{name}/workload")
    @Operation(summary = "Change what the VM writes while it runs (rate, write size, pattern, seed)")
    public AzureVm setWorkload(@PathParam("name") String name, @Valid @NotNull WorkloadSettings settings) {
        return store.setWorkload(name, settings);
    }

    @GET
    @Path("/{name}/metrics")
    @Operation(summary = "Disk activity: write rate, and blocks written since a failover created the VM from its replica")
    public VmMetrics metrics(@PathParam("name") String name) {
        return store.metrics(name);
    }

    @POST
    @Path("/{name}/snapshots")
    @Operation(summary = "Take a consistent snapshot of all the VM's disks while it keeps running")
    public Response snapshot(@PathParam("name") String name) {
        VmSnapshot snapshot = store.snapshot(name);
        return Response.status(Response.Status.CREATED).entity(snapshot).build();
    }

    @DELETE
    @Path("/{name}/snapshots/{snapshotId}")
    public Response deleteSnapshot(@PathParam("name") String name, @PathParam("snapshotId") String snapshotId) {
        store.deleteSnapshot(name, snapshotId);
        return Response.noContent().build();
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete the VM and its disks")
    public AzureVm delete(@PathParam("name") String name) {
        return store.delete(name);
    }
}
