package io.failback.sync.runs;

import io.failback.sync.sites.SiteCallException;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * How a task waits for a site that is away: hosts reboot, pods are rescheduled, links drop, and Site Recovery retries
 * such faults itself rather than failing the job. The wait probes the site with back-off (1 s, doubling, at most
 * {@link #MAX_BACKOFF}) until it answers again or the patience runs out.
 *
 * @param patience how long one outage may last before the task fails
 */
public record Patience(Vertx vertx, WebClient web, Duration patience) {
    private static final Logger LOG = Logger.getLogger(Patience.class);
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(15);
    /** An attempt that ran this long before it failed did work: its failure starts a new outage, with the full patience. */
    static final Duration WORKED_FOR_A_WHILE = Duration.ofSeconds(30);

    /** One outage: when it began and how often the task has tried since. */
    record Outage(Instant since, Instant giveUpAt, int attempts) {
        Duration nextBackoff() {
            long millis = FIRST_BACKOFF.toMillis() << Math.min(attempts, 10);
            return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
        }

        Outage retried() {
            return new Outage(since, giveUpAt, attempts + 1);
        }
    }

    Outage outageBeginningNow() {
        Instant now = Instant.now();
        return new Outage(now, now.plus(patience), 0);
    }

    Uni<Void> sleep(Duration duration) {
        return Uni.createFrom().emitter(emitter -> vertx.setTimer(Math.max(1, duration.toMillis()), id -> emitter.complete(null)));
    }

    /**
     * Whether the site answers at all: any HTTP answer but "unavailable" counts, since the probe only asks whether the
     * part is back, not whether it is ready for this very call (which the retried task finds out).
     */
    Uni<Boolean> answers(SiteCallException away) {
        return web.getAbs(away.awayPart() + "/q/health/started").timeout(5_000).send()
                .map(response -> response.statusCode() != 502 && response.statusCode() != 503 && response.statusCode() != 504)
                .onFailure().recoverWithItem(unreachable -> {
                    LOG.debugf("%s does not answer yet: %s", away.awayPart(), unreachable.getMessage());
                    return false;
                });
    }
}
