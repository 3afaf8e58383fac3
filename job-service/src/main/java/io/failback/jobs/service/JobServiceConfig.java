package io.failback.jobs.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "failback")
public interface JobServiceConfig {
    /** A host whose last heartbeat is older than this is NotConnected, and failback to it is refused. */
    @WithDefault("15s")
    Duration providerHeartbeatTimeout();

    /**
     * A running job whose sync-service has been silent this long (it reports progress every second while it copies)
     * is handed to sync-service again: a crashed sync-service loses no job, and the copy resumes where it was durable.
     */
    @WithDefault("60s")
    Duration jobLease();
}
