package io.failback.jobs.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.service.Operations;
import io.failback.jobs.service.OutboxRelay;
import io.failback.jobs.security.Callers;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;

/**
 * What every REST POST that starts or resumes a job does: the operation goes through {@link Operations} (so a
 * repeated Idempotency-Key answers the job the first request started), the outbox is relayed at once, and the answer
 * is 202 with the job and its Location. The ARM surface ({@code io.failback.jobs.arm}) runs its operations through
 * {@link #run}/{@link #runAndRelay} too, and only renders the answer its own way.
 */
@ApplicationScoped
public class JobStarts {
    private final Operations operations;
    private final OutboxRelay outboxRelay;
    private final ObjectMapper json;
    private final SecurityIdentity caller;

    public JobStarts(Operations operations, OutboxRelay outboxRelay, ObjectMapper json, SecurityIdentity caller) {
        this.operations = operations;
        this.outboxRelay = outboxRelay;
        this.json = json;
        this.caller = caller;
    }

    /** Runs the operation for this request's caller; the answer is the job, or null for an operation that starts none. */
    public Uni<ReplicationJob> run(String idempotencyKey, OperationRequest.Operation operation, String target, Object properties) {
        return operations.start(idempotencyKey, Callers.subject(caller), operation, target,
                properties == null ? null : json.valueToTree(properties));
    }

    /**
     * Runs the operation as {@link #run} does and, when it started or acted on a job, sends that job's commands at once
     * (the transaction committed) rather than at the next sweep of the outbox.
     */
    public Uni<ReplicationJob> runAndRelay(String idempotencyKey, OperationRequest.Operation operation, String target, Object properties) {
        return run(idempotencyKey, operation, target, properties).invoke(job -> {
            if (job != null) {
                outboxRelay.relaySoon();
            }
        });
    }

    /** @param properties the request body's {@code properties}, or null where the operation takes none */
    Uni<jakarta.ws.rs.core.Response> start(String idempotencyKey, OperationRequest.Operation operation, String target, Object properties) {
        return run(idempotencyKey, operation, target, properties).map(this::accepted);
    }

    private jakarta.ws.rs.core.Response accepted(ReplicationJob job) {
        outboxRelay.relaySoon(); // the transaction committed: send its commands now rather than at the next sweep
        return jakarta.ws.rs.core.Response.accepted(Views.job(job)).location(URI.create("/api/replicationJobs/" + job.name)).build();
    }
}
