package io.failback.contracts.messaging;

import java.time.Instant;

/**
 * job-service → automation, on {@link Topics#OPERATION_RESULTS}, keyed by {@code requestId}. Version
 * {@link ContractVersions#OPERATION_RESULT}. One per {@link OperationRequest} handled (again for a redelivered one).
 *
 * @param jobName the job the operation started or acted on, when accepted
 * @param problem why it was refused, in problem-details terms (the REST API's status and type), when not accepted
 */
public record OperationResult(int schemaVersion, String requestId, OperationRequest.Operation operation, String target,
        boolean accepted, String jobName, Problem problem, Instant at) {

    public record Problem(int status, String type, String detail) {
    }
}
