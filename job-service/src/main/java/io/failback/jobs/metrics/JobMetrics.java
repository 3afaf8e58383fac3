package io.failback.jobs.metrics;

import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * How long jobs and their tasks took, for Prometheus (docs/metrics.md): recorded once, by the instance whose
 * transaction ended the job, after it committed. What the database holds now (jobs by state, the outbox, heartbeats,
 * recovery points) is {@link StoredStateGauges}'.
 */
@ApplicationScoped
public class JobMetrics {
    /**
     * The histograms' buckets: from a task that only checks something (tens of milliseconds) to a download of a large
     * disk over a WAN (hours). Seventeen, where Micrometer's percentile histogram has seventy per series.
     */
    private static final Duration[] BUCKETS = java.util.stream.DoubleStream.of(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
            600, 1800, 3600, 7200, 21600).mapToObj(seconds -> Duration.ofMillis((long) (seconds * 1000))).toArray(Duration[]::new);

    private final MeterRegistry registry;

    public JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The job ended just now (its transaction committed): its time and its tasks' times, by how each ended. */
    public void ended(ReplicationJob job) {
        if (job == null || job.startTime == null || job.endTime == null) {
            return;
        }
        Timer.builder("failback.job.duration")
                .description("Time from a job's start to its end (a ForDownTime job's suspension included)")
                .tag("scenario", job.scenarioName).tag("state", job.state.name())
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(Duration.between(job.startTime, job.endTime));
        for (JobTask task : job.tasks()) {
            if (task.startTime() == null || task.endTime() == null) {
                continue;
            }
            Timer.builder("failback.task.duration")
                    .description("Time from a task's start to its end")
                    .tag("scenario", job.scenarioName).tag("task", task.name()).tag("state", task.state().name())
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry)
                    .record(Duration.between(task.startTime(), task.endTime()));
        }
    }
}
