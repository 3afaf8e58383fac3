package io.failback.jobs.arm;

import io.failback.contracts.site.Problem;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Errors as ARM answers them: {@code application/json} {@code {"error": {"code", "message"}}}. The SDK parses only
 * JSON bodies, so a problem+json body would reach its callers as text without a code. The code is the same stable
 * name the {@code /api} problem carries as its {@code type}: one error, two renderings.
 */
public final class ArmErrors {
    private ArmErrors() {
    }

    public record ErrorDetail(String code, String message) {
    }

    public record ErrorResponse(ErrorDetail error) {
    }

    public static Response response(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ErrorResponse(new ErrorDetail(code, message))).build();
    }

    public static Response of(Problem problem) {
        return response(problem.status(), problem.type(), problem.detail());
    }
}
