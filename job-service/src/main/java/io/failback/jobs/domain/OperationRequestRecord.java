package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A request id (REST Idempotency-Key, Kafka requestId) already acted on, written in the same transaction as the job
 * it started: the same request again gets that job, never a second one.
 *
 * @param fingerprint SHA-256 of the operation, its target and its body: the same id with other content is refused
 */
@Entity
@Table(name = "operation_request")
public class OperationRequestRecord extends PanacheEntityBase {
    @Id
    public String requestId;
    public String operation;
    public String target;
    public String fingerprint;
    public String jobName;
    /** Who asked (a token's subject, or the Kafka command API). */
    public String startedBy;
    public Instant createdAt;
}
