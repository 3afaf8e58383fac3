package io.failback.hostagent;

import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.WorkloadSettings;
import io.failback.sitedisk.DiskFile;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
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
 * The Hyper-V host's management API. Disk blocks are served by the block API on the same paths below
 * {@code /api/vms/{name}/disks}. Methods block on file I/O and run on worker threads.
 */
@Path("/api")
public class HostVmResource {
    private final HostVmStore store;
    private final HostAgentConfig config;
    private final CertificateStore certificates;

    public HostVmResource(HostVmStore store, HostAgentConfig config, CertificateStore certificates) {
        this.store = store;
        this.config = config;
        this.certificates = certificates;
    }

    public record InstallCertificate(@NotBlank String certificateId, @NotBlank String keyBase64) {
    }

    @POST
    @Path("/host/certificates")
    @Operation(summary = "Install the cloud's data-encryption certificate (issued at provider installation)")
    public List<String> installCertificate(@Valid @NotNull InstallCertificate body) {
        return certificates.install(body.certificateId(), body.keyBase64());
    }

    @GET
    @Path("/host/certificates")
    @Operation(summary = "The ids of the certificates installed on this host")
    public List<String> certificates() {
        return certificates.ids();
    }

    public record HostInfo(String providerId, String name, List<String> virtualSwitches, String url) {
    }

    public record VerifyDisk(@NotBlank String algorithm, @NotBlank String digest) {
    }

    @GET
    @Path("/host")
    @Operation(summary = "Who this Hyper-V host is: provider id, name, virtual switches")
    public HostInfo host() {
        return new HostInfo(config.providerId(), config.name(), config.virtualSwitches(), config.advertisedUrl());
    }

    @GET
    @Path("/vms")
    public List<HostVm> list() {
        return store.list();
    }

    @GET
    @Path("/vms/{name}")
    public HostVm get(@PathParam("name") String name) {
        return store.get(name);
    }

    @PUT
    @Path("/vms/{name}")
    @Operation(summary = "Create the VM on the virtual switch of that name: with empty disks (the failback's "
            + "CreateVmIfNotFound), or with contentSeed as a VM that already lives here, its disks filled and consistent")
    public Response create(@PathParam("name") String name, @Valid @NotNull CreateVmBody body) {
        CreateOnPremisesVm request = new CreateOnPremisesVm(body.disks(), body.virtualSwitchName(), body.workload());
        HostVm vm = body.contentSeed() == null ? store.create(name, request)
                : store.createWithContent(name, request, body.contentSeed(), body.zeroPercent() == null ? 40 : body.zeroPercent());
        return Response.status(Response.Status.CREATED).entity(vm).build();
    }

    /**
     * The wire shape of {@link CreateOnPremisesVm}, with its validation.
     *
     * @param contentSeed when set, the disks are filled with content generated from it (extents of 1 MiB, zeroPercent
     *            of them holes) and the VM is an ordinary, bootable VM of this host
     * @param workload what the VM writes while it runs; absent: {@link WorkloadSettings#DEFAULT}
     */
    public record CreateVmBody(@NotEmpty List<io.failback.contracts.site.@NotNull DiskSpec> disks,
            @NotBlank String virtualSwitchName, Long contentSeed,
            @jakarta.validation.constraints.Min(0) @jakarta.validation.constraints.Max(100) Integer zeroPercent,
            @Valid WorkloadSettings workload) {
    }

    @POST
    @Path("/vms/{name}/start")
    @Operation(summary = "Start the VM; refused while any of its disks is inconsistent")
    public HostVm start(@PathParam("name") String name) {
        return store.start(name);
    }

    @POST
    @Path("/vms/{name}/stop")
    public HostVm stop(@PathParam("name") String name) {
        return store.stop(name);
    }

    @PUT
    @Path("/vms/{name}/workload")
    @Operation(summary = "Change what the VM writes while it runs (rate, write size, pattern, seed)")
    public HostVm setWorkload(@PathParam("name") String name, @Valid @NotNull WorkloadSettings settings) {
        return store.setWorkload(name, settings);
    }

    @POST
    @Path("/vms/{name}/snapshots")
    @Operation(summary = "Take a consistent snapshot of all the VM's disks while it keeps running")
    public Response snapshot(@PathParam("name") String name) {
        return Response.status(Response.Status.CREATED).entity(store.snapshot(name)).build();
    }

    @DELETE
    @Path("/vms/{name}/snapshots/{snapshotId}")
    public Response deleteSnapshot(@PathParam("name") String name, @PathParam("snapshotId") String snapshotId) {
        store.deleteSnapshot(name, snapshotId);
        return Response.noContent().build();
    }

    @DELETE
    @Path("/vms/{name}")
    @Operation(summary = "Delete the VM and its disks")
    public HostVm delete(@PathParam("name") String name) {
        return store.delete(name);
    }

    @POST
    @Path("/vms/{name}/disks/{diskId}/verify")
    @Operation(summary = "Compare the disk's digest with the source's; on a match the disk becomes consistent")
    public HostVm.VerifiedDisk verify(@PathParam("name") String name, @PathParam("diskId") String diskId,
            @Valid @NotNull VerifyDisk body) {
        if (!DiskFile.DIGEST_ALGORITHM.equals(body.algorithm())) {
            throw io.failback.contracts.site.ProblemException.badRequest("UnsupportedDigest", "only " + DiskFile.DIGEST_ALGORITHM
                    + " digests are compared");
        }
        return store.verify(name, diskId, body.digest());
    }
}
