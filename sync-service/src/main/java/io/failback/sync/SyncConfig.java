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

    /**
     * How long a task waits for a site that is away (does not answer, answers "unavailable", cut a stream) before
     * the job fails: long enough for a host to reboot or a pod to be rescheduled.
     */
    @WithDefault("10m")
    Duration patience();

    /**
     * Whether block streams cross the sites compressed where that saves bytes: {@code zstd} (the default: it pays on
     * any link slower than the sender compresses, ~450 MB/s of text per core, and the sender sends a payload whose
     * first 4 KiB do not shrink as it is), {@code lz4} (faster; on text its output is about 1.6 times zstd's) or
     * {@code off}.
     */
    @WithDefault("zstd")
    String compression();

    /**
     * How many copies (a data task's transfer and proof) this instance runs at once; the others wait in line and
     * say so in their task, the copies a VM is down for first. On a small node a copy is CPU-bound: more at once share
     * the same CPU more thinly, and starve heartbeats and job updates with them.
     */
    @WithDefault("4")
    int maxConcurrentCopies();
}
