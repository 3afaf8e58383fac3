package io.failback.jobs.rest;

import io.failback.jobs.repository.ProviderQueries;
import io.failback.jobs.view.Views;
import io.failback.jobs.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.view.Views.ProviderProperties;
import io.failback.jobs.view.Views.Resource;
import io.failback.jobs.service.JobServiceConfig;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.time.Instant;

/** The on-premises Hyper-V hosts, with whether each is connected (heard from within the heartbeat timeout). */
@RolesAllowed(Roles.READER)
@Path("/api/replicationRecoveryServicesProviders")
public class RecoveryServicesProvidersResource {
    private final JobServiceConfig config;

    public RecoveryServicesProvidersResource(JobServiceConfig config) {
        this.config = config;
    }

    @GET
    @WithSession
    public Uni<Views.Page<Resource<ProviderProperties>>> list() {
        Instant now = Instant.now();
        return ProviderQueries.inIdOrder().map(providers -> new Views.Page<>(
                providers.stream().map(p -> Views.provider(p, now, config.providerHeartbeatTimeout())).toList(), null));
    }

    @GET
    @Path("/{providerId}")
    @WithSession
    public Uni<Resource<ProviderProperties>> get(@PathParam("providerId") String providerId) {
        return FabricProvider.<FabricProvider>findById(providerId)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("ProviderNotFound", "no Hyper-V host '" + providerId + "' has registered"))
                .map(p -> Views.provider(p, Instant.now(), config.providerHeartbeatTimeout()));
    }
}
