package io.failback.jobs.rest;

import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.rest.Views.ItemProperties;
import io.failback.jobs.rest.Views.JobProperties;
import io.failback.jobs.rest.Views.Resource;
import io.failback.jobs.service.FailbackEstimator;
import io.failback.jobs.service.FailoverService;
import io.failback.jobs.service.OutboxRelay;
import io.failback.jobs.service.PlannedFailoverRequest;
import io.failback.jobs.service.RegisterItemRequest;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.net.URI;

import org.eclipse.microprofile.openapi.annotations.Operation;

@Path("/api/replicationProtectedItems")
public class ReplicationProtectedItemsResource {
    static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    private final FailoverService failovers;
    private final OutboxRelay outboxRelay;
    private final FailbackEstimator estimator;

    public ReplicationProtectedItemsResource(FailoverService failovers, OutboxRelay outboxRelay, FailbackEstimator estimator) {
        this.failovers = failovers;
        this.outboxRelay = outboxRelay;
        this.estimator = estimator;
    }

    @GET
    @WithSession
    public Uni<Views.Page<Resource<ItemProperties>>> list() {
        return ReplicationProtectedItem.<ReplicationProtectedItem>listAll(io.quarkus.panache.common.Sort.by("name"))
                .map(items -> new Views.Page<>(items.stream().map(Views::item).toList(), null));
    }

    @GET
    @Path("/{name}")
    @WithSession
    public Uni<Resource<ItemProperties>> get(@PathParam("name") String name) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(name)
                .onItem().ifNull().failWith(() -> FailoverService.itemNotFound(name))
                .map(Views::item);
    }

    @GET
    @Path("/{name}/failbackEstimate")
    @Operation(summary = "How long a failback would take with each data-sync option, and how long the VM would be down",
            description = "From the Azure VM's disks and write rate, and this installation's throughput in its last failbacks.")
    public Uni<FailbackEstimator.Estimate> failbackEstimate(@PathParam("name") String name) {
        return estimator.estimate(name);
    }

    @PUT
    @Path("/{name}")
    @Operation(summary = "Enable protection of an on-premises VM (activeLocation Primary: starts initial replication), "
            + "or register a VM running in Azure after a committed failover (Recovery), so that it can fail back")
    public Uni<Response> register(@PathParam("name") @Pattern(regexp = NAME, message = "must be 1-64 letters, digits, '.', '_' or '-'") String name,
            @Valid @NotNull RegisterItemRequest request) {
        return failovers.register(name, request)
                .invoke(item -> {
                    if (item.currentScenarioJobName != null) {
                        outboxRelay.relaySoon();
                    }
                })
                .map(item -> Response.created(URI.create("/api/replicationProtectedItems/" + name)).entity(Views.item(item)).build());
    }

    @POST
    @Path("/{name}/plannedFailover")
    @Operation(summary = "Planned failover; with failoverDirection RecoveryToPrimary it is a failback from Azure",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> plannedFailover(@PathParam("name") String name, @Valid @NotNull PlannedFailoverRequest request) {
        return failovers.plannedFailover(name, request).map(this::accepted);
    }

    @POST
    @Path("/{name}/failoverCommit")
    @Operation(summary = "Commit the failover; after failback this deletes the Azure VM and its disks",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> failoverCommit(@PathParam("name") String name) {
        return failovers.failoverCommit(name).map(this::accepted);
    }

    @POST
    @Path("/{name}/reprotect")
    @Operation(summary = "Reverse Replicate: protect the on-premises VM again, sending only what changed since the failback",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> reprotect(@PathParam("name") String name) {
        return failovers.reprotect(name).map(this::accepted);
    }

    private Response accepted(ReplicationJob job) {
        outboxRelay.relaySoon(); // the transaction committed: send its command now rather than at the next sweep
        Resource<JobProperties> view = Views.job(job);
        return Response.accepted(view).location(URI.create("/api/replicationJobs/" + job.name)).build();
    }

}
