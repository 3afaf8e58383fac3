package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The pacing of the benchmark's rate-limited link, on a clock the test turns by hand. */
class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theBurstGoesAtOnceThenEachByteWaitsItsTurnAtTheRate() {
        TokenBucket bucket = new TokenBucket(1000, 500, 0); // 1000 bytes/s, 500 at once
        assertEquals(0, bucket.take(500, 0), "the burst is free");
        assertEquals(SECOND / 10, bucket.take(100, 0), "100 more bytes wait a tenth of a second");
        assertEquals(SECOND / 10 + SECOND / 5, bucket.take(200, 0), "later callers queue behind the earlier ones");
        // After the queue has drained and a second more has passed, the bucket is full again, never fuller.
        assertEquals(0, bucket.take(500, SECOND / 10 + SECOND / 5 + 2 * SECOND));
        assertEquals(SECOND / 1000, bucket.take(1, SECOND / 10 + SECOND / 5 + 2 * SECOND));
    }

    @Test
    void aChunkLargerThanTheBurstIsRefused() {
        TokenBucket bucket = new TokenBucket(1000, 500, 0);
        assertThrows(IllegalArgumentException.class, () -> bucket.take(501, 0));
    }
}
