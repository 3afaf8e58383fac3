package io.failback.jobs.service;

import io.failback.jobs.messaging.ChangeNotifications;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * How job-service's passes over the database (outbox relay, state-change feed, plan orchestrator, replication
 * scheduler, redriver) are woken: by the change notifications of their channels, once each time listening (re)starts
 * (a notification may have been missed), and by one safety-net timer for them all.
 */
@ApplicationScoped
public class ChangeDrivenPasses {
    private final Vertx vertx;
    private final ChangeNotifications notifications;
    private final List<CoalescedPass> passes = new CopyOnWriteArrayList<>();

    public ChangeDrivenPasses(Vertx vertx, ChangeNotifications notifications) {
        this.vertx = vertx;
        this.notifications = notifications;
    }

    /** A {@link CoalescedPass} woken as above; {@code settle} as there, {@code channels} those of {@link ChangeNotifications}. */
    public CoalescedPass start(String name, Duration settle, Supplier<Uni<Instant>> pass, String... channels) {
        CoalescedPass started = new CoalescedPass(name, vertx, settle, pass);
        for (String channel : channels) {
            notifications.listen(channel, ignored -> started.runAfterSettling());
        }
        notifications.onListening(started::runSoon);
        passes.add(started);
        return started;
    }

    /** Wakes a started pass on more channels too, {@code settle} after the first of their notifications. */
    public void alsoOn(CoalescedPass pass, Duration settle, String... channels) {
        Runnable wake = pass.settlingFor(settle);
        for (String channel : channels) {
            notifications.listen(channel, ignored -> wake.run());
        }
    }

    /**
     * The safety net. The first comes a whole interval after the start: the catch-up run when the notification
     * listener connects covers the start.
     */
    @Scheduled(every = "${failback.safety-net-interval:30s}", delayed = "${failback.safety-net-interval:30s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sweep() {
        passes.forEach(CoalescedPass::runSoon);
    }
}
