package io.failback.jobs.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmErrors;
import io.failback.jobs.security.AccessRefusals;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.hibernate.StaleObjectStateException;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error the API answers: {@code application/problem+json} under {@code /api}; under the ARM paths
 * ({@code /subscriptions/...}) the same error in ARM's shape, {@code {"error": {"code", "message"}}}, whose code is
 * the problem's type.
 */
public class ProblemMappers {

    @ServerExceptionMapper
    public Response known(ProblemException e, UriInfo uri) {
        return problem(e.toProblem(), uri);
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e, UriInfo uri) {
        return problem(ProblemException.invalid(e.getConstraintViolations()), uri);
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e, UriInfo uri) {
        return unreadable(e, uri);
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e, UriInfo uri) {
        return problem(new Problem("UnreadableBody", "Bad Request", 400, "the request body is not valid JSON of the expected shape: "
                + e.getOriginalMessage()), uri);
    }

    @ServerExceptionMapper
    public Response concurrent(StaleObjectStateException e, UriInfo uri) {
        return problem(new Problem("ConcurrentChange", "Conflict", 409, "the resource changed while this request ran; try again"), uri);
    }

    private static Response problem(Problem problem, UriInfo uri) {
        if (AccessRefusals.isArm(uri.getPath())) {
            return ArmErrors.of(problem);
        }
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
