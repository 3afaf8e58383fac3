package io.failback.jobs.arm;

import io.failback.jobs.repository.ProviderQueries;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.SiteVm;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.service.JobServiceConfig;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.failback.jobs.service.SiteWebClients;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Finds on-premises VMs on the connected Hyper-V hosts. ARM's enable-protection input names only the protectable
 * item (the VM), while our items need the host (provider) and the VM's virtual switch: each connected host-agent is
 * asked, without blocking, whether it has the VM ({@code GET /api/vms/{name}}, 404 when not). A host that does not
 * answer is counted as not having it: protection cannot start on a host we cannot reach anyway.
 */
@ApplicationScoped
public class OnPremisesVmLocator {
    private static final Logger LOG = Logger.getLogger(OnPremisesVmLocator.class);
    private static final Duration HOST_TIMEOUT = Duration.ofSeconds(5);

    /** A VM and the host (provider id) it is on. */
    public record HostVm(String providerId, SiteVm vm) {
    }

    private final SiteWebClients sites;
    private final JobServiceConfig config;
    private final ObjectMapper json;

    public OnPremisesVmLocator(SiteWebClients sites, JobServiceConfig config, ObjectMapper json) {
        this.sites = sites;
        this.config = config;
        this.json = json;
    }

    /** The one connected host that has the VM: 404 {@code ProtectableItemNotFound} when none, 409 when several do. */
    public Uni<HostVm> locate(String vmName) {
        return connectedHosts().chain(hosts -> hosts.isEmpty() ? Uni.createFrom().item(List.<Optional<HostVm>>of())
                : Uni.join().all(hosts.stream().map(host -> find(host, vmName)).toList()).andFailFast())
                .map(found -> {
                    List<HostVm> having = found.stream().flatMap(Optional::stream).toList();
                    if (having.isEmpty()) {
                        throw ProblemException.notFound("ProtectableItemNotFound", "no connected Hyper-V host has a VM named '" + vmName
                                + "'; the VM must exist on a host whose host-agent is connected");
                    }
                    if (having.size() > 1) {
                        throw ProblemException.conflict("ProtectableItemAmbiguous", "several connected Hyper-V hosts have a VM named '"
                                + vmName + "': " + having.stream().map(HostVm::providerId).toList() + "; rename one of them");
                    }
                    return having.get(0);
                });
    }

    /** Every VM of every connected host, in host order. */
    public Uni<List<HostVm>> listAll() {
        return connectedHosts().chain(hosts -> hosts.isEmpty() ? Uni.createFrom().item(List.<List<HostVm>>of())
                : Uni.join().all(hosts.stream().map(this::list).toList()).andFailFast())
                .map(lists -> lists.stream().flatMap(List::stream).toList());
    }

    private Uni<List<FabricProvider>> connectedHosts() {
        Instant now = Instant.now();
        return Panache.withSession(() -> ProviderQueries.inIdOrder())
                .map(providers -> providers.stream()
                        .filter(provider -> provider.baseUrl != null && provider.isConnected(now, config.providerHeartbeatTimeout())).toList());
    }

    private Uni<Optional<HostVm>> find(FabricProvider host, String vmName) {
        return sites.host(host.providerId).getAbs(sites.siteUrl(host.baseUrl) + "/api/vms/" + java.net.URLEncoder.encode(vmName, java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20")).timeout(HOST_TIMEOUT.toMillis()).send()
                .map(response -> {
                    if (response.statusCode() != 200) {
                        return Optional.<HostVm>empty();
                    }
                    try {
                        return Optional.of(new HostVm(host.providerId, json.readValue(response.bodyAsString(), SiteVm.class)));
                    } catch (java.io.IOException e) {
                        LOG.warnf("host %s answered an unreadable VM: %s", host.providerId, e.getMessage());
                        return Optional.<HostVm>empty();
                    }
                })
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("host %s did not answer whether it has VM %s: %s", host.providerId, vmName, failure.getMessage());
                    return Optional.empty();
                });
    }

    private Uni<List<HostVm>> list(FabricProvider host) {
        return sites.host(host.providerId).getAbs(sites.siteUrl(host.baseUrl) + "/api/vms").timeout(HOST_TIMEOUT.toMillis()).send()
                .map(response -> {
                    if (response.statusCode() != 200) {
                        return List.<HostVm>of();
                    }
                    try {
                        List<SiteVm> vms = json.readValue(response.bodyAsString(), new TypeReference<List<SiteVm>>() {
                        });
                        return vms.stream().map(vm -> new HostVm(host.providerId, vm)).toList();
                    } catch (java.io.IOException e) {
                        LOG.warnf("host %s answered an unreadable VM list: %s", host.providerId, e.getMessage());
                        return List.<HostVm>of();
                    }
                })
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("host %s did not list its VMs: %s", host.providerId, failure.getMessage());
                    return List.of();
                });
    }
}
