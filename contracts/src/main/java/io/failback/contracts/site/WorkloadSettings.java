package io.failback.contracts.site;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * What a running simulated VM writes to its disks: how often, how much, where; seeded, so that the same settings
 * write the same sequence of writes.
 *
 * @param writesPerSecond 0 makes the VM idle
 * @param writeSizeBytes a multiple of 4096
 * @param pattern RandomSmall: anywhere on the disk; Sequential: one run after another, wrapping; HotSpot: 90% of the
 *            writes into 5% of the disk
 */
public record WorkloadSettings(
        @NotNull WritePattern pattern,
        @Min(0) @Max(100_000) int writesPerSecond,
        @Min(4096) @Max(4 << 20) int writeSizeBytes,
        long seed) {

    public enum WritePattern {
        RandomSmall,
        Sequential,
        HotSpot
    }

    public static final WorkloadSettings DEFAULT = new WorkloadSettings(WritePattern.RandomSmall, 50, 4096, 1);
    public static final WorkloadSettings IDLE = new WorkloadSettings(WritePattern.RandomSmall, 0, 4096, 1);

    public WorkloadSettings {
        if (writeSizeBytes % 4096 != 0) {
            throw new IllegalArgumentException("writeSizeBytes must be a multiple of 4096, got " + writeSizeBytes);
        }
    }
}
