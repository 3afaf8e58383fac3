package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {

    private final RestartBackoff backoff = new RestartBackoff(RestartBackoff.FIRST, RestartBackoff.CAP, RestartBackoff.STABLE);

    @Test
    void aCrashLoopWaitsTwiceAsLongEachTimeUpToTheCap() {
        List<Long> pauses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pauses.add(backoff.pauseAfterRunning(Duration.ofSeconds(3)).toSeconds());
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L), pauses);
    }

    @Test
    void aPartThatRanForAWhileStartsOverAtTheFirstPause() {
        backoff.pauseAfterRunning(Duration.ZERO);
        backoff.pauseAfterRunning(Duration.ZERO);
        assertEquals(Duration.ofSeconds(4), backoff.pauseAfterRunning(Duration.ofSeconds(59)));

        assertEquals(Duration.ofSeconds(1), backoff.pauseAfterRunning(Duration.ofMinutes(1)));
        assertEquals(Duration.ofSeconds(2), backoff.pauseAfterRunning(Duration.ofSeconds(1)));
    }
}
