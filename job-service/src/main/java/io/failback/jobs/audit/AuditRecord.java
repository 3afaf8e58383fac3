package io.failback.jobs.audit;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Index;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * One mutating call to the API, accepted or refused: who made it, what it asked, when, under which request id, and
 * how it ended. Written by {@link AuditTrail} for every POST, PUT, PATCH and DELETE under {@code /api} and the ARM
 * paths, including the ones refused before they reached an endpoint (no token, a missing role). Kept in PostgreSQL, so
 * it outlives restarts.
 *
 * @param subject the caller's token subject; null when no valid token was presented
 * @param operation what was asked, e.g. {@code plannedFailover}, {@code create}, {@code delete}
 * @param target the resource the call named (item, job or plan name), when the path names one
 * @param requestId the client's {@code x-ms-client-request-id} or {@code Idempotency-Key}
 * @param jobName the job the call started or acted on, when its answer named one
 * @param outcome {@code Accepted} (2xx), {@code Unauthenticated} (401), {@code Forbidden} (403), {@code Refused} (other
 *            4xx) or {@code Failed} (5xx)
 */
@Entity
@Table(name = "audit_record", indexes = @Index(name = "audit_record_at", columnList = "at"))
public class AuditRecord extends PanacheEntityBase {
    @Id
    public UUID id;
    public Instant at;
    public String subject;
    public String method;
    @Column(length = 2048)
    public String path;
    public String operation;
    public String target;
    public String requestId;
    public String jobName;
    public int status;
    public String outcome;
    public String remoteAddress;
}
