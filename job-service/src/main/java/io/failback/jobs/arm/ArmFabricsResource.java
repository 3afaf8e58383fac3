package io.failback.jobs.arm;

import io.failback.jobs.repository.ItemQueries;
import io.failback.jobs.repository.ProviderQueries;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmViews.ArmPage;
import io.failback.jobs.arm.ArmViews.ArmResource;
import io.failback.jobs.arm.ArmViews.ContainerProperties;
import io.failback.jobs.arm.ArmViews.FabricProperties;
import io.failback.jobs.arm.ArmViews.ProtectableItemProperties;
import io.failback.jobs.arm.ArmViews.ProviderProperties;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.security.Roles;
import io.failback.jobs.service.JobServiceConfig;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BeanParam;
import io.failback.jobs.hosts.HostRegistrations;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.time.Instant;
import java.util.List;

/**
 * The two sites as ARM fabrics, read-only: {@code hyperv-site} (its Hyper-V hosts are its recovery services
 * providers; its one protection container holds every protected item and, as protectable items, the VMs of its
 * connected hosts) and {@code azure}. Fabric and container names match whatever their case, as ARM names do. A
 * provider can be removed (Site Recovery's {@code remove} and {@code DELETE}, "purge"): the host is unregistered.
 */
@RolesAllowed(Roles.READER)
@Path(ArmPaths.VAULT + "/" + ArmPaths.FABRICS)
public class ArmFabricsResource {
    private final JobServiceConfig config;
    private final OnPremisesVmLocator vms;
    private final HostRegistrations registrations;

    public ArmFabricsResource(JobServiceConfig config, OnPremisesVmLocator vms, HostRegistrations registrations) {
        this.config = config;
        this.vms = vms;
        this.registrations = registrations;
    }

    @GET
    @WithSession
    public Uni<ArmPage<ArmResource<FabricProperties>>> list(@BeanParam VaultScope vault) {
        return onPremisesHealth().map(health -> new ArmPage<>(List.of(ArmViews.fabric(vault, ArmPaths.ON_PREMISES_FABRIC, health),
                ArmViews.fabric(vault, ArmPaths.AZURE_FABRIC, "Normal")), null));
    }

    @GET
    @Path("/{fabricName}")
    @WithSession
    public Uni<ArmResource<FabricProperties>> get(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName) {
        String fabric = fabric(fabricName);
        return ArmPaths.AZURE_FABRIC.equals(fabric) ? Uni.createFrom().item(ArmViews.fabric(vault, fabric, "Normal"))
                : onPremisesHealth().map(health -> ArmViews.fabric(vault, fabric, health));
    }

    @GET
    @Path("/{fabricName}/" + ArmPaths.CONTAINERS)
    @WithSession
    public Uni<ArmPage<ArmResource<ContainerProperties>>> containers(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName) {
        String fabric = fabric(fabricName);
        return ItemQueries.counts().map(counts -> new ArmPage<>(List.of(ArmViews.container(vault, fabric, counts.total())), null));
    }

    @GET
    @Path("/{fabricName}/" + ArmPaths.CONTAINERS + "/{protectionContainerName}")
    @WithSession
    public Uni<ArmResource<ContainerProperties>> container(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName,
            @PathParam("protectionContainerName") String containerName) {
        String fabric = container(fabricName, containerName);
        return ItemQueries.counts().map(counts -> ArmViews.container(vault, fabric, counts.total()));
    }

    @GET
    @Path("/{fabricName}/" + ArmPaths.PROVIDERS)
    @WithSession
    public Uni<ArmPage<ArmResource<ProviderProperties>>> providers(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName) {
        return ArmPaths.AZURE_FABRIC.equals(fabric(fabricName)) ? Uni.createFrom().item(new ArmPage<>(List.of(), null))
                : ArmVaultResource.providerPage(vault, config);
    }

    @GET
    @Path("/{fabricName}/" + ArmPaths.PROVIDERS + "/{providerName}")
    @WithSession
    public Uni<ArmResource<ProviderProperties>> provider(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName,
            @PathParam("providerName") String providerName) {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(fabric(fabricName))) {
            throw providerNotFound(providerName);
        }
        return FabricProvider.<FabricProvider>findById(providerName)
                .onItem().ifNull().failWith(() -> providerNotFound(providerName))
                .chain(provider -> ItemQueries.countsByHost().map(counts -> ArmViews.provider(vault, provider,
                        provider.isConnected(Instant.now(), config.providerHeartbeatTimeout()),
                        counts.getOrDefault(provider.providerId, 0L).intValue())));
    }

    /**
     * Purge: the host is unregistered at once, as {@code DELETE /api/replicationRecoveryServicesProviders/{id}} does.
     * 204 without a polling header, which the SDK's poller takes as done.
     */
    @DELETE
    @Path("/{fabricName}/" + ArmPaths.PROVIDERS + "/{providerName}")
    @RolesAllowed(Roles.CONTRIBUTOR)
    public Uni<Response> purgeProvider(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName,
            @PathParam("providerName") String providerName) {
        return removeProvider(fabricName, providerName);
    }

    /** Remove: here the same as purge (no agent to uninstall on the host). */
    @POST
    @Path("/{fabricName}/" + ArmPaths.PROVIDERS + "/{providerName}/remove")
    @RolesAllowed(Roles.CONTRIBUTOR)
    public Uni<Response> removeProvider(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName,
            @PathParam("providerName") String providerName) {
        return removeProvider(fabricName, providerName);
    }

    private Uni<Response> removeProvider(String fabricName, String providerName) {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(fabric(fabricName))) {
            throw providerNotFound(providerName);
        }
        return registrations.remove(providerName)
                .onFailure(ProblemException.class).transform(e -> ((ProblemException) e).status() == 404 ? providerNotFound(providerName) : e)
                .replaceWith(Response.noContent().build());
    }

    /** The VMs of the connected on-premises hosts, each saying whether it is protected; none in Azure's container. */
    @GET
    @Path("/{fabricName}/" + ArmPaths.CONTAINERS + "/{protectionContainerName}/" + ArmPaths.PROTECTABLE_ITEMS)
    public Uni<ArmPage<ArmResource<ProtectableItemProperties>>> protectableItems(@BeanParam VaultScope vault,
            @PathParam("fabricName") String fabricName, @PathParam("protectionContainerName") String containerName) {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(container(fabricName, containerName))) {
            return Uni.createFrom().item(new ArmPage<>(List.of(), null));
        }
        return vms.listAll().chain(found -> Panache.withSession(ItemQueries::namesByHostVm).map(items -> new ArmPage<>(found.stream()
                .map(vm -> ArmViews.protectableItem(vault, vm, items.get(vm.providerId() + "/" + vm.vm().name()))).toList(), null)));
    }

    @GET
    @Path("/{fabricName}/" + ArmPaths.CONTAINERS + "/{protectionContainerName}/" + ArmPaths.PROTECTABLE_ITEMS + "/{protectableItemName}")
    public Uni<ArmResource<ProtectableItemProperties>> protectableItem(@BeanParam VaultScope vault, @PathParam("fabricName") String fabricName,
            @PathParam("protectionContainerName") String containerName, @PathParam("protectableItemName") String name) {
        if (!ArmPaths.ON_PREMISES_FABRIC.equals(container(fabricName, containerName))) {
            throw ProblemException.notFound("ProtectableItemNotFound", "Azure's container has no protectable items");
        }
        return vms.locate(name).chain(vm -> Panache.withSession(ItemQueries::namesByHostVm).map(items -> ArmViews.protectableItem(vault, vm,
                items.get(vm.providerId() + "/" + vm.vm().name()))));
    }


    private Uni<String> onPremisesHealth() {
        Instant now = Instant.now();
        return ProviderQueries.inIdOrder().map(providers -> providers.isEmpty()
                || providers.stream().anyMatch(p -> !p.isConnected(now, config.providerHeartbeatTimeout())) ? "Warning" : "Normal");
    }

    /** The fabric's canonical name, or 404 {@code FabricNotFound}. */
    static String fabric(String name) {
        if (ArmPaths.ON_PREMISES_FABRIC.equalsIgnoreCase(name)) {
            return ArmPaths.ON_PREMISES_FABRIC;
        }
        if (ArmPaths.AZURE_FABRIC.equalsIgnoreCase(name)) {
            return ArmPaths.AZURE_FABRIC;
        }
        throw ProblemException.notFound("FabricNotFound", "no fabric '" + name + "'; the fabrics are '" + ArmPaths.ON_PREMISES_FABRIC
                + "' and '" + ArmPaths.AZURE_FABRIC + "'");
    }

    /** The canonical name of the fabric holding this container, or 404 {@code ProtectionContainerNotFound}. */
    static String container(String fabricName, String containerName) {
        String fabric = fabric(fabricName);
        String expected = ArmPaths.ON_PREMISES_FABRIC.equals(fabric) ? ArmPaths.ON_PREMISES_CONTAINER : ArmPaths.AZURE_CONTAINER;
        if (!expected.equalsIgnoreCase(containerName)) {
            throw ProblemException.notFound("ProtectionContainerNotFound", "fabric '" + fabric + "' has no protection container '"
                    + containerName + "'; it has '" + expected + "'");
        }
        return fabric;
    }

    private static ProblemException providerNotFound(String name) {
        return ProblemException.notFound("ProviderNotFound", "no Hyper-V host '" + name + "' has registered");
    }
}
