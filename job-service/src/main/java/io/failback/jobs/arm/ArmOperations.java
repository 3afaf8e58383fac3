package io.failback.jobs.arm;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.failback.contracts.messaging.OperationRequest.Operation;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.OperationRequestRecord;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.service.CallerOperations;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Long-running operations as ARM and the SDK run them. An operation that starts or acts on a job goes through the same
 * {@link CallerOperations} as {@code /api}, with the operation id as its request id: the caller's
 * {@code x-ms-client-request-id} (the SDK keeps it on every retry of the request), else a new UUID. So a retried POST
 * finds the request record of the first one (in PostgreSQL, in the job's transaction) and starts nothing new, also
 * after a restart of this service, and its answer names the same operation. The answer is 202 with
 * {@code Azure-AsyncOperation} (the status to poll), {@code Location} (the result at the end) and {@code Retry-After}.
 */
@ApplicationScoped
public class ArmOperations {
    public static final String CLIENT_REQUEST_ID = "x-ms-client-request-id";
    /** The id becomes a path segment of the status and result links. */
    private static final Pattern OPERATION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    public static final String IN_PROGRESS = "InProgress";
    public static final String SUCCEEDED = "Succeeded";
    public static final String FAILED = "Failed";
    public static final String CANCELED = "Canceled";

    /** ARM's operation status body (RPC async-api-reference); {@code properties.jobId} names the job behind it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OperationStatus(String id, String name, String status, Instant startTime, Instant endTime,
            ArmErrors.ErrorDetail error, StatusProperties properties) {
    }

    /** @param jobId the job's full ARM id, null for an operation that started none */
    public record StatusProperties(String operation, String jobId) {
    }

    private final CallerOperations callerOperations;
    private final ArmConfig config;

    public ArmOperations(CallerOperations callerOperations, ArmConfig config) {
        this.callerOperations = callerOperations;
        this.config = config;
    }

    /** The caller's client request id, or a new one when it sent none. */
    public String operationId(String clientRequestId) {
        if (clientRequestId == null || clientRequestId.isBlank()) {
            return UUID.randomUUID().toString();
        }
        if (!OPERATION_ID.matcher(clientRequestId).matches()) {
            throw ProblemException.badRequest("InvalidClientRequestId", CLIENT_REQUEST_ID
                    + " must be 1-200 letters, digits, '.', '_' or '-' (the SDK sends a GUID)");
        }
        return clientRequestId;
    }

    /** Starts (or, for a retried request, finds) the operation and answers 202 with the links to follow it. */
    public Uni<Response> start(VaultScope vault, String clientRequestId, Operation operation, String target, Object properties) {
        String operationId = operationId(clientRequestId);
        return callerOperations.run(operationId, operation, target, properties)
                .map(job -> accepted(vault, operationId, job == null ? null : ArmViews.job(vault, job)));
    }

    /**
     * The answer to a request whose operation already ran (a retry with the same client request id), or null when
     * this id names no earlier {@code operation} on {@code target}. For requests whose preparation asks other
     * services first (enable protection asks the hosts), so that a retry answers what the first request did even if
     * a host has gone meanwhile; anything else with the id is left to {@link #start} to judge.
     */
    public Uni<Response> replay(VaultScope vault, String operationId, Operation operation, String target) {
        return Panache.withSession(() -> OperationRequestRecord.<OperationRequestRecord>findById(operationId)
                .chain(record -> record == null || !operation.name().equals(record.operation) || !target.equals(record.target)
                        ? Uni.createFrom().<Response>nullItem()
                        : (record.jobName == null ? Uni.createFrom().<ReplicationJob>nullItem() : ReplicationJob.<ReplicationJob>findById(record.jobName))
                                .map(job -> accepted(vault, operationId, job == null ? null : ArmViews.job(vault, job)))));
    }

    /** 202 with the operation's status and result links; the body (the job, if any) is for people, the SDK ignores it. */
    public Response accepted(VaultScope vault, String operationId, Object body) {
        return Response.accepted(body)
                .header("Azure-AsyncOperation", vault.operationStatusLink(operationId))
                .header("Location", vault.operationResultLink(operationId))
                .header("Retry-After", retryAfterSeconds())
                .header(CLIENT_REQUEST_ID, operationId)
                .build();
    }

    public long retryAfterSeconds() {
        return Math.max(1, (config.retryAfter().toMillis() + 999) / 1000);
    }

    /**
     * Where an operation stands, from its job: in progress while the job runs or is Suspended (a ForDownTime failback
     * waits there for Resume, and the operation is not over until it ends), then Succeeded, Failed or Canceled as the
     * job ended. Cancelling a job succeeds once the job is Cancelled. An operation that started no job (registering a
     * plan) succeeded when it was recorded.
     */
    public static String status(OperationRequestRecord record, ReplicationJob job) {
        if (job == null) {
            return SUCCEEDED;
        }
        if (!job.state.isFinal()) {
            return IN_PROGRESS;
        }
        if (Operation.CancelJob.name().equals(record.operation)) {
            return SUCCEEDED;
        }
        return switch (job.state) {
            case Succeeded -> SUCCEEDED;
            case Cancelled -> CANCELED;
            default -> job.state == JobState.Failed ? FAILED : IN_PROGRESS;
        };
    }

    public static OperationStatus statusBody(VaultScope vault, OperationRequestRecord record, ReplicationJob job) {
        String status = status(record, job);
        boolean done = !IN_PROGRESS.equals(status);
        ArmErrors.ErrorDetail error = FAILED.equals(status) ? ArmViews.failure(job)
                : CANCELED.equals(status) ? new ArmErrors.ErrorDetail("OperationCanceled", "the job '" + job.name + "' was cancelled: "
                        + job.stateDescription) : null;
        Instant end = !done ? null : job == null ? record.createdAt : job.endTime;
        return new OperationStatus(vault.vaultId() + "/" + ArmPaths.OPERATION_STATUS + "/" + record.requestId, record.requestId, status,
                record.createdAt, end, error, new StatusProperties(record.operation, job == null ? null : vault.jobId(job.name)));
    }

    /** Which resource an operation's result is. */
    public enum ResultKind {
        ITEM,
        JOB,
        PLAN
    }

    public static ResultKind resultKind(String operation) {
        if (operation.startsWith("RecoveryPlan") || operation.endsWith("RecoveryPlan")) {
            return ResultKind.PLAN;
        }
        if (operation.endsWith("Job")) {
            return ResultKind.JOB;
        }
        return ResultKind.ITEM;
    }
}
