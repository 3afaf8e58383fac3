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
 * so that one plan's trouble (or a concurrent change, retried a second later) holds up no other. Of several instances
 * of job-service, one at a time advances a given plan job: the others skip it while its row is locked. It runs when a
 * job changes (a job's trigger notifies every instance at commit): an item job that starts, suspends or ends moves
 * its plan within a tenth of a second, its progress within a second. Advancing a plan changes its own job, which wakes it once more to find nothing left to do.
 * Suspended plan jobs wait for Resume.
 */
@Startup
@ApplicationScoped
public class RecoveryPlanOrchestrator {
    private static final Logger LOG = Logger.getLogger(RecoveryPlanOrchestrator.class);

    /** An item job that starts, suspends or ends moves its plan on within a tenth of a second. */
    private static final Duration SETTLE = Duration.ofMillis(100);
    /**
     * Any other job change (progress, most of them) within a second: a plan sums its items' progress, but one pass
     * reads every item job of every running plan, and a plan of 50 copying VMs changes its jobs dozens of times a
     * second; waking on each kept job-service's CPU from applying the very events the plan waited for.
     */
    private static final Duration PROGRESS_SETTLE = Duration.ofSeconds(1);

    private final RecoveryPlanRunner runner;

    public RecoveryPlanOrchestrator(RecoveryPlanRunner runner, ChangeDrivenPasses passes) {
        this.runner = runner;
        CoalescedPass pass = passes.start("recovery plan orchestrator", SETTLE, this::advanceRunningPlans, ChangeNotifications.JOB_STATE);
        passes.alsoOn(pass, PROGRESS_SETTLE, ChangeNotifications.JOB);
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
     * Locks the plan job's row for this transaction, unless another instance holds it: that one is advancing the plan
     * now, and its commit wakes every instance again. Without the lock, each instance of job-service advanced the same
     * plan at once, and all but one lost their whole transaction to the row's version (for a plan's start: every item
     * job it had started, each with its calls to the sites), over and over while the item jobs changed.
     */
    private static Uni<Boolean> lockedHere(String jobName) {
        return Panache.getSession().chain(session -> session.createNativeQuery(LOCK_UNLESS_LOCKED)
                        .setParameter("name", jobName).getResultList())
                .map(rows -> !rows.isEmpty());
    }

    private static final String LOCK_UNLESS_LOCKED = "select name from replication_job where name = :name for update skip locked";

    /**
     * An item job that cannot start or resume is recorded on the plan job, in a new transaction: the one that tried rolled back.
     * Answers whether the plan job was advanced (or failed); false if it is to be tried again.
     */
    private Uni<Boolean> advance(String jobName) {
        return Panache.withTransaction(() -> lockedHere(jobName).chain(locked -> locked ? runner.advance(jobName) : Uni.createFrom().voidItem()))
                .onFailure(RecoveryPlanRunner.ItemStepRefused.class)
                .recoverWithUni(refused -> Panache.withTransaction(() -> runner.refuse(jobName, (RecoveryPlanRunner.ItemStepRefused) refused)))
                .replaceWith(true)
                .onFailure().invoke(e -> LOG.warnf("recovery plan job %s not advanced: %s; will retry", jobName, e.getMessage()))
                .onFailure().recoverWithItem(false);
    }
}
