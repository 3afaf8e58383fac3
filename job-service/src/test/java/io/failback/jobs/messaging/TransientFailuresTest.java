package io.failback.jobs.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.contracts.site.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** How long a consumed record is tried again, by what made it fail. */
class TransientFailuresTest {
    private static final Duration QUICK = Duration.ofMillis(1);
    /** Far more tries than any other failure gets: the database stays away longer than the record's patience. */
    private static final int LONG_OUTAGE = TransientFailures.ATTEMPTS * 4;

    @Test
    void aRecordWaitsForADatabaseThatIsAwayHoweverLongItTakes() {
        for (RuntimeException away : new RuntimeException[] {new RuntimeException(new ConnectException("Connection refused")),
                ClosedConnectionException.INSTANCE, new PgException("terminating connection due to administrator command",
                        "FATAL", "57P01", null)}) {
            AtomicInteger tries = new AtomicInteger();

            String applied = TransientFailures.<String>retried(failingTimes(LONG_OUTAGE, away, tries), QUICK, QUICK).await().indefinitely();

            assertEquals("applied", applied);
            assertEquals(LONG_OUTAGE + 1, tries.get(), "tried until the database was back: " + away);
        }
    }

    @Test
    void anyOtherTransientFailureGivesUpSoThatABugCannotHoldThePartition() {
        AtomicInteger tries = new AtomicInteger();

        assertThrows(IllegalStateException.class, () -> TransientFailures.<String>retried(
                failingTimes(LONG_OUTAGE, new IllegalStateException("row changed meanwhile"), tries), QUICK, QUICK).await().indefinitely());

        assertEquals(TransientFailures.ATTEMPTS + 1, tries.get());
    }

    @Test
    void aRecordRefusedForWhatItIsFailsAtOnce() {
        AtomicInteger tries = new AtomicInteger();

        assertThrows(ProblemException.class, () -> TransientFailures.<String>retried(
                failingTimes(LONG_OUTAGE, new ProblemException(422, "Invalid", "no such item"), tries), QUICK, QUICK).await().indefinitely());

        assertEquals(1, tries.get());
    }

    private static Supplier<Uni<? extends String>> failingTimes(int failures, RuntimeException failure, AtomicInteger tries) {
        return () -> tries.incrementAndGet() <= failures ? Uni.createFrom().failure(failure) : Uni.createFrom().item("applied");
    }
}
