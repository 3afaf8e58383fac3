package io.failback.jobs.rest;

import io.failback.jobs.view.Views;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.service.CallerOperations;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/**
 * What every {@code /api} POST that starts or resumes a job answers: the operation runs through
 * {@link CallerOperations} (so a repeated Idempotency-Key answers the job the first request started; its commands
 * go out when the commit notifies the outbox relay), and the answer is 202 with the job and its Location.
 */
@ApplicationScoped
class JobStarts {
    private final CallerOperations operations;

    JobStarts(CallerOperations operations) {
        this.operations = operations;
    }

    Uni<ReplicationJob> run(String idempotencyKey, OperationRequest.Operation operation, String target, Object properties) {
        return operations.run(idempotencyKey, operation, target, properties);
    }

    /** @param properties the request body's {@code properties}, or null where the operation takes none */
    Uni<Response> start(String idempotencyKey, OperationRequest.Operation operation, String target, Object properties) {
        return operations.run(idempotencyKey, operation, target, properties)
                .map(job -> Response.accepted(Views.job(job)).location(URI.create("/api/replicationJobs/" + job.name)).build());
    }
}
