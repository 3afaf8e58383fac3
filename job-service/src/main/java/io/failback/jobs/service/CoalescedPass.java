package io.failback.jobs.service;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A pass over the database that runs when something asks for it ({@link #runSoon()}: a change notification, the
 * safety-net timer), never twice at once, and once more after the one in flight however often it was asked meanwhile:
 * a burst of notifications makes one or two passes, not one each. Every pass runs on a fresh Vert.x context of its own,
 * so it has a Hibernate Reactive session to itself, used sequentially.
 * <p>
 * A pass answers when it is due again by itself (a lease running out, an interval passing, more rows than one batch),
 * or null if only a change can give it work; a failed pass runs again a second later.
 * <p>
 * A change notification asks through {@link #runAfterSettling()}: the pass starts {@code settle} later, so that the
 * dozen row changes of a job's busy half-second make one or two passes, not one each, and leave the CPU to the job.
 */
public final class CoalescedPass {
    private static final Logger LOG = Logger.getLogger(CoalescedPass.class);
    static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);

    private final String name;
    private final Vertx vertx;
    private final Supplier<Uni<Instant>> pass;
    private final Duration settle;
    private final AtomicBoolean settling = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requested = new AtomicBoolean();
    private final AtomicLong dueTimer = new AtomicLong(-1);

    /** {@code pass} answers when it is due again, or null; {@code settle} may be zero (a notification runs it at once). */
    public CoalescedPass(String name, Vertx vertx, Duration settle, Supplier<Uni<Instant>> pass) {
        this.name = name;
        this.vertx = vertx;
        this.settle = settle;
        this.pass = pass;
    }

    /** For a change notification: runs the pass once the changes coming with it have settled. */
    public void runAfterSettling() {
        settled(settle, settling);
    }

    /**
     * A waker for notifications that matter less (an item job's progress, where its state changes matter now): the
     * pass runs {@code settle} after the first of them, however many follow meanwhile.
     */
    public Runnable settlingFor(Duration slowerSettle) {
        AtomicBoolean slowSettling = new AtomicBoolean();
        return () -> settled(slowerSettle, slowSettling);
    }

    private void settled(Duration delay, AtomicBoolean pending) {
        if (delay.isZero()) {
            runSoon();
        } else if (pending.compareAndSet(false, true)) {
            vertx.setTimer(delay.toMillis(), id -> {
                pending.set(false);
                runSoon();
            });
        }
    }

    public void runSoon() {
        requested.set(true);
        if (!running.compareAndSet(false, true)) {
            return;
        }
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true); // used by this pass alone, sequentially
        context.runOnContext(v -> runOnce());
    }

    private void runOnce() {
        requested.set(false);
        Uni<Instant> run;
        try {
            run = pass.get();
        } catch (RuntimeException e) {
            run = Uni.createFrom().failure(e);
        }
        run.subscribe().with(this::finished, failure -> {
            LOG.warnf("%s: %s; will retry", name, failure.getMessage());
            finished(Instant.now().plus(RETRY_AFTER_FAILURE));
        });
    }

    private void finished(Instant dueAgain) {
        runAt(dueAgain);
        running.set(false);
        if (requested.get()) {
            runSoon();
        }
    }

    /** The latest pass knows best when the next one is due: its answer replaces the one an earlier pass gave. */
    private void runAt(Instant due) {
        long previous = dueTimer.getAndSet(-1);
        if (previous >= 0) {
            vertx.cancelTimer(previous);
        }
        if (due == null) {
            return;
        }
        long delayMillis = Duration.between(Instant.now(), due).toMillis();
        if (delayMillis <= 0) {
            requested.set(true);
            return;
        }
        long timer = vertx.setTimer(delayMillis, id -> {
            dueTimer.compareAndSet(id, -1);
            runSoon();
        });
        dueTimer.set(timer);
    }
}
