package io.failback.jobs.domain;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a task's waits leave on it for the failback estimate: only a part that was away makes its duration misleading. */
class JobTaskTest {
    private static final Instant AT = Instant.parse("2026-12-06T10:00:00Z");

    @Test
    void waitingItsTurnLeavesTheTaskATeacherWhileWaitingForAPartThatWasAwayDoesNot() {
        JobTask copy = JobTask.notStarted("DataSynchronization", "copy").started(AT, 1);

        JobTask queued = copy.waiting(AT, "a copy slot", 2, true).resumed(3);
        assertFalse(queued.waitedForAPart(), "waiting for a copy slot is how copies share the link");
        assertTrue(queued.waitedItsTurn(), "and the task says it waited its turn");

        JobTask away = queued.waiting(AT, "the host", 4, false).resumed(5);
        assertTrue(away.waitedForAPart());
        assertTrue(away.waiting(AT, "a copy slot", 6, true).waitedForAPart(), "a later turn does not undo the outage");
    }
}
