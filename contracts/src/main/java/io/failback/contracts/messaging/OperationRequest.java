package io.failback.contracts.messaging;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Automation → job-service, on {@link Topics#OPERATIONS}, keyed by {@code target}. Version
 * {@link ContractVersions#OPERATION_REQUEST}. Each operation is the REST API's, with the same body.
 * <p>
 * {@code requestId} makes it idempotent: a request delivered again (or sent again by the client) with the same id
 * and the same content is answered with the job the first one started; the same id with different content is
 * rejected. REST's {@code Idempotency-Key} header shares these ids. The outcome goes to
 * {@link Topics#OPERATION_RESULTS}; the job's progress to {@link Topics#STATE_CHANGES}, both carrying the id.
 *
 * @param target the protected item's name; for {@link Operation#ResumeJob} and {@link Operation#CancelJob} the job's;
 *            for the RecoveryPlan operations the plan's
 * @param properties the REST body's {@code properties} (plannedFailover, enableProtection); null where REST has none
 */
public record OperationRequest(int schemaVersion, String requestId, Operation operation, String target, JsonNode properties) {

    public enum Operation {
        /**
         * PUT /api/replicationProtectedItems/{target}: with activeLocation Primary, enable protection (a job); with
         * Recovery, register a VM running in Azure (no job: the result's jobName is null).
         */
        EnableProtection,
        /** PUT /api/replicationRecoveryPlans/{target}, properties as its body's; starts no job. */
        PutRecoveryPlan,
        /** DELETE /api/replicationRecoveryPlans/{target}; starts no job. */
        DeleteRecoveryPlan,
        PlannedFailover,
        UnplannedFailover,
        FailoverCommit,
        /** Undo a failover that is not committed. */
        FailoverCancel,
        /** Reverse Replicate. */
        Reprotect,
        /** Properties as REST's testFailover body: a test VM in Azure from the latest recovery point. */
        TestFailover,
        /** Properties {@code {comments}} or null. */
        TestFailoverCleanup,
        /** Resynchronize an unhealthy replication. */
        RepairReplication,
        /** REST's {@code remove}; properties {@code {disableProtectionReason}} or null. */
        DisableProtection,
        /** Target: a failed job, run again. */
        RestartJob,
        /** "Complete Failover" of a suspended job. */
        ResumeJob,
        CancelJob,
        /** Target: a recovery plan. The same body as PlannedFailover; one job for the plan. */
        RecoveryPlanPlannedFailover,
        /** The same body as UnplannedFailover; one job for the plan. */
        RecoveryPlanUnplannedFailover,
        /** The same body as TestFailover; one job for the plan. */
        RecoveryPlanTestFailover,
        /** The same body as TestFailoverCleanup, or null. */
        RecoveryPlanTestFailoverCleanup,
        RecoveryPlanFailoverCommit,
        RecoveryPlanReprotect
    }
}
