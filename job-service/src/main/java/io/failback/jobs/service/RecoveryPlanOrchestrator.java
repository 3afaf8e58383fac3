package io.failback.jobs.service;

import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Every second, advances each running recovery plan job from the state of its item jobs, each plan job in a
 * transaction of its own, so that one plan's trouble (or a concurrent change, retried next time) holds up no other.
 * Suspended plan jobs wait for Resume.
 */
@ApplicationScoped
public class RecoveryPlanOrchestrator {
    private static final Logger LOG = Logger.getLogger(RecoveryPlanOrchestrator.class);

    private final RecoveryPlanRunner runner;
    private final OutboxRelay relay;

    public RecoveryPlanOrchestrator(RecoveryPlanRunner runner, OutboxRelay relay) {
        this.runner = runner;
        this.relay = relay;
    }

    @Scheduled(every = "1s", delayed = "3s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> advanceRunningPlans() {
        return Panache.withSession(() -> ReplicationJob.<ReplicationJob>list("state = ?1 and scenarioName in ?2", JobState.InProgress,
                RecoveryPlanService.SCENARIOS))
                .map(jobs -> jobs.stream().map(job -> job.name).toList())
                .chain(this::advanceEach)
                .onFailure().invoke(e -> LOG.warnf("advancing recovery plan jobs failed: %s; will retry", e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Void> advanceEach(List<String> jobNames) {
        if (jobNames.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(jobNames)
                .onItem().transformToUniAndConcatenate(this::advance)
                .collect().last()
                .invoke(relay::relaySoon) // item jobs started or resumed: send their commands now
                .replaceWithVoid();
    }

    /** An item job that cannot start or resume fails the plan job, in a new transaction: the one that tried rolled back. */
    private Uni<Void> advance(String jobName) {
        return Panache.withTransaction(() -> runner.advance(jobName))
                .onFailure(RecoveryPlanRunner.ItemStepRefused.class)
                .recoverWithUni(refused -> Panache.withTransaction(() -> runner.fail(jobName, (RecoveryPlanRunner.ItemStepRefused) refused)))
                .onFailure().invoke(e -> LOG.warnf("recovery plan job %s not advanced: %s; will retry", jobName, e.getMessage()))
                .onFailure().recoverWithNull();
    }
}
