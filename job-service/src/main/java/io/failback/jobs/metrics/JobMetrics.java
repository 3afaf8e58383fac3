package io.failback.jobs.metrics;

import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long jobs and their tasks took, for Prometheus (docs/metrics.md): recorded when the state-change feed publishes
 * a job's final state, which one instance at a time does after the commit, whatever ended the job (sync-service's
 * last event, a recovery plan's last step, a failed prerequisite, a cancel). What the database holds now (jobs by
 * state, the outbox, heartbeats, recovery points) is {@link StoredStateGauges}'.
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
    /**
     * The jobs recorded lately: the feed publishes a final state again after a crash between sending and marking it,
     * and that must not count the job twice. Bounded: a repeat comes within seconds, not ten thousand jobs later.
     */
    private final Map<String, Boolean> recentlyRecorded = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
        }
    };

    public JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The job ended just now (its transaction committed): its time and its tasks' times, by how each ended. */
    public void ended(ReplicationJob job) {
        if (job == null || job.startTime == null || job.endTime == null) {
            return;
        }
        synchronized (recentlyRecorded) {
            if (recentlyRecorded.put(job.name, Boolean.TRUE) != null) {
                return;
            }
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
