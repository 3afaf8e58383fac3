package io.failback.sync.blocks;

import java.time.Duration;
import java.time.Instant;

/** A transfer rate smoothed over recent samples (exponential moving average), for progress and ETA. */
public final class RateMeter {
    private static final double SMOOTHING = 0.3;

    private Instant lastAt;
    private long lastBytes;
    private double bytesPerSecond;

    public RateMeter(Instant start, long startBytes) {
        this.lastAt = start;
        this.lastBytes = startBytes;
    }

    public synchronized double update(Instant now, long bytes) {
        double seconds = Duration.between(lastAt, now).toNanos() / 1e9;
        if (seconds > 0) {
            double sample = (bytes - lastBytes) / seconds;
            bytesPerSecond = bytesPerSecond == 0 ? sample : SMOOTHING * sample + (1 - SMOOTHING) * bytesPerSecond;
            lastAt = now;
            lastBytes = bytes;
        }
        return bytesPerSecond;
    }
}
