package io.failback.jobs.messaging;

import io.failback.contracts.site.ProblemException;
import io.failback.jobs.repository.DatabaseAway;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * What a consumer does when applying a good record fails for a reason outside the record: the database restarting,
 * its pool closing while job-service shuts down, a row changed by a concurrent transaction. Such a record is applied
 * again, with back-off, instead of going to the dead-letter topic; while it waits its offset is not committed, so a
 * job-service that stops meanwhile gets it again at its next start (appliers are idempotent). A record that fails
 * for what it is (unreadable, invalid, refused) fails at once and goes to the dead-letter topic.
 * <p>
 * While the database is away ({@link DatabaseAway}) a record waits for it however long that takes: nothing could be
 * applied meanwhile, and dead-lettering a good event would lose it. Any other failure gives up after about 40 s of
 * tries and dead-letters the record, so that a bug cannot hold a partition forever. (The channels' throttled commit
 * tolerates a record held up to 15 minutes before it reports the channel unhealthy; see application.properties.)
 */
final class TransientFailures {
    private static final Duration FIRST_BACK_OFF = Duration.ofMillis(100);
    private static final Duration MAX_BACK_OFF = Duration.ofSeconds(5);
    static final int ATTEMPTS = 16;

    private TransientFailures() {
    }

    static <T> Uni<T> retried(Supplier<Uni<? extends T>> work) {
        return retried(work, FIRST_BACK_OFF, MAX_BACK_OFF);
    }

    static <T> Uni<T> retried(Supplier<Uni<? extends T>> work, Duration firstBackOff, Duration maxBackOff) {
        return Uni.createFrom().<T>deferred(work)
                .onFailure(DatabaseAway::isDatabaseAway).retry().withBackOff(firstBackOff, maxBackOff).indefinitely()
                .onFailure(TransientFailures::isTransient).retry().withBackOff(firstBackOff, maxBackOff).atMost(ATTEMPTS);
    }

    static boolean isTransient(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof IllegalArgumentException || cause instanceof ProblemException
                    || cause instanceof com.fasterxml.jackson.core.JsonProcessingException) {
                return false;
            }
        }
        return true;
    }
}
