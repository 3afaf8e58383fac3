package io.failback.jobs.rest;

import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.rest.Views.JobProperties;
import io.failback.jobs.rest.Views.Resource;
import io.failback.jobs.service.FailoverService;
import io.failback.jobs.service.OutboxRelay;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;

@Path("/api/replicationJobs")
public class ReplicationJobsResource {
    private final FailoverService failovers;
    private final OutboxRelay outboxRelay;

    public ReplicationJobsResource(FailoverService failovers, OutboxRelay outboxRelay) {
        this.failovers = failovers;
        this.outboxRelay = outboxRelay;
    }

    @POST
    @Path("/{name}/resume")
    @Operation(summary = "Resume a suspended job: for a ForDownTime failback this is \"Complete Failover\"",
            description = "Shuts the Azure VM down, sends the changes made since the snapshot and starts the VM on-premises.")
    public Uni<Response> resume(@PathParam("name") String name) {
        return failovers.resume(name).map(job -> {
            outboxRelay.relaySoon();
            return Response.accepted(Views.job(job)).location(URI.create("/api/replicationJobs/" + job.name)).build();
        });
    }

    @POST
    @Path("/{name}/cancel")
    @Operation(summary = "Cancel a running or suspended failover or replication job",
            description = "The job ends as Cancelled at once and its block streams stop. On-premises disks being written stay "
                    + "inconsistent (the VM may not boot there); triggering the failover again completes the synchronization.")
    public Uni<Response> cancel(@PathParam("name") String name) {
        return failovers.cancel(name).map(job -> {
            outboxRelay.relaySoon();
            return Response.ok(Views.job(job)).build();
        });
    }

    @GET
    @WithSession
    public Uni<Views.Page<Resource<JobProperties>>> list(@QueryParam("state") JobState state) {
        Sort newestFirst = Sort.by("startTime", Sort.Direction.Descending);
        Uni<java.util.List<ReplicationJob>> jobs = state == null ? ReplicationJob.listAll(newestFirst)
                : ReplicationJob.list("state", newestFirst, state);
        return jobs.map(list -> new Views.Page<>(list.stream().map(Views::job).toList(), null));
    }

    @GET
    @Path("/{name}")
    @WithSession
    public Uni<Resource<JobProperties>> get(@PathParam("name") String name) {
        return ReplicationJob.<ReplicationJob>findById(name)
                .onItem().ifNull().failWith(() -> FailoverService.jobNotFound(name))
                .map(Views::job);
    }
}
