package io.failback.jobs.audit;

import io.failback.contracts.site.ProblemException;
import io.failback.jobs.view.Views;
import io.failback.jobs.security.Roles;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The audit trail, newest first: every mutating call, accepted or refused, with who made it. Readable by every role,
 * as Azure's activity log is.
 */
@Path("/api/auditRecords")
@RolesAllowed(Roles.READER)
public class AuditRecordsResource {

    public record AuditProperties(Instant at, String subject, String method, String path, String operation, String target,
            String requestId, String jobName, int status, String outcome, String remoteAddress) {
    }

    @GET
    @WithSession
    @Operation(summary = "Who changed what, and when: every POST, PUT and DELETE, accepted or refused, newest first")
    public Uni<Views.Page<Views.Resource<AuditProperties>>> list(@QueryParam("subject") @Size(max = 255) String subject,
            @QueryParam("outcome") @Size(max = 32) String outcome, @QueryParam("target") @Size(max = 255) String target,
            @QueryParam("$top") @DefaultValue("100") @Min(1) @Max(1000) int top, @QueryParam("$skipToken") String skipToken) {
        StringBuilder query = new StringBuilder("1 = 1");
        Parameters parameters = new Parameters();
        StringBuilder filters = new StringBuilder();
        filter(query, parameters, filters, "subject", subject);
        filter(query, parameters, filters, "outcome", outcome);
        filter(query, parameters, filters, "target", target);
        if (skipToken != null) {
            Cursor after = Cursor.parse(skipToken);
            query.append(" and (at < :at or (at = :at and id > :id))");
            parameters.and("at", after.at()).and("id", after.id());
        }
        return AuditRecord.<AuditRecord>find(query.toString(), Sort.by("at", Sort.Direction.Descending).and("id"), parameters)
                .page(Page.ofSize(top + 1)).list()
                .map(records -> {
                    List<AuditRecord> page = records.size() > top ? records.subList(0, top) : records;
                    String next = records.size() > top ? "/api/auditRecords?$top=" + top + filters + "&$skipToken="
                            + new Cursor(page.get(page.size() - 1).at, page.get(page.size() - 1).id).token() : null;
                    return new Views.Page<>(page.stream().map(AuditRecordsResource::view).toList(), next);
                });
    }

    private static void filter(StringBuilder query, Parameters parameters, StringBuilder filters, String name, String value) {
        if (value != null) {
            query.append(" and ").append(name).append(" = :").append(name);
            parameters.and(name, value);
            filters.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }

    private static Views.Resource<AuditProperties> view(AuditRecord record) {
        return new Views.Resource<>("/auditRecords/" + record.id, record.id.toString(), "auditRecords", new AuditProperties(record.at,
                record.subject, record.method, record.path, record.operation, record.target, record.requestId, record.jobName,
                record.status, record.outcome, record.remoteAddress));
    }

    /** Where a page ended, as an opaque token. */
    record Cursor(Instant at, UUID id) {
        String token() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((at + "|" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor parse(String token) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\\|", 2);
                return new Cursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
            } catch (RuntimeException e) {
                throw ProblemException.badRequest("InvalidSkipToken", "$skipToken is not one this API handed out");
            }
        }
    }
}
