package io.failback.jobs.rest;

import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.rest.Views.JobProperties;
import io.failback.jobs.rest.Views.Resource;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;

@Path("/api/replicationJobs")
public class ReplicationJobsResource {

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
                .onItem().ifNull().failWith(() -> ProblemException.notFound("JobNotFound", "no replication job named '" + name + "'"))
                .map(Views::job);
    }
}
