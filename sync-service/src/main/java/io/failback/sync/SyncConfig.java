package io.failback.sync;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "failback")
public interface SyncConfig {
    /** Base URL of azure-sim's API (the simulated Azure fabric). */
    String azureUrl();

    /** How often a running data task reports its progress. */
    @WithDefault("1s")
    Duration progressInterval();
}
