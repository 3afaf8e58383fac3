package io.failback.jobs.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.messaging.ChangeNotifications;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Gives a running job back to sync-service when sync-service has been silent for longer than the lease: a crash or
 * a restart there loses no job. The command goes out again under a new id through the outbox; events of the old
 * command are stale from then on. A sync-service that is in fact still at work adopts the new id.
 * <p>
 * Each pass works out when the quietest running job's lease runs out and runs again then; a job starting or changing
 * state wakes it through the job's notification, and the safety-net timer covers a notification missed.
 * <p>
 * A job-service that just started has not read what sync-service sent while it was away: its consumer gets its
 * partitions back only once the group lets go of the instance that died (the session timeout, 15 s, and a join).
 * Until {@code failback.job-lease-catch-up} (30 s) after the start, no job counts as silent, so that a run that
 * finished meanwhile is not sent again.
 */
@Startup
@ApplicationScoped
public class JobRedriver {
    private static final Logger LOG = Logger.getLogger(JobRedriver.class);

    /** A started job only moves the next lease end, a minute or so away: no hurry. */
    private static final Duration SETTLE = Duration.ofSeconds(1);

    /** The health error code of an item whose job was given back because sync-service went silent. */
    static final String SYNC_SERVICE_SILENT = "SyncServiceSilent";
    private static final String SILENT = "sync-service silent since ";

    private final FailoverService failovers;
    private final JobServiceConfig config;
    private final ObjectMapper json;
    private final Instant started = Instant.now();

    public JobRedriver(FailoverService failovers, JobServiceConfig config, ObjectMapper json, ChangeDrivenPasses passes) {
        this.failovers = failovers;
        this.config = config;
        this.json = json;
        passes.start("job redriver", SETTLE, this::redriveSilentJobs, ChangeNotifications.JOB_STATE);
    }

    /** Re-drives the jobs silent for longer than the lease; answers when the next lease runs out (null if none runs). */
    private Uni<Instant> redriveSilentJobs() {
        Instant silentSince = Instant.now().minus(config.jobLease());
        return Panache.withTransaction(() -> ReplicationJob.<ReplicationJob>list(
                "state = ?1 and currentCommand is not null", JobState.InProgress)
                .chain(jobs -> redrive(jobs.stream().filter(job -> job.lastActivityAt != null && heardFrom(job).isBefore(silentSince))
                                .toList())
                        // A job given back just now had its activity reset by the new command.
                        .map(ignored -> jobs.stream().filter(job -> job.lastActivityAt != null).map(this::heardFrom)
                                .map(heard -> heard.plus(config.jobLease())).min(Comparator.naturalOrder()).orElse(null))));
    }

    /** When sync-service was last heard of on the job, as far as this instance can tell (see the class comment). */
    private Instant heardFrom(ReplicationJob job) {
        Instant caughtUp = started.plus(config.jobLeaseCatchUp());
        return job.lastActivityAt.isAfter(caughtUp) ? job.lastActivityAt : caughtUp;
    }

    private Uni<Integer> redrive(List<ReplicationJob> jobs) {
        if (jobs.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Multi.createFrom().iterable(jobs)
                .onItem().transformToUniAndConcatenate(job -> {
                    SyncCommand previous;
                    try {
                        previous = json.readValue(job.currentCommand, SyncCommand.class);
                    } catch (JsonProcessingException e) {
                        return Uni.createFrom().failure(e);
                    }
                    SyncCommand again = previous.reissued(UUID.randomUUID().toString(), Instant.now());
                    LOG.infof("job %s: sync-service silent since %s; command sent again as %s (attempt %d)", job.name,
                            job.lastActivityAt, again.commandId(), job.attempts + 1);
                    for (JobTask task : job.tasks()) {
                        job.updateTask(task.name(), JobTask::withSequenceReset);
                    }
                    // Until the new command's first event, the job, its running tasks and its item say what it waits for.
                    // Given back again while still silent: the silence began with the first time.
                    String waitingFor = job.waitsForAPart() && job.stateDescription.startsWith(JobTask.WAITING_PREFIX + SILENT)
                            ? job.stateDescription.substring(JobTask.WAITING_PREFIX.length())
                            : SILENT + job.lastActivityAt + "; the job was given back to it";
                    Instant now = Instant.now();
                    for (JobTask task : job.tasks()) {
                        if (task.state() == JobState.InProgress) {
                            job.updateTask(task.name(), running -> running.waiting(now, waitingFor, running.lastSequence(), false));
                        }
                    }
                    job.waitFor(waitingFor);
                    return failovers.issue(job, again)
                            .call(() -> SyncEventHandler.waitsOn(job, SYNC_SERVICE_SILENT, waitingFor));
                })
                .collect().asList()
                .map(List::size);
    }
}
