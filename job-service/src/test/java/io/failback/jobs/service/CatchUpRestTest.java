package io.failback.jobs.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.jobs.domain.ReplicationJob;
import io.quarkus.runtime.configuration.MemorySize;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * How long a suspended failback rests between catch-up rounds: until its VM has written max-behind since the last
 * round's snapshot, at most the pause.
 */
class CatchUpRestTest {
    private static final long MIB = 1 << 20;
    private static final JobServiceConfig.CatchUp SETTINGS = new JobServiceConfig.CatchUp() {
        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public Duration pause() {
            return Duration.ofSeconds(5);
        }

        @Override
        public MemorySize maxBehind() {
            return new MemorySize(BigInteger.valueOf(8 * MIB));
        }
    };

    @Test
    void aHeavyWriterGetsItsNextRoundOnceItHasWrittenMaxBehind() {
        // 8 MiB/s, 2 MiB written while the round ran: 6 MiB more take 0.75 s.
        assertEquals(Duration.ofMillis(750), CatchUpRounds.restAfter(roundThatLeft(2 * MIB, 8 * MIB), SETTINGS));
    }

    @Test
    void aLightWriterOrAnIdleVmWaitsThePause() {
        assertEquals(Duration.ofSeconds(5), CatchUpRounds.restAfter(roundThatLeft(100_000, 800_000), SETTINGS));
        assertEquals(Duration.ofSeconds(5), CatchUpRounds.restAfter(roundThatLeft(0, 0), SETTINGS));
    }

    @Test
    void aWriterFasterThanTheRoundsIsDueAtOnce() {
        // It left more than max-behind: the next round goes out as soon as the pass runs.
        assertEquals(Duration.ZERO, CatchUpRounds.restAfter(roundThatLeft(40 * MIB, 80 * MIB), SETTINGS));
    }

    private static ReplicationJob.CatchUp roundThatLeft(long behindBytes, double writtenBytesPerSecond) {
        return new ReplicationJob.CatchUp(1, null, Instant.parse("2026-12-06T08:00:00Z"), Instant.parse("2026-12-06T07:59:59Z"),
                behindBytes, writtenBytesPerSecond, 10 * MIB, 0.5, 0, null, 0.2);
    }
}
