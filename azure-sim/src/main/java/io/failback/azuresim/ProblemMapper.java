package io.failback.azuresim;

import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error these APIs answer is {@code application/problem+json}. */
public class ProblemMapper {
    @ServerExceptionMapper
    public Response toProblem(ProblemException e) {
        return Response.status(e.status()).type(Problem.MEDIA_TYPE).entity(e.toProblem()).build();
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        return Response.status(400).type(Problem.MEDIA_TYPE).entity(ProblemException.invalid(e.getConstraintViolations())).build();
    }
}
