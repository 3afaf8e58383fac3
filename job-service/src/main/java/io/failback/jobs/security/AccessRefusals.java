package io.failback.jobs.security;

import io.failback.contracts.site.Problem;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * A call without a valid token answers 401 with {@code WWW-Authenticate: Bearer}, a call whose token lacks the role
 * answers 403; each in the shape of the API that was called: ARM's {@code {"error": {"code", "message"}}} under
 * {@code /subscriptions} (codes {@code AuthenticationFailed}, {@code AuthorizationFailed}, as Azure answers them), a
 * problem body under {@code /api}. The message never repeats the token.
 */
public class AccessRefusals {
    static final String AUTHENTICATION_FAILED = "AuthenticationFailed";
    static final String AUTHORIZATION_FAILED = "AuthorizationFailed";

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthenticated(UriInfo uri) {
        return refusal(uri, 401, AUTHENTICATION_FAILED, "Authentication failed: the request needs 'Authorization: Bearer <token>' "
                + "with a token of a trusted issuer for this API's audience that has not expired")
                .header("WWW-Authenticate", "Bearer error=\"invalid_token\"").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return refusal(uri, 403, AUTHORIZATION_FAILED, "The caller does not have authorization to perform " + uri.getPath()
                + ": it needs a role this token does not grant (" + Roles.READER + " reads, " + Roles.OPERATOR
                + " runs failovers and jobs, " + Roles.CONTRIBUTOR + " also protects, removes and edits recovery plans)").build();
    }

    private static Response.ResponseBuilder refusal(UriInfo uri, int status, String code, String message) {
        if (isArm(uri.getPath())) {
            return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Map.of("error", Map.of("code", code, "message", message)));
        }
        return Response.status(status).type(Problem.MEDIA_TYPE)
                .entity(new Problem(code, status == 401 ? "Unauthorized" : "Forbidden", status, message));
    }

    /** ARM's paths begin with the subscription. */
    public static boolean isArm(String path) {
        return path.regionMatches(true, 0, "/subscriptions/", 0, "/subscriptions/".length());
    }
}
