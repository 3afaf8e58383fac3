package io.failback.jobs.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.security.Callers;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@link Operations} for an HTTP caller: the job is named after the caller's token subject. Both front doors, {@code /api}
 * and the ARM surface, start every operation here and only render the answer their own way.
 */
@ApplicationScoped
public class CallerOperations {
    private final Operations operations;
    private final ObjectMapper json;
    private final SecurityIdentity caller;

    public CallerOperations(Operations operations, ObjectMapper json, SecurityIdentity caller) {
        this.operations = operations;
        this.json = json;
        this.caller = caller;
    }

    /**
     * Runs the operation for this request's caller; the answer is the job, or null for an operation that starts none.
     *
     * @param requestId the client's idempotency key or ARM operation id; null to run without idempotency
     * @param properties the request body's {@code properties} (any JSON-mappable object), or null where it takes none
     */
    public Uni<ReplicationJob> run(String requestId, OperationRequest.Operation operation, String target, Object properties) {
        return operations.start(requestId, Callers.subject(caller), operation, target,
                properties == null ? null : json.valueToTree(properties));
    }
}
