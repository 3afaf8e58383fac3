package io.failback.jobs.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmErrors;
import io.failback.jobs.security.AccessRefusals;
import jakarta.validation.ConstraintViolationException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
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

    /** A 503 (a part job-service needs is away for now) says when to try again, as a database that is away does. */
    @ServerExceptionMapper
    public Response known(ProblemException e, UriInfo uri) {
        Response answer = problem(e.toProblem(), uri);
        return e.status() == 503 ? Response.fromResponse(answer).header("Retry-After", DATABASE_RETRY_AFTER_SECONDS).build() : answer;
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

    /** No endpoint at this path, or not with this method: the same error shape as everything else, not the framework's page. */
    @ServerExceptionMapper({jakarta.ws.rs.NotFoundException.class, jakarta.ws.rs.NotAllowedException.class})
    public Response noSuchEndpoint(jakarta.ws.rs.WebApplicationException e, UriInfo uri, jakarta.ws.rs.core.Request request) {
        int status = e.getResponse().getStatus();
        return problem(new Problem(status == 405 ? "MethodNotAllowed" : "NotFound", status == 405 ? "Method Not Allowed" : "Not Found",
                status, "this API has no " + request.getMethod() + " " + uri.getPath()), uri);
    }

    /**
     * PostgreSQL cannot be reached (restarting, failing over, a dropped link): the request may well succeed in a few
     * seconds, so 503 with {@code Retry-After} — what a client's retry policy (the Azure SDKs' among them) waits on —
     * rather than a 500 page. Readiness reports the database down meanwhile.
     */
    @ServerExceptionMapper({ConnectException.class, ClosedConnectionException.class})
    public Response databaseAway(Exception e, UriInfo uri) {
        return databaseUnavailable(uri.getPath());
    }

    /** A connection the server ended (shutdown, 57P01…) or lost (08…) is the database being away too; other errors stay 500s, as problems. */
    @ServerExceptionMapper
    public Response databaseError(PgException e, UriInfo uri) {
        String state = e.getSqlState() == null ? "" : e.getSqlState();
        if (io.failback.jobs.repository.DatabaseAway.isConnectionLost(state)) {
            return databaseUnavailable(uri.getPath());
        }
        return problem(new Problem("DatabaseError", "Internal Server Error", 500, "the database refused the request (SQLSTATE " + state
                + "); see job-service's log"), uri);
    }

    static final int DATABASE_RETRY_AFTER_SECONDS = 5;

    static Response databaseUnavailable(String path) {
        Problem problem = new Problem("DatabaseUnavailable", "Service Unavailable", 503,
                "job-service cannot reach its database just now; try again in a few seconds");
        return Response.fromResponse(problem(problem, path)).header("Retry-After", DATABASE_RETRY_AFTER_SECONDS).build();
    }

    private static Response problem(Problem problem, UriInfo uri) {
        return problem(problem, uri.getPath());
    }

    private static Response problem(Problem problem, String path) {
        if (AccessRefusals.isArm(path)) {
            return ArmErrors.of(problem);
        }
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
