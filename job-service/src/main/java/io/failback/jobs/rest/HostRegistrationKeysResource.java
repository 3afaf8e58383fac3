package io.failback.jobs.rest;

import io.failback.jobs.domain.HostRegistrationKey;
import io.failback.jobs.hosts.HostRegistrations;
import io.failback.jobs.security.Callers;
import io.failback.jobs.security.Roles;
import io.failback.jobs.view.Views;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.time.Instant;

/**
 * One-time keys new on-premises hosts register with (a Site Recovery vault's registration key). Only a Contributor
 * sees or changes them; every change is audited. The key itself is in the answer to its creation and nowhere else.
 */
@RolesAllowed(Roles.CONTRIBUTOR)
@Path("/api/hostRegistrationKeys")
public class HostRegistrationKeysResource {
    private final HostRegistrations registrations;
    private final SecurityIdentity caller;

    public HostRegistrationKeysResource(HostRegistrations registrations, SecurityIdentity caller) {
        this.registrations = registrations;
        this.caller = caller;
    }

    /** The key's state: Active, Used (by which host), Expired or Revoked. */
    public record KeyProperties(String state, Instant createdAt, String createdBy, Instant expiresAt, Instant usedAt,
                                String usedByProvider, Instant revokedAt) {
    }

    /** What creating a key answers, once: the key to give the host. */
    public record CreatedKeyProperties(String state, Instant createdAt, String createdBy, Instant expiresAt, String key) {
    }

    @PUT
    @Path("/{name}")
    public Uni<Response> create(@PathParam("name") String name) {
        return registrations.createKey(name, Callers.subject(caller)).map(created -> {
            HostRegistrationKey key = created.key();
            return Response.status(201).header("Cache-Control", "no-store").entity(new Views.Resource<>("/hostRegistrationKeys/" + key.name, key.name,
                    "hostRegistrationKeys", new CreatedKeyProperties(key.state(Instant.now()), key.createdAt, key.createdBy,
                            key.expiresAt, created.secret()))).build();
        });
    }

    @GET
    public Uni<Views.Page<Views.Resource<KeyProperties>>> list() {
        Instant now = Instant.now();
        return registrations.keys().map(keys -> new Views.Page<>(keys.stream().map(key -> view(key, now)).toList(), null));
    }

    @GET
    @Path("/{name}")
    public Uni<Views.Resource<KeyProperties>> get(@PathParam("name") String name) {
        return registrations.key(name).map(key -> view(key, Instant.now()));
    }

    /** A revoked key registers no host. Revoking a used or revoked key changes nothing. */
    @POST
    @Path("/{name}/revoke")
    public Uni<Views.Resource<KeyProperties>> revoke(@PathParam("name") String name) {
        return registrations.revoke(name).map(key -> view(key, Instant.now()));
    }

    private static Views.Resource<KeyProperties> view(HostRegistrationKey key, Instant now) {
        return new Views.Resource<>("/hostRegistrationKeys/" + key.name, key.name, "hostRegistrationKeys",
                new KeyProperties(key.state(now), key.createdAt, key.createdBy, key.expiresAt, key.usedAt, key.usedByProvider, key.revokedAt));
    }
}
