package io.failback.jobs.service;

import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.messaging.ChangeNotifications;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Advances each running recovery plan job from the state of its item jobs, each plan job in a transaction of its own,
 * so that one plan's trouble (or a concurrent change, retried a second later) holds up no other. It runs when any job
 * changes (a job's trigger notifies every instance at commit): an item job that ends, suspends or reports progress
 * moves its plan within a tenth of a second. Advancing a plan changes its own job, which wakes it once more to find nothing left to do.
 * Suspended plan jobs wait for Resume.
 */
@Startup
@ApplicationScoped
public class RecoveryPlanOrchestrator {
    private static final Logger LOG = Logger.getLogger(RecoveryPlanOrchestrator.class);

    /** Every job change wakes it, most of them progress: a plan moves on within a tenth of a second of its item job. */
    private static final Duration SETTLE = Duration.ofMillis(100);

    private final RecoveryPlanRunner runner;

    public RecoveryPlanOrchestrator(RecoveryPlanRunner runner, ChangeDrivenPasses passes) {
        this.runner = runner;
        passes.start("recovery plan orchestrator", SETTLE, this::advanceRunningPlans, ChangeNotifications.JOB);
    }

    /** Answers when to try again if a plan job could not be advanced, else null. */
    private Uni<Instant> advanceRunningPlans() {
        return Panache.withSession(() -> ReplicationJob.<ReplicationJob>list("state = ?1 and scenarioName in ?2", JobState.InProgress,
                RecoveryPlanService.SCENARIOS))
                .map(jobs -> jobs.stream().map(job -> job.name).toList())
                .chain(this::advanceEach);
    }

    private Uni<Instant> advanceEach(List<String> jobNames) {
        if (jobNames.isEmpty()) {
            return Uni.createFrom().nullItem();
        }
        return Multi.createFrom().iterable(jobNames)
                .onItem().transformToUniAndConcatenate(this::advance)
                .collect().asList()
                .map(advanced -> advanced.contains(false) ? Instant.now().plus(CoalescedPass.RETRY_AFTER_FAILURE) : null);
    }

    /**
     * An item job that cannot start or resume fails the plan job, in a new transaction: the one that tried rolled back.
     * Answers whether the plan job was advanced (or failed); false if it is to be tried again.
     */
    private Uni<Boolean> advance(String jobName) {
        return Panache.withTransaction(() -> runner.advance(jobName))
                .onFailure(RecoveryPlanRunner.ItemStepRefused.class)
                .recoverWithUni(refused -> Panache.withTransaction(() -> runner.fail(jobName, (RecoveryPlanRunner.ItemStepRefused) refused)))
                .replaceWith(true)
                .onFailure().invoke(e -> LOG.warnf("recovery plan job %s not advanced: %s; will retry", jobName, e.getMessage()))
                .onFailure().recoverWithItem(false);
    }
}
