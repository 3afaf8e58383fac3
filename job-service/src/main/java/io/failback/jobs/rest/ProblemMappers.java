package io.failback.jobs.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.core.Response;
import org.hibernate.StaleObjectStateException;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error the API answers is {@code application/problem+json}. */
public class ProblemMappers {

    @ServerExceptionMapper
    public Response known(ProblemException e) {
        return problem(e.toProblem());
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        return problem(ProblemException.invalid(e.getConstraintViolations()));
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return unreadable(e);
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e) {
        return problem(new Problem("UnreadableBody", "Bad Request", 400, "the request body is not valid JSON of the expected shape: "
                + e.getOriginalMessage()));
    }

    @ServerExceptionMapper
    public Response concurrent(StaleObjectStateException e) {
        return problem(new Problem("ConcurrentChange", "Conflict", 409, "the resource changed while this request ran; try again"));
    }

    private static Response problem(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
