package io.failback.hostagent;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error these APIs answer is {@code application/problem+json}. */
public class ProblemMapper {
    @ServerExceptionMapper
    public Response toProblem(ProblemException e) {
        return Response.status(e.status()).type(Problem.MEDIA_TYPE).entity(e.toProblem()).build();
    }

    /**
     * A body that is not JSON of the expected shape, or that a record's constructor refused: Quarkus's JSON reader
     * answers it as a bare 400; here it says what is wrong. Any other such exception keeps its own answer.
     */
    @ServerExceptionMapper
    public Response unreadable(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return Response.status(400).type(Problem.MEDIA_TYPE).entity(ProblemException.unreadable(json)).build();
        }
        return e.getResponse();
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        return Response.status(400).type(Problem.MEDIA_TYPE).entity(ProblemException.invalid(e.getConstraintViolations())).build();
    }
}
