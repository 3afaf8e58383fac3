package io.failback.azuresim;

import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

public class ProblemMapper {
    @ServerExceptionMapper
    public Response toProblem(ProblemException e) {
        return Response.status(e.status()).type(Problem.MEDIA_TYPE).entity(e.toProblem()).build();
    }
}
