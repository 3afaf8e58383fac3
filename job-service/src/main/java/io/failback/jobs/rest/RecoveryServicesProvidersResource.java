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
import io.failback.contracts.hosts.HostRegistration;
import io.failback.jobs.hosts.HostRegistrations;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.time.Instant;

/**
 * The on-premises Hyper-V hosts, with whether each is connected (heard from within the heartbeat timeout); a host
 * registers itself here with a one-time key, and a Contributor removes it.
 */
@RolesAllowed(Roles.READER)
@Path("/api/replicationRecoveryServicesProviders")
public class RecoveryServicesProvidersResource {
    private final JobServiceConfig config;
    private final HostRegistrations registrations;

    public RecoveryServicesProvidersResource(JobServiceConfig config, HostRegistrations registrations) {
        this.config = config;
        this.registrations = registrations;
    }

    /**
     * A host registers: no bearer token, the one-time key in {@link HostRegistration#KEY_HEADER} instead. Answers its
     * certificate from the hosts CA. Audited (as {@code create} of the provider id, by {@code hostRegistrationKey:<name>})
     * like every call that changes something.
     */
    @PUT
    @Path("/{providerId}")
    @PermitAll
    public Uni<Response> register(@PathParam("providerId") String providerId,
                                  @HeaderParam(HostRegistration.KEY_HEADER) String registrationKey, HostRegistration registration,
                                  io.vertx.ext.web.RoutingContext http) {
        return registrations.register(providerId, registrationKey, registration)
                .map(registered -> {
                    http.put(io.failback.jobs.audit.AuditTrail.OTHER_CREDENTIAL, "hostRegistrationKey:" + registered.keyName());
                    return Response.status(201).entity(registered.certificate()).build();
                });
    }

    /** The host is unregistered: its heartbeats are refused from now on and failback to it is refused as to an unknown host. */
    @DELETE
    @Path("/{providerId}")
    @RolesAllowed(Roles.CONTRIBUTOR)
    public Uni<Response> remove(@PathParam("providerId") String providerId) {
        return registrations.remove(providerId).map(ignored -> Response.noContent().build());
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
