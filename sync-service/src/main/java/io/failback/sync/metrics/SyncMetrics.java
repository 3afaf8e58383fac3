package io.failback.sync.metrics;

import io.failback.contracts.messaging.SyncTask;
import io.failback.sync.runs.CopySlots;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What sync-service counts for Prometheus (docs/metrics.md): the bytes its block streams carry, by the task that moves
 * them (which says the direction: {@code DataSynchronization} and {@code FinalDeltaSynchronization} go from Azure to
 * on-premises, {@code ReplicateToAzure} the other way), and its copy slots.
 */
public final class SyncMetrics {
    /** The meters of one task's block streams. */
    public record StreamMeters(Counter sentBytes, Counter coveredBytes) {
        /** {@code bytes} more written to the target's socket: frames as they travel, compressed or not. */
        public void sent(long bytes) {
            sentBytes.increment(bytes);
        }

        /**
         * {@code bytes} more of the disk the stream has covered: whole blocks, zero runs and sent pages. A relay asked
         * again for version 1 starts its count over, a step back that is not counted.
         */
        public void covered(long bytes) {
            if (bytes > 0) {
                coveredBytes.increment(bytes);
            }
        }
    }

    private final MeterRegistry registry;
    /** Registered at a task's first stream: only the tasks that copy blocks get series. */
    private final Map<SyncTask, StreamMeters> byTask = new ConcurrentHashMap<>();

    public SyncMetrics(MeterRegistry registry, CopySlots slots) {
        this.registry = registry;
        Gauge.builder("failback.copies.running", slots, CopySlots::inUse)
                .description("Copies this instance runs now").register(registry);
        Gauge.builder("failback.copies.waiting", slots, CopySlots::waiting)
                .description("Copies waiting for one of this instance's copy slots").register(registry);
        Gauge.builder("failback.copies.slots", slots, CopySlots::capacity)
                .description("Copies this instance runs at once at most").register(registry);
    }

    /** Where a proof's target disks are: the on-premises host (a failback) or Azure's replica (replication). */
    public enum ProofTarget { OnPremises, Azure }

    /**
     * A proof of a VM's disks ended: both sites digested every disk and the digests were compared. {@code proven}
     * false when a pair differed or a site could not answer; a mismatch is also the job's failure, told by its event.
     */
    public void proof(ProofTarget target, Duration took, boolean proven) {
        Timer.builder("failback.proof.duration")
                .description("Time to prove a VM's disks equal on both sites by their digests")
                .tag("target", target.name()).tag("outcome", proven ? "proven" : "failed")
                .serviceLevelObjectives(PROOF_BUCKETS)
                .register(registry)
                .record(took);
    }

    /** 100 ms to 30 min: a proof rehashes only what changed since the last, or a whole disk the first time. */
    private static final Duration[] PROOF_BUCKETS = {Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30)};

    public StreamMeters stream(SyncTask task) {
        return byTask.computeIfAbsent(task, this::register);
    }

    private StreamMeters register(SyncTask task) {
        return new StreamMeters(
                Counter.builder("failback.blockstream.sent").baseUnit("bytes").tag("task", task.name())
                        .description("Block-stream bytes this instance relayed to the target site, framing included")
                        .register(registry),
                Counter.builder("failback.blockstream.covered").baseUnit("bytes").tag("task", task.name())
                        .description("Disk bytes the relayed block streams covered (blocks, zero runs and pages sent)")
                        .register(registry));
    }
}
