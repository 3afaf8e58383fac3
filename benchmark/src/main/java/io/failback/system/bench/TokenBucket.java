package io.failback.system.bench;

/**
 * Paces bytes to a rate, as a link of that speed would: up to {@link #burstBytes} may pass at once, then each byte waits
 * its turn. Time comes from the caller, so that the arithmetic is testable without a clock.
 */
final class TokenBucket {
    private final double bytesPerSecond;
    private final long burstBytes;
    private double tokens;
    private long lastNanos;

    TokenBucket(double bytesPerSecond, long burstBytes, long nowNanos) {
        if (bytesPerSecond <= 0 || burstBytes <= 0) {
            throw new IllegalArgumentException("a rate and a burst above 0");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
        this.tokens = burstBytes;
        this.lastNanos = nowNanos;
    }

    /**
     * Takes {@code bytes} (at most the burst) and answers how many nanoseconds the caller must wait before sending
     * them; 0 when they may go now. The bytes are taken even when the caller must wait, so callers queue up in order.
     */
    synchronized long take(long bytes, long nowNanos) {
        if (bytes > burstBytes) {
            throw new IllegalArgumentException(bytes + " bytes at once is more than the burst of " + burstBytes);
        }
        tokens = Math.min(burstBytes, tokens + (nowNanos - lastNanos) * bytesPerSecond / 1e9);
        lastNanos = nowNanos;
        tokens -= bytes;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / bytesPerSecond * 1e9);
    }
}
