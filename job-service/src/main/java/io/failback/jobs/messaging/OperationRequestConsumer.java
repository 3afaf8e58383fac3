package io.failback.jobs.messaging;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.contracts.messaging.OperationResult;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.service.Operations;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The Kafka command API: each {@link OperationRequest} runs the operation the REST API would, under its requestId
 * (so a redelivered request starts nothing new), and its outcome goes to the results topic, accepted with the job or
 * refused with the problem the REST API would have answered. A record that is not a readable request of a known
 * version goes to the dead-letter topic; a refused operation is an answer, not a poison message.
 */
@ApplicationScoped
public class OperationRequestConsumer {
    private static final Logger LOG = Logger.getLogger(OperationRequestConsumer.class);

    /**
     * Who a job started here is named after: the command API's boundary is the broker's (who may write to the topic),
     * so no caller identity travels in the record.
     */
    static final String STARTED_BY = "kafka:" + io.failback.contracts.messaging.Topics.OPERATIONS;

    private final Operations operations;
    private final MutinyEmitter<OperationResult> results;

    public OperationRequestConsumer(Operations operations,
            @Channel("operation-results") MutinyEmitter<OperationResult> results) {
        this.operations = operations;
        this.results = results;
    }

    @Incoming("operations")
    public Uni<Void> consume(OperationRequest request) {
        if (request == null || request.requestId() == null || request.requestId().isBlank() || request.operation() == null
                || request.target() == null || request.target().isBlank()) {
            return Uni.createFrom().failure(new IllegalArgumentException(
                    "the record is not a readable OperationRequest (requestId, operation and target are required)"));
        }
        if (request.schemaVersion() != ContractVersions.OPERATION_REQUEST) {
            return Uni.createFrom().failure(new IllegalArgumentException(
                    "OperationRequest schema version " + request.schemaVersion() + " is not supported"));
        }
        // Retried while the database is away: a redelivered request with its requestId starts nothing twice.
        return TransientFailures.retried(() -> operations.start(request.requestId(), STARTED_BY, request.operation(), request.target(),
                        request.properties()))
                .map(job -> new OperationResult(ContractVersions.OPERATION_RESULT, request.requestId(), request.operation(),
                        request.target(), true, job == null ? null : job.name, null, Instant.now()))
                .onFailure(ProblemException.class).recoverWithItem(e -> {
                    ProblemException problem = (ProblemException) e;
                    LOG.infof("operation %s on %s (request %s) refused: %s", request.operation(), request.target(), request.requestId(),
                            problem.getMessage());
                    return new OperationResult(ContractVersions.OPERATION_RESULT, request.requestId(), request.operation(),
                            request.target(), false, null, new OperationResult.Problem(problem.status(), problem.type(),
                                    problem.getMessage()), Instant.now());
                })
                .chain(result -> results.sendMessage(Message.of(result)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(result.requestId()).build())));
    }
}
