package io.failback.jobs.arm;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Knobs of the ARM surface: how long a list page is and how soon the SDK should poll a long-running operation again. */
@ConfigMapping(prefix = "failback.arm")
public interface ArmConfig {
    /** Items and jobs per page of a list; the rest follows through {@code nextLink}. */
    @WithDefault("100")
    int pageSize();

    /**
     * The {@code Retry-After} of a long-running operation's answers: the SDK waits this long between polls. Our jobs
     * report progress every second, so a short interval costs little and makes automation feel responsive.
     */
    @WithDefault("2s")
    Duration retryAfter();
}
