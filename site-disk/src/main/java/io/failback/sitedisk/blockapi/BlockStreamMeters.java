package io.failback.sitedisk.blockapi;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;

/**
 * What a site's block API counts (docs/metrics.md), in Micrometer's global registry: the service's Prometheus registry
 * joins it, and a test or tool without one counts into nothing that matters. The bytes are the block streams' bodies
 * as they travel (frames, compressed or not), so that what sync-service relayed and what the target received compare
 * one to one.
 */
final class BlockStreamMeters {
    static final Counter RECEIVED = Counter.builder("failback.blockstream.received").baseUnit("bytes")
            .description("Block-stream bytes this site received and wrote to its disks (POST .../blocks)")
            .register(Metrics.globalRegistry);
    static final Counter SERVED = Counter.builder("failback.blockstream.served").baseUnit("bytes")
            .description("Block-stream bytes this site served from its disks (GET .../blocks, POST .../blocks/select)")
            .register(Metrics.globalRegistry);
    static final Counter CHECKPOINTS = Counter.builder("failback.copy.checkpoints")
            .description("Durable checkpoints resumable copies recorded into this site's disks (how far each is made durable)")
            .register(Metrics.globalRegistry);

    private BlockStreamMeters() {
    }
}
