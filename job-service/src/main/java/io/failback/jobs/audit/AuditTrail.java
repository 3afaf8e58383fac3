package io.failback.jobs.audit;

import io.failback.jobs.security.AccessRefusals;
import io.failback.jobs.security.Callers;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Records every mutating call to the API as an {@link AuditRecord}, once its answer has been sent: at the HTTP layer,
 * so that calls refused before any endpoint ran (no token, a missing role, an unreadable body) are recorded as surely
 * as accepted ones. The row is written with the reactive SQL client, outside the request's Hibernate session and
 * transaction, because a refused request's transaction never commits yet its refusal must be kept. A database that is
 * away delays the write (retried with back-off), it does not drop it while job-service runs.
 */
@ApplicationScoped
public class AuditTrail {
    private static final Logger LOG = Logger.getLogger(AuditTrail.class);
    private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
    private static final String API_JOBS = "/api/replicationJobs/";
    /**
     * A routing-context attribute an endpoint sets when its caller proved who it is by something else than a token
     * (a host registering with a registration key): the record names that instead of no one.
     */
    public static final String OTHER_CREDENTIAL = "failback.audit.other-credential";

    private final Pool database;

    public AuditTrail(Pool database) {
        this.database = database;
    }

    void watch(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 10).handler(context -> {
            if (MUTATING.contains(context.request().method()) && isApi(context.normalizedPath())) {
                Instant at = Instant.now();
                context.addEndHandler(ended -> record(context, at));
            }
            context.next();
        });
    }

    static boolean isApi(String path) {
        return path.startsWith("/api/") || AccessRefusals.isArm(path);
    }

    private void record(RoutingContext context, Instant at) {
        String method = context.request().method().name();
        String path = context.normalizedPath();
        int status = context.response().getStatusCode();
        String requestId = firstNonNull(context.response().headers().get("x-ms-client-request-id"),
                context.request().getHeader("x-ms-client-request-id"), context.request().getHeader("Idempotency-Key"));
        String location = context.response().headers().get("Location");
        String jobName = location != null && location.startsWith(API_JOBS) ? location.substring(API_JOBS.length()) : null;
        String remote = context.request().remoteAddress() == null ? null : context.request().remoteAddress().hostAddress();
        PathParts parts = PathParts.of(context.request().method(), path);
        subjectOf(context)
                .map(subject -> subject != null ? subject : context.<String>get(OTHER_CREDENTIAL))
                .chain(subject -> database.preparedQuery("""
                        insert into audit_record (id, at, subject, method, path, operation, target, requestId, jobName, status,
                          outcome, remoteAddress)
                        values ($1, $2, $3, $4, $5, $6, $7, $8::varchar,
                          coalesce($9, (select jobName from operation_request where requestId = $8::varchar)), $10, $11, $12)""")
                        .execute(Tuple.from(Arrays.asList(UUID.randomUUID(), OffsetDateTime.ofInstant(at, ZoneOffset.UTC), subject,
                                method, truncate(path, 2048), parts.operation(), parts.target(), truncate(requestId, 255), jobName,
                                status, outcome(status), remote))))
                .onFailure(AuditTrail::isTransient).retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).atMost(20)
                .subscribe().with(ignored -> {
                }, failure -> LOG.errorf("audit record of %s %s (%d) could not be written: %s", method, path, status,
                        failure.getMessage()));
    }

    /** The database is away or restarting: worth another try. A statement it refused is not. */
    private static boolean isTransient(Throwable failure) {
        if (failure instanceof PgException refused) {
            String state = refused.getSqlState();
            return state != null && (state.startsWith("08") || state.startsWith("53") || state.startsWith("57"));
        }
        return true;
    }

    /** The caller's verified subject; null when the request carried no valid token. */
    private static Uni<String> subjectOf(RoutingContext context) {
        if (context.user() instanceof QuarkusHttpUser user) {
            return Uni.createFrom().item(Callers.subject(user.getSecurityIdentity()));
        }
        Object deferred = context.get(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        if (deferred instanceof Uni<?> identity) {
            return identity.map(found -> Callers.subject((SecurityIdentity) found))
                    .onFailure().recoverWithNull();
        }
        return Uni.createFrom().nullItem();
    }

    static String outcome(int status) {
        if (status >= 200 && status < 300) {
            return "Accepted";
        }
        return switch (status) {
            case 401 -> "Unauthenticated";
            case 403 -> "Forbidden";
            default -> status >= 500 ? "Failed" : "Refused";
        };
    }

    private static String firstNonNull(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    private static String truncate(String value, int length) {
        return value == null || value.length() <= length ? value : value.substring(0, length);
    }

    /**
     * What a path asks for: {@code POST .../{name}/{operation}} names an operation on a resource, {@code PUT} and
     * {@code DELETE .../{name}} create (or replace) and delete it.
     */
    record PathParts(String operation, String target) {
        static PathParts of(HttpMethod method, String path) {
            List<String> segments = Arrays.stream(path.split("/")).filter(segment -> !segment.isEmpty()).toList();
            int last = segments.size() - 1;
            if (last < 1) {
                return new PathParts(method.name().toLowerCase(), null);
            }
            if (method == HttpMethod.POST) {
                return new PathParts(segments.get(last), segments.get(last - 1));
            }
            return new PathParts(method == HttpMethod.DELETE ? "delete" : method == HttpMethod.PUT ? "create" : "update",
                    segments.get(last));
        }
    }
}
