package io.failback.sitedisk.blockapi;

import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets block streams through while the site serves fewer than its {@link BlockApi.StreamLimit}, counting each until
 * its response ends or its connection closes. A stream beyond the limit waits up to {@link #HOLD} for one to end and
 * takes its place at once; after that, or when as many already wait as the site serves, it is refused with 503
 * {@link Problem#SITE_BUSY}, before anything is read or written. Copies end all the time in a busy site: a refused
 * copy tries again only after Retry-After, and meanwhile the place it could have had stayed empty.
 */
final class StreamGate {
    /** How long a stream beyond the limit waits for a place; the caller holds its own copy slot meanwhile. */
    static final Duration HOLD = Duration.ofSeconds(2);

    private final Vertx vertx;
    private final BlockApi.StreamLimit limit;
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    private int streams;

    private static final class Waiting {
        final RoutingContext request;
        final Context context;
        long timer;

        Waiting(RoutingContext request, Context context) {
            this.request = request;
            this.context = context;
        }
    }

    StreamGate(Vertx vertx, BlockApi.StreamLimit limit) {
        this.vertx = vertx;
        this.limit = limit;
    }

    void admit(RoutingContext request) {
        synchronized (this) {
            if (streams >= limit.max()) {
                if (waiting.size() >= limit.max()) {
                    refuse(request);
                    return;
                }
                // Nothing of its body is read while it waits; the handler it goes on to reads it.
                request.request().pause();
                Waiting waiter = new Waiting(request, vertx.getOrCreateContext());
                waiting.add(waiter);
                waiter.timer = vertx.setTimer(HOLD.toMillis(), id -> refuseIfStillWaiting(waiter));
                return;
            }
            streams++;
        }
        pass(request);
    }

    private void refuseIfStillWaiting(Waiting waiter) {
        synchronized (this) {
            if (!waiting.remove(waiter)) {
                return; // a place came free just now and went to it
            }
        }
        refuse(waiter.request);
    }

    /** Counts the stream until it ends; a client that gave up while it waited gives its place on at once. */
    private void pass(RoutingContext request) {
        if (request.response().closed()) {
            release();
            return;
        }
        AtomicBoolean counted = new AtomicBoolean(true);
        request.addEndHandler(ended -> {
            if (counted.getAndSet(false)) {
                release();
            }
        });
        request.next();
    }

    /** The place of a stream that ended goes to the first that waits, or is given back. */
    private void release() {
        Waiting next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                streams--;
                return;
            }
            vertx.cancelTimer(next.timer);
        }
        next.context.runOnContext(v -> pass(next.request));
    }

    private void refuse(RoutingContext request) {
        if (request.response().closed()) {
            return;
        }
        request.response().putHeader("Retry-After", String.valueOf(BlockApi.BUSY_RETRY_SECONDS));
        BlockApi.answerProblem(request, new ProblemException(503, Problem.SITE_BUSY, "this site serves " + limit.max()
                + " block streams at once (" + limit.setting() + ") and all are in use; try again in " + BlockApi.BUSY_RETRY_SECONDS + " s"));
    }
}
