package io.failback.sync;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

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

    /** TLS between services (issue #16, docs/security.md): how sync-service calls the sites. */
    InternalTls internalTls();

    interface InternalTls {
        /** Whether every call to a site is HTTPS with this service's certificate (FAILBACK_INTERNAL_TLS). */
        @WithDefault("false")
        boolean enabled();

        /** This service's certificate, PEM (FAILBACK_INTERNAL_TLS_CERT). */
        Optional<String> certificate();

        /** Its private key, PEM (FAILBACK_INTERNAL_TLS_KEY): a file, never the key itself. */
        Optional<String> key();

        /** The internal CA, PEM, trusted for azure-sim (FAILBACK_INTERNAL_TLS_CA). */
        Optional<String> ca();

        /** The hosts CA, PEM, trusted for the hosts, whose identities registration issues (FAILBACK_HOSTS_CA). */
        Optional<String> hostsCa();

        /** The CN azure-sim's certificate must have. */
        @WithDefault("azure-sim")
        String azureIdentity();
    }
}
