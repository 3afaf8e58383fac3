package io.failback.jobs.rest;

import io.failback.jobs.repository.ItemQueries;
import io.failback.jobs.repository.ProviderQueries;
import io.failback.jobs.view.Views;
import io.failback.jobs.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.view.Views.ItemProperties;
import io.failback.jobs.view.Views.ProviderProperties;
import io.failback.jobs.view.Views.Resource;
import io.failback.jobs.service.JobServiceConfig;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The two sites as Site Recovery models them: fabrics, each with one protection container, paired. The on-premises
 * Hyper-V site's hosts are its providers (the host-agents that have registered); Azure is the recovery site. Every
 * protected item belongs to the on-premises site's container, wherever it runs now ({@code activeLocation} says).
 * Read-only: the sites exist because their services run.
 */
@RolesAllowed(Roles.READER)
@Path("/api/replicationFabrics")
public class FabricsResource {
    static final String ON_PREMISES = "hyperv-site";
    static final String AZURE = "azure";
    private static final String CONTAINERS = "replicationProtectionContainers";

    public record FabricProperties(String friendlyName, String fabricType, String health, List<Resource<ProviderProperties>> providers,
            List<String> protectionContainers) {
    }

    /**
     * @param role Primary for the site protected VMs come from, Recovery for Azure
     * @param protectedItemCount the items this container holds, and of them how many run at the recovery site now
     */
    public record ContainerProperties(String friendlyName, String fabricFriendlyName, String fabricType, String role,
            String pairingStatus, String pairedProtectionContainerId, long protectedItemCount, long itemsActiveAtRecovery) {
    }

    private final JobServiceConfig config;

    public FabricsResource(JobServiceConfig config) {
        this.config = config;
    }

    @GET
    @WithSession
    public Uni<Views.Page<Resource<FabricProperties>>> list() {
        return ProviderQueries.inIdOrder()
                .map(providers -> new Views.Page<>(List.of(onPremises(providers), azure()), null));
    }

    @GET
    @Path("/{fabric}")
    @WithSession
    public Uni<Resource<FabricProperties>> get(@PathParam("fabric") String fabric) {
        known(fabric);
        return AZURE.equals(fabric) ? Uni.createFrom().item(azure())
                : ProviderQueries.inIdOrder().map(this::onPremises);
    }

    @GET
    @Path("/{fabric}/" + CONTAINERS)
    @WithSession
    public Uni<Views.Page<Resource<ContainerProperties>>> containers(@PathParam("fabric") String fabric) {
        return container(fabric, containerOf(fabric)).map(container -> new Views.Page<>(List.of(container), null));
    }

    @GET
    @Path("/{fabric}/" + CONTAINERS + "/{container}")
    @WithSession
    public Uni<Resource<ContainerProperties>> container(@PathParam("fabric") String fabric, @PathParam("container") String container) {
        known(fabric);
        if (!containerOf(fabric).equals(container)) {
            throw ProblemException.notFound("ProtectionContainerNotFound", "fabric '" + fabric + "' has no protection container '"
                    + container + "'; it has '" + containerOf(fabric) + "'");
        }
        return ItemQueries.counts().map(counts -> {
                    boolean primary = ON_PREMISES.equals(fabric);
                    String paired = "/replicationFabrics/" + (primary ? AZURE : ON_PREMISES) + "/" + CONTAINERS + "/"
                            + containerOf(primary ? AZURE : ON_PREMISES);
                    return new Resource<>("/replicationFabrics/" + fabric + "/" + CONTAINERS + "/" + container, container, CONTAINERS,
                            new ContainerProperties(primary ? "Hyper-V site protection group" : "Azure recovery", friendlyName(fabric),
                                    fabricType(fabric), primary ? "Primary" : "Recovery", "Paired", paired, primary ? counts.total() : 0, counts.atRecovery()));
                });
    }

    @GET
    @Path("/{fabric}/" + CONTAINERS + "/{container}/replicationProtectedItems")
    @Operation(summary = "The protected items of a protection container: all of them for the on-premises site's, none for Azure's")
    @WithSession
    public Uni<Views.Page<Resource<ItemProperties>>> items(@PathParam("fabric") String fabric, @PathParam("container") String container) {
        return container(fabric, container).chain(found -> ON_PREMISES.equals(fabric)
                ? ItemQueries.all()
                        .map(items -> new Views.Page<>(items.stream().map(Views::item).toList(), null))
                : Uni.createFrom().item(new Views.Page<>(List.<Resource<ItemProperties>>of(), null)));
    }

    private Resource<FabricProperties> onPremises(List<FabricProvider> providers) {
        Instant now = Instant.now();
        List<Resource<ProviderProperties>> hosts = providers.stream().map(p -> Views.provider(p, now, config.providerHeartbeatTimeout())).toList();
        boolean allConnected = hosts.stream().allMatch(host -> "Connected".equals(host.properties().connectionStatus()));
        return new Resource<>("/replicationFabrics/" + ON_PREMISES, ON_PREMISES, "replicationFabrics", new FabricProperties(
                friendlyName(ON_PREMISES), fabricType(ON_PREMISES), hosts.isEmpty() || !allConnected ? "Warning" : "Normal", hosts,
                List.of(containerOf(ON_PREMISES))));
    }

    private static Resource<FabricProperties> azure() {
        return new Resource<>("/replicationFabrics/" + AZURE, AZURE, "replicationFabrics",
                new FabricProperties(friendlyName(AZURE), fabricType(AZURE), "Normal", List.of(), List.of(containerOf(AZURE))));
    }

    private static void known(String fabric) {
        if (!ON_PREMISES.equals(fabric) && !AZURE.equals(fabric)) {
            throw ProblemException.notFound("FabricNotFound", "no fabric '" + fabric + "'; the fabrics are '" + ON_PREMISES + "' and '"
                    + AZURE + "'");
        }
    }

    private static String containerOf(String fabric) {
        known(fabric);
        return fabric + "-container";
    }

    private static String friendlyName(String fabric) {
        return ON_PREMISES.equals(fabric) ? "On-premises Hyper-V site" : "Microsoft Azure";
    }

    private static String fabricType(String fabric) {
        return ON_PREMISES.equals(fabric) ? "HyperVSite" : "Azure";
    }
}
