package io.failback.jobs.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Pauses the periodic work (outbox relay, state-change feed, replication scheduler, job redriver, plan orchestrator)
 * as job-service begins to stop, so that none of it starts against a database pool that is closing. What they would
 * have done is in the database, and the next start (of this or another replica) does it.
 */
@ApplicationScoped
class QuietShutdown {
    void pausePeriodicWork(@Observes ShutdownEvent event, Scheduler scheduler) {
        scheduler.pause();
    }
}
