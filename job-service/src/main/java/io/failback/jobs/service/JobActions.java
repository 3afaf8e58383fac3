package io.failback.jobs.service;

import io.failback.jobs.domain.ReplicationJob;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.BiFunction;

/**
 * Resume and Cancel of a job by name, whoever owns it: a recovery plan's job is its plan's to act on (which acts on
 * its items' jobs in turn), an item's job is {@link FailoverService}'s. Kept apart from both so that neither needs the
 * other: plans drive items, never the reverse.
 */
@ApplicationScoped
public class JobActions {
    private final FailoverService failovers;
    private final RecoveryPlanService plans;

    public JobActions(FailoverService failovers, RecoveryPlanService plans) {
        this.failovers = failovers;
        this.plans = plans;
    }

    /** "Complete Failover" of a suspended job. */
    @WithTransaction
    public Uni<ReplicationJob> resume(String jobName) {
        return act(jobName, RecoveryPlanService::resume, FailoverService::resume);
    }

    @WithTransaction
    public Uni<ReplicationJob> cancel(String jobName) {
        return act(jobName, RecoveryPlanService::cancel, FailoverService::cancel);
    }

    private Uni<ReplicationJob> act(String jobName, BiFunction<RecoveryPlanService, ReplicationJob, Uni<ReplicationJob>> onPlanJob,
            BiFunction<FailoverService, ReplicationJob, Uni<ReplicationJob>> onItemJob) {
        return ReplicationJob.<ReplicationJob>findById(jobName)
                .onItem().ifNull().failWith(() -> FailoverService.jobNotFound(jobName))
                .chain(job -> RecoveryPlanService.isPlanJob(job) ? onPlanJob.apply(plans, job) : onItemJob.apply(failovers, job));
    }
}
