package io.failback.system;

import java.time.Duration;

/**
 * How long to wait before starting a crashed part again, as Kubernetes does for a crash-looping container: the
 * first restart after {@code first}, each following one after twice the pause before it, at most {@code cap}. A
 * part that ran for {@code stable} or longer before it ended counts as healthy again, and starts over at {@code first}.
 */
final class RestartBackoff {

    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration CAP = Duration.ofSeconds(30);
    static final Duration STABLE = Duration.ofMinutes(1);

    private final Duration first;
    private final Duration cap;
    private final Duration stable;
    private Duration next;

    RestartBackoff(Duration first, Duration cap, Duration stable) {
        this.first = first;
        this.cap = cap;
        this.stable = stable;
        this.next = first;
    }

    /** The pause before restarting a part that ended after running for {@code uptime}. */
    synchronized Duration pauseAfterRunning(Duration uptime) {
        if (uptime.compareTo(stable) >= 0) {
            next = first;
        }
        Duration pause = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(cap) > 0 ? cap : doubled;
        return pause;
    }
}
