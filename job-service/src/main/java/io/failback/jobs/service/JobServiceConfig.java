package io.failback.jobs.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "failback")
public interface JobServiceConfig {
    /** A host whose last heartbeat is older than this is NotConnected, and failback to it is refused. */
    @WithDefault("15s")
    Duration providerHeartbeatTimeout();
}
