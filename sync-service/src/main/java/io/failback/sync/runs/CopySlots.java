package io.failback.sync.runs;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.IntConsumer;

/**
 * How many copies this sync-service instance runs at once ({@code failback.max-concurrent-copies}); the others wait
 * in line, first come first served, except that the copies a VM is down for (a ForDownTime failback's phase 2) go
 * before all others. On two cores a copy is CPU-bound: more copies at once only share the same CPU more thinly, and
 * the control plane (events, heartbeats, the API) with them.
 * <p>
 * A slot is held for one attempt at a data task's copy and proof, and given back when that ends, fails or is
 * cancelled. A copy cancelled while it waits leaves the line.
 */
public final class CopySlots {
    /** A copy's claim on a slot; {@link #release()} gives it back (once; later calls do nothing). */
    public interface Slot {
        void release();
    }

    private final int capacity;
    /** Guarded by {@code this}, as are the lines. */
    private int inUse;
    private final Deque<Waiter> downtimeLine = new ArrayDeque<>();
    private final Deque<Waiter> line = new ArrayDeque<>();

    public CopySlots(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("failback.max-concurrent-copies (FAILBACK_SYNC_MAX_COPIES) must be at least 1, not "
                    + capacity);
        }
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * A slot, at once when one is free; otherwise once the copies before this one in line have had theirs. The slot
     * comes on the caller's Vert.x context.
     *
     * @param downtime a copy its VM is down for: it waits before every other kind
     * @param queued told, before the wait and only when the copy must wait, how many copies wait before it
     */
    public Uni<Slot> acquire(boolean downtime, IntConsumer queued) {
        Waiter waiter = new Waiter(Vertx.currentContext());
        return Uni.createFrom().<Slot>emitter(emitter -> {
            int before;
            synchronized (this) {
                if (inUse < capacity) {
                    inUse++;
                    waiter.granted = true;
                    before = -1;
                } else {
                    waiter.emitter = emitter;
                    before = downtimeLine.size() + (downtime ? 0 : line.size());
                    (downtime ? downtimeLine : line).addLast(waiter);
                }
            }
            // Outside the lock: the copy that got its slot starts right here, on this thread.
            if (before < 0) {
                emitter.complete(new Held());
            } else {
                queued.accept(before);
            }
        }).onCancellation().invoke(() -> leave(waiter));
    }

    /** How many copies hold a slot now. */
    public synchronized int inUse() {
        return inUse;
    }

    /** How many copies wait for one. */
    public synchronized int waiting() {
        return downtimeLine.size() + line.size();
    }

    /** Cancelled while waiting: out of the line; cancelled once granted but before it arrived: the slot goes on. */
    private void leave(Waiter waiter) {
        boolean grantedButNotDelivered;
        synchronized (this) {
            downtimeLine.remove(waiter);
            line.remove(waiter);
            grantedButNotDelivered = waiter.granted && waiter.emitter != null;
        }
        if (grantedButNotDelivered) {
            handOver();
        }
    }

    /** A released slot passes straight to the next in line, on that copy's own context; with nobody waiting it is free. */
    private void handOver() {
        Waiter next;
        synchronized (this) {
            next = downtimeLine.pollFirst();
            if (next == null) {
                next = line.pollFirst();
            }
            if (next == null) {
                inUse--;
                return;
            }
            next.granted = true;
        }
        Held slot = new Held();
        UniEmitter<? super Slot> emitter = next.emitter;
        if (next.context != null) {
            next.context.runOnContext(v -> emitter.complete(slot));
        } else {
            emitter.complete(slot);
        }
    }

    private static final class Waiter {
        final Context context;
        /** Set when it joined a line (it had to wait); guarded by the slots. */
        UniEmitter<? super Slot> emitter;
        boolean granted;

        Waiter(Context context) {
            this.context = context;
        }
    }

    private final class Held implements Slot {
        private boolean released;

        @Override
        public void release() {
            synchronized (CopySlots.this) {
                if (released) {
                    return;
                }
                released = true;
            }
            handOver();
        }
    }
}
