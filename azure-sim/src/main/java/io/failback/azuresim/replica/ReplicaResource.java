package io.failback.azuresim.replica;

import io.failback.azuresim.AzureSimConfig;
import io.failback.azuresim.CloudEncryption;
import io.failback.azuresim.vm.AzureVm;
import io.failback.azuresim.vm.CreateAzureVm;
import io.failback.azuresim.vm.VmStore;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.WorkloadSettings;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Replica storage, and the cloud's data-encryption setting. Replicated blocks go in through the block API under
 * {@code /api/replicas/{item}/disks/{disk}/blocks}.
 */
@Path("/api")
public class ReplicaResource {
    private final ReplicaStore replicas;
    private final VmStore vms;
    private final CloudEncryption encryption;
    private final AzureSimConfig config;

    public ReplicaResource(ReplicaStore replicas, VmStore vms, CloudEncryption encryption, AzureSimConfig config) {
        this.replicas = replicas;
        this.vms = vms;
        this.encryption = encryption;
        this.config = config;
    }

    public record CreateReplica(@NotEmpty List<@Valid @NotNull Disk> disks) {
        public record Disk(@NotNull @Pattern(regexp = CreateAzureVm.NAME_PATTERN) String diskId, @Min(1048576) long sizeBytes) {
        }
    }

    public record RecordRecoveryPoint(@NotNull Instant consistentAt, Map<String, Long> sourceTrackingPoints) {
    }

    public record RetainVmDisks(@NotNull @Pattern(regexp = CreateAzureVm.NAME_PATTERN) String vmName,
            @NotEmpty Map<String, @NotNull Long> sourceTrackingPoints) {
    }

    /**
     * @param test a test failover: the VM starts from the recovery point, but the item does not fail over and
     *            replication goes on into the replica (default false)
     */
    public record FailoverToAzure(@NotNull @Pattern(regexp = CreateAzureVm.NAME_PATTERN) String vmName, @Valid WorkloadSettings workload,
            Boolean test) {
    }

    @GET
    @Path("/replicas")
    public List<Replica> list() {
        return replicas.list();
    }

    @GET
    @Path("/replicas/{item}")
    public Replica get(@PathParam("item") String item) {
        return replicas.get(item);
    }

    @PUT
    @Path("/replicas/{item}")
    @Operation(summary = "Create replica storage for a protected VM's disks (sealed under the cloud key when encryption is on)")
    public Response create(@PathParam("item") @Pattern(regexp = CreateAzureVm.NAME_PATTERN) String item,
            @Valid @NotNull CreateReplica request) {
        List<DiskSpec> disks = request.disks().stream().map(d -> {
            if (d.sizeBytes() % config.blockSize() != 0) {
                throw ProblemException.badRequest("InvalidDiskSize", "disk '" + d.diskId() + "' must be whole "
                        + config.blockSize() + "-byte blocks");
            }
            AzureSimConfig.requireWithinMaximum(config, d.diskId(), d.sizeBytes());
            return new DiskSpec(d.diskId(), d.sizeBytes(), config.blockSize());
        }).toList();
        return Response.status(Response.Status.CREATED).entity(replicas.create(item, disks)).build();
    }

    @POST
    @Path("/replicas/{item}/recoveryPoints")
    @Operation(summary = "Record that the replica now holds the source as it was at consistentAt")
    public Replica recordRecoveryPoint(@PathParam("item") String item, @Valid @NotNull RecordRecoveryPoint request) {
        return replicas.recordRecoveryPoint(item, new Replica.RecoveryPoint(request.consistentAt(),
                request.sourceTrackingPoints() == null ? Map.of() : request.sourceTrackingPoints()));
    }

    @POST
    @Path("/replicas/{item}/failover")
    @Operation(summary = "Failover to Azure (or with test=true a test failover): start a VM whose disks are a copy of the "
            + "replica at exactly its latest recovery point")
    public Response failover(@PathParam("item") String item, @Valid @NotNull FailoverToAzure request) {
        AzureVm vm = replicas.failover(item, request.vmName(), request.workload(), Boolean.TRUE.equals(request.test()));
        return Response.status(Response.Status.CREATED).entity(vm).build();
    }

    @POST
    @Path("/replicas/{item}/retain")
    @Operation(summary = "Commit after failback: keep the stopped Azure VM's final disk content as the item's replica storage")
    public Replica retain(@PathParam("item") @Pattern(regexp = CreateAzureVm.NAME_PATTERN) String item,
            @Valid @NotNull RetainVmDisks request) {
        AzureVm vm = vms.get(request.vmName());
        Map<String, io.failback.sitedisk.VirtualDisk> disks = new LinkedHashMap<>();
        vm.disks().forEach(d -> disks.put(d.diskId(), vms.disk(vm.name(), d.diskId())));
        return replicas.retain(item, vm, disks, request.sourceTrackingPoints());
    }

    @DELETE
    @Path("/replicas/{item}")
    @Operation(summary = "Delete the item's replica storage and its disks")
    public Response delete(@PathParam("item") String item) {
        replicas.delete(item);
        return Response.noContent().build();
    }

    @GET
    @Path("/encryption")
    public CloudEncryption.Setting encryption() {
        return encryption.setting();
    }

    @POST
    @Path("/encryption/enable")
    @Operation(summary = "Enable data encryption for the cloud; issues the key and its certificate the first time")
    public CloudEncryption.Setting enableEncryption() {
        return encryption.enable();
    }

    @GET
    @Path("/encryption/certificate")
    @Operation(summary = "The certificate issued at provider installation (id and key), to install on the on-premises hosts")
    public CloudEncryption.Certificate certificate() {
        return encryption.certificate();
    }
}
