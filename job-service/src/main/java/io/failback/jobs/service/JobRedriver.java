package io.failback.jobs.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Gives a running job back to sync-service when sync-service has been silent for longer than the lease: a crash or
 * a restart there loses no job. The command goes out again under a new id through the outbox; events of the old
 * command are stale from then on. A sync-service that is in fact still at work adopts the new id.
 */
@ApplicationScoped
public class JobRedriver {
    private static final Logger LOG = Logger.getLogger(JobRedriver.class);

    private final FailoverService failovers;
    private final JobServiceConfig config;
    private final ObjectMapper json;
    private final OutboxRelay relay;

    public JobRedriver(FailoverService failovers, JobServiceConfig config, ObjectMapper json, OutboxRelay relay) {
        this.failovers = failovers;
        this.config = config;
        this.json = json;
        this.relay = relay;
    }

    @Scheduled(every = "5s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> redriveSilentJobs() {
        Instant silentSince = Instant.now().minus(config.jobLease());
        return Panache.withTransaction(() -> ReplicationJob.<ReplicationJob>list(
                "state = ?1 and currentCommand is not null and lastActivityAt < ?2", JobState.InProgress, silentSince)
                .chain(this::redrive))
                .invoke(count -> {
                    if (count > 0) {
                        relay.relaySoon();
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("re-driving silent jobs failed: %s; will retry", e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
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
                    return failovers.issue(job, again);
                })
                .collect().asList()
                .map(List::size);
    }
}
