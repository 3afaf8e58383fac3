package io.failback.jobs.rest;

import io.failback.contracts.site.Problem;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.service.FailoverService;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A job's event stream commits its 200 and headers as it opens, so an unknown job must be refused before: this filter
 * answers 404 with a problem body instead of opening the stream.
 */
public class JobStreamPrecheck {

    @ServerRequestFilter
    public Uni<Response> refuseUnknownJobs(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/replicationJobs/") || !path.endsWith("/events")) {
            return Uni.createFrom().nullItem();
        }
        String name = request.getUriInfo().getPathParameters().getFirst("name");
        return Panache.withSession(() -> ReplicationJob.<ReplicationJob>findById(name)).map(job -> {
            if (job != null) {
                return null;
            }
            Problem problem = FailoverService.jobNotFound(name).toProblem();
            return Response.status(404).type(Problem.MEDIA_TYPE).entity(problem).build();
        });
    }
}
