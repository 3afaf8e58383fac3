package io.failback.jobs.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.failback.contracts.messaging.OperationRequest.Operation;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.OperationRequestRecord;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.opentelemetry.api.trace.Span;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Every operation that starts or acts on a job, by name, for both interfaces: REST (with an optional
 * Idempotency-Key) and Kafka ({@code requestId}). A request id is recorded in the transaction that starts the job, so
 * a repeated request (a retried POST, a redelivered record) gets the same job and starts nothing.
 */
@ApplicationScoped
public class Operations {
    private static final Logger LOG = Logger.getLogger(Operations.class);
    private final FailoverService failovers;
    private final RecoveryPlanService plans;
    private final JobActions jobActions;
    private final Validator validator;
    private final ObjectMapper json;
    /** Canonical JSON (sorted keys) so that the same body always has the same fingerprint. */
    private final ObjectMapper canonical;

    public Operations(FailoverService failovers, RecoveryPlanService plans, JobActions jobActions, Validator validator,
            ObjectMapper json) {
        this.failovers = failovers;
        this.plans = plans;
        this.jobActions = jobActions;
        this.validator = validator;
        this.json = json;
        this.canonical = json.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    }

    /**
     * Answers the job the operation started, or null for the operations that start none (registering a VM running
     * in Azure, saving or deleting a recovery plan).
     *
     * @param requestId null to run without idempotency
     * @param startedBy who asks: a token's subject, or the interface that carried the request; a job it starts names it
     * @param properties the REST body's {@code properties}, or null where the operation takes none
     */
    public Uni<ReplicationJob> start(String requestId, String startedBy, Operation operation, String target, JsonNode properties) {
        // Another transaction changed the same item or plan first (a sync event, the replication scheduler): the
        // whole operation runs again on fresh rows, in a new transaction, rather than failing the request.
        return Uni.createFrom().deferred(() -> Panache.withTransaction(() -> startInTransaction(requestId, startedBy, operation, target, properties)))
                .onFailure(Operations::isConcurrentChange).retry().withBackOff(Duration.ofMillis(50), Duration.ofMillis(500)).atMost(5)
                .invoke(job -> started(operation, target, job));
    }

    /**
     * Names the job in what the request logs from now on and in its trace (as span attributes), and logs the start:
     * the first line of the job's story, in the trace that sync-service's run continues.
     */
    private static void started(Operation operation, String target, ReplicationJob job) {
        if (job == null) {
            return;
        }
        MDC.put("jobName", job.name);
        Span.current().setAttribute("failback.job.name", job.name).setAttribute("failback.target", target);
        LOG.infof("%s of %s: job %s %s", operation, target, job.name, job.state);
    }

    private static boolean isConcurrentChange(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.hibernate.StaleStateException || cause instanceof jakarta.persistence.OptimisticLockException) {
                return true;
            }
        }
        return false;
    }

    private Uni<ReplicationJob> startInTransaction(String requestId, String startedBy, Operation operation, String target,
            JsonNode properties) {
        if (requestId == null) {
            return dispatch(operation, target, properties).invoke(job -> nameStarter(job, startedBy));
        }
        if (requestId.isBlank() || requestId.length() > 200) {
            return Uni.createFrom().failure(ProblemException.badRequest("InvalidRequestId", "a request id is 1 to 200 characters"));
        }
        String fingerprint = fingerprint(operation, target, properties);
        return OperationRequestRecord.<OperationRequestRecord>findById(requestId).chain(seen -> {
            if (seen != null) {
                if (!seen.fingerprint.equals(fingerprint)) {
                    return Uni.createFrom().failure(new ProblemException(422, "RequestIdReused", "request id '" + requestId
                            + "' was used for " + seen.operation + " on '" + seen.target + "' with other content; use a new id"));
                }
                return seen.jobName == null ? Uni.createFrom().nullItem() : ReplicationJob.<ReplicationJob>findById(seen.jobName);
            }
            return dispatch(operation, target, properties).call(job -> {
                nameStarter(job, startedBy);
                if (job != null && job.requestId == null) {
                    job.requestId = requestId;
                }
                OperationRequestRecord record = new OperationRequestRecord();
                record.requestId = requestId;
                record.operation = operation.name();
                record.target = target;
                record.fingerprint = fingerprint;
                record.jobName = job == null ? null : job.name;
                record.startedBy = startedBy;
                record.createdAt = Instant.now();
                return record.persist();
            });
        });
    }

    /** A job is named after whoever started it; resuming or cancelling it later does not rename it. */
    private static void nameStarter(ReplicationJob job, String startedBy) {
        if (job != null && job.startedBy == null) {
            job.startedBy = startedBy;
        }
    }

    private Uni<ReplicationJob> dispatch(Operation operation, String target, JsonNode properties) {
        return switch (operation) {
            case EnableProtection -> failovers.register(target, body(properties, RegisterItemRequest.class))
                    .chain(item -> item.currentScenarioJobName == null ? Uni.createFrom().<ReplicationJob>nullItem()
                            : ReplicationJob.<ReplicationJob>findById(item.currentScenarioJobName));
            case PutRecoveryPlan -> plans.save(target, body(properties, RecoveryPlanRequest.class)).map(saved -> (ReplicationJob) null);
            case DeleteRecoveryPlan -> plans.delete(target).map(deleted -> (ReplicationJob) null);
            case PlannedFailover -> failovers.plannedFailover(target, body(properties, PlannedFailoverRequest.class));
            case UnplannedFailover -> failovers.unplannedFailover(target, body(properties, ItemOperationRequests.UnplannedFailover.class));
            case TestFailover -> failovers.testFailover(target, body(properties, ItemOperationRequests.TestFailover.class));
            case TestFailoverCleanup -> failovers.testFailoverCleanup(target, optionalBody(properties, ItemOperationRequests.TestFailoverCleanup.class));
            case RepairReplication -> failovers.repairReplication(target);
            case DisableProtection -> failovers.disableProtection(target, optionalBody(properties, ItemOperationRequests.DisableProtection.class));
            case RestartJob -> failovers.restart(target);
            case FailoverCommit -> failovers.failoverCommit(target);
            case FailoverCancel -> failovers.failoverCancel(target);
            case Reprotect -> failovers.reprotect(target);
            case ResumeJob -> jobActions.resume(target);
            case CancelJob -> jobActions.cancel(target);
            case RecoveryPlanPlannedFailover -> plans.plannedFailover(target, body(properties, PlannedFailoverRequest.class));
            case RecoveryPlanFailoverCommit -> plans.failoverCommit(target);
            case RecoveryPlanReprotect -> plans.reprotect(target);
            case RecoveryPlanUnplannedFailover -> plans.unplannedFailover(target, body(properties, ItemOperationRequests.UnplannedFailover.class));
            case RecoveryPlanTestFailover -> plans.testFailover(target, body(properties, ItemOperationRequests.TestFailover.class));
            case RecoveryPlanTestFailoverCleanup -> plans.testFailoverCleanup(target,
                    optionalBody(properties, ItemOperationRequests.TestFailoverCleanup.class));
        };
    }

    private <T> T optionalBody(JsonNode properties, Class<T> type) {
        return properties == null || properties.isNull() ? null : body(properties, type);
    }

    /** The body as the REST API would read it: {@code {"properties": ...}}, with the same validation. */
    private <T> T body(JsonNode properties, Class<T> type) {
        if (properties == null || properties.isNull()) {
            throw ProblemException.badRequest("MissingProperties", "this operation needs the request's properties");
        }
        T body;
        try {
            body = json.treeToValue(json.createObjectNode().set("properties", properties), type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw ProblemException.badRequest("UnreadableProperties", "the properties are not what this operation takes: "
                    + e.getMessage());
        }
        Set<ConstraintViolation<T>> violations = validator.validate(body);
        if (!violations.isEmpty()) {
            io.failback.contracts.site.Problem problem = ProblemException.invalid(violations);
            throw new ProblemException(problem.status(), problem.type(), problem.detail());
        }
        return body;
    }

    private String fingerprint(Operation operation, String target, JsonNode properties) {
        try {
            String content = operation + "\n" + target + "\n" + canonical.writeValueAsString(canonical.treeToValue(
                    properties == null ? json.nullNode() : properties, Object.class));
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(StandardCharsets.UTF_8)));
        } catch (JsonProcessingException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
