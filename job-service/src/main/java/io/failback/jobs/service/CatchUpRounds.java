package io.failback.jobs.service;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.Scenario;
import io.failback.jobs.messaging.ChangeNotifications;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Keeps suspended ForDownTime failbacks caught up (issue #17): while a job waits for "Complete Failover" and its Azure
 * VM goes on writing, a round at a time goes to sync-service ({@code SyncCommand.CatchUp}), each from the job's
 * checkpoint, once the VM has written {@code failback.catch-up.max-behind} since the last one's snapshot or a pause
 * ({@code failback.catch-up.pause}) after it ended, whichever comes first, so that phase 2 then sends only what was
 * written since the last round, about the same amount whenever Complete Failover is pressed. A round that
 * sync-service never answers (it crashed and the command was lost) is given up after the job lease, and the next one
 * goes out. Resume (phase 2) supersedes a round under way:
 * sync-service stops it, and phase 2 continues from the last checkpoint a round reported.
 * <p>
 * Every instance of job-service runs this pass; a round is issued in the transaction that records it on the job, so
 * two instances racing for one job conflict on its version and only one round goes out.
 */
@Startup
@ApplicationScoped
public class CatchUpRounds {
    private static final Logger LOG = Logger.getLogger(CatchUpRounds.class);
    /**
     * A suspension or a round's end (any change of a job's row: a round's end changes no state) is news that can wait
     * this long, since it only starts a pause; other jobs' progress wakes the pass no more often than this either.
     */
    private static final Duration SETTLE = Duration.ofMillis(500);

    private final FailoverService failovers;
    private final JobServiceConfig config;

    public CatchUpRounds(FailoverService failovers, JobServiceConfig config, ChangeDrivenPasses passes) {
        this.failovers = failovers;
        this.config = config;
        if (config.catchUp().enabled()) {
            passes.start("catch-up rounds", SETTLE, this::issueRoundsDue, ChangeNotifications.JOB);
        } else {
            LOG.info("catch-up rounds are off (failback.catch-up.enabled): a suspended failback's phase 2 sends everything"
                    + " written since its phase 1");
        }
    }

    /** Issues the rounds due now; answers when the next one is due (null when no job waits). */
    private Uni<Instant> issueRoundsDue() {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> ReplicationJob.<ReplicationJob>list("state = ?1 and dataSyncOption = ?2 and scenarioName = ?3",
                        JobState.Suspended, DataSyncOption.ForDownTime, Scenario.PlannedFailback.scenarioName())
                .chain(jobs -> {
                    List<ReplicationJob> waiting = jobs.stream().filter(job -> job.details.checkpoint() != null).toList();
                    List<Instant> nextDue = new ArrayList<>();
                    List<ReplicationJob> due = new ArrayList<>();
                    for (ReplicationJob job : waiting) {
                        Instant at = dueAt(job);
                        if (at.isAfter(now)) {
                            nextDue.add(at);
                        } else {
                            due.add(job);
                        }
                    }
                    return Multi.createFrom().iterable(due)
                            // Issued: due again when its lease runs out (dueAt). Not issued (its host is away, or the
                            // item moved on): look again a pause from now.
                            .onItem().transformToUniAndConcatenate(job -> failovers.issueCatchUpRound(job, now)
                                    .invoke(issued -> nextDue.add(issued ? dueAt(job) : now.plus(config.catchUp().pause()))))
                            .collect().asList()
                            .map(ignored -> nextDue.stream().min(Comparator.naturalOrder()).orElse(null));
                }));
    }

    /**
     * When the job's next round is due: a pause after the suspension or the last round's end (or failure); with a
     * round under way, when the lease for it runs out.
     */
    private Instant dueAt(ReplicationJob job) {
        ReplicationJob.CatchUp catchUp = job.details.catchUp();
        if (catchUp == null) {
            Instant suspended = job.suspendedAt != null ? job.suspendedAt : Instant.now();
            return suspended.plus(config.catchUp().pause());
        }
        if (catchUp.roundCommandId() != null) {
            return catchUp.roundIssuedAt().plus(config.jobLease());
        }
        return catchUp.roundIssuedAt().plus(restAfter(catchUp, config.catchUp()));
    }

    /**
     * How long after a round's end the next one starts: when the VM, at the rate the round measured, will have written
     * {@code max-behind} since the round's snapshot, but no later than the pause. A VM that writes faster than rounds
     * send is due at once; the pass then still waits {@link #SETTLE} after the round's end, its shortest rest.
     */
    static Duration restAfter(ReplicationJob.CatchUp catchUp, JobServiceConfig.CatchUp settings) {
        Duration pause = settings.pause();
        double rate = catchUp.writtenBytesPerSecond();
        if (rate <= 0) {
            return pause;
        }
        double seconds = (settings.maxBehind().asLongValue() - catchUp.behindBytes()) / rate;
        Duration untilBehind = Duration.ofMillis(Math.round(Math.max(0, seconds) * 1000));
        return untilBehind.compareTo(pause) < 0 ? untilBehind : pause;
    }

    /**
     * The suspended job's description: how far behind the on-premises copy is, and whether the rounds keep up. The
     * operator reads it to decide when to press "Complete Failover".
     */
    static String describe(ReplicationJob job) {
        ReplicationJob.CatchUp catchUp = job.details.catchUp();
        Instant now = Instant.now();
        long behindSeconds = catchUp.copyTakenAt() == null ? 0 : Math.max(0, Duration.between(catchUp.copyTakenAt(), now).toSeconds());
        String lag = "the on-premises copy is " + behindSeconds + " s behind the Azure VM (" + megabytes(catchUp.behindBytes())
                + " MB written since; round " + catchUp.rounds() + ")"
                + (catchUp.downtimeSeconds() == null ? "" : "; Complete Failover now: about " + catchUp.downtimeSeconds() + " s down");
        if (!catchUp.converging()) {
            return ReplicationJob.fitted("Suspended, falling behind: the Azure VM writes " + megabytes((long) catchUp.writtenBytesPerSecond())
                    + " MB/s, faster than catch-up rounds send (" + megabytes(catchUp.lastRoundBytes()) + " MB in "
                    + Math.round(catchUp.lastRoundSeconds()) + " s); " + lag, 255);
        }
        return ReplicationJob.fitted("Suspended, kept caught up: " + lag, 255);
    }

    private static String megabytes(long bytes) {
        return String.valueOf(Math.round(bytes / 1e6 * 10) / 10.0);
    }
}
