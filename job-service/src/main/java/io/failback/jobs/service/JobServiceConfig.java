package io.failback.jobs.service;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "failback")
public interface JobServiceConfig {
    /**
     * A host whose last heartbeat is older than this is NotConnected, and failback to it is refused. Longer than a
     * crashed job-service is deaf: its successor gets the heartbeat partitions back only after the Kafka session
     * timeout (15 s) and a join, and the newest heartbeat it then reads may be one interval (5 s) older than the
     * crash. At 15 s every host looked lost for a moment after each job-service crash, and a Resume sent then was
     * refused (ProcessFaultsIT saw it).
     */
    @WithDefault("30s")
    Duration providerHeartbeatTimeout();

    /**
     * A running job whose sync-service has been silent this long (it reports progress every second while it copies)
     * is handed to sync-service again: a crashed sync-service loses no job, and the copy resumes where it was durable.
     */
    @WithDefault("60s")
    Duration jobLease();

    /**
     * After a start, how long no job counts as silent: the sync-events consumer first gets its partitions back (the
     * session timeout of the instance that died, and a join) and reads what sync-service sent meanwhile.
     */
    @WithDefault("30s")
    Duration jobLeaseCatchUp();

    /**
     * How often a Protected item replicates its changes to Azure (Hyper-V Replica offers 30 seconds, 5 and 15
     * minutes): the RPO is at most about this plus the time one cycle takes.
     */
    @WithDefault("30s")
    Duration replicationInterval();

    /**
     * Work follows from the database's change notifications; this slow timer runs each pass (outbox relay, state-change
     * feed, recovery plans, replication scheduler, redriver, job event streams) in case a notification was missed.
     * The {@code @Scheduled} safety net (ChangeDrivenPasses) reads it as {@code failback.safety-net-interval} too.
     */
    @WithDefault("30s")
    Duration safetyNetInterval();

    /**
     * Catch-up while a ForDownTime failback is suspended (issue #17): rounds that keep the on-premises disks close to
     * the Azure VM, which goes on writing until "Complete Failover", so that phase 2 sends only what was written since
     * the last round.
     */
    CatchUp catchUp();

    interface CatchUp {
        /** Off: the job waits as before, and phase 2 sends everything written since phase 1's snapshot. */
        @WithDefault("true")
        boolean enabled();

        /**
         * The longest rest between one round's end and the next one's start, so that a suspended job does not read
         * the Azure VM's disks without a break nor hold a copy slot other jobs wait for. A VM that writes little gets
         * a round this often.
         */
        @WithDefault("5s")
        Duration pause();

        /**
         * A round starts sooner, once the VM has written about this much since the last round's snapshot (at the rate
         * that round measured): what phase 2 would have to send beyond one round's writes, so the downtime of
         * Complete Failover stays about the same whenever it is pressed, however fast the VM writes.
         */
        @WithDefault("8M")
        MemorySize maxBehind();
    }

    /** azure-sim's management API, asked for disk metrics when estimating a failback. */
    String azureUrl();

    /** TLS between services (issue #16, docs/security.md): how job-service calls azure-sim and the hosts. */
    InternalTls internalTls();

    interface InternalTls {
        /** Whether calls to the sites are HTTPS with this service's certificate (FAILBACK_INTERNAL_TLS). */
        @WithDefault("false")
        boolean enabled();

        /** This service's certificate, PEM (FAILBACK_INTERNAL_TLS_CERT). */
        Optional<String> certificate();

        /** Its private key, PEM (FAILBACK_INTERNAL_TLS_KEY): a file, never the key itself. */
        Optional<String> key();

        /** The internal CA, PEM, trusted for azure-sim (FAILBACK_INTERNAL_TLS_CA). */
        Optional<String> ca();

        /** The hosts CA, PEM, trusted for the hosts (FAILBACK_HOSTS_CA). */
        Optional<String> hostsCa();

        /** The CN azure-sim's certificate must have. */
        @WithDefault("azure-sim")
        String azureIdentity();
    }
}
