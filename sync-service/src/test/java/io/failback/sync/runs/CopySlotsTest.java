package io.failback.sync.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smallrye.mutiny.subscription.Cancellable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CopySlotsTest {
    /** One copy's request for a slot: what it was told while it waited, and the slot once it has it. */
    private static final class Request {
        final List<Integer> toldBefore = new ArrayList<>();
        final AtomicReference<CopySlots.Slot> slot = new AtomicReference<>();
        Cancellable subscription;

        static Request of(CopySlots slots, boolean downtime) {
            Request request = new Request();
            request.subscription = slots.acquire(downtime, request.toldBefore::add).subscribe().with(request.slot::set);
            return request;
        }
    }

    @Test
    void copiesBeyondTheCapacityWaitInLineAndGetTheSlotsOthersGiveBack() {
        CopySlots slots = new CopySlots(2);
        Request first = Request.of(slots, false);
        Request second = Request.of(slots, false);
        Request third = Request.of(slots, false);
        Request fourth = Request.of(slots, false);

        assertNotNull(first.slot.get());
        assertNotNull(second.slot.get());
        assertEquals(List.of(), first.toldBefore, "a copy with a free slot is not told it waits");
        assertNull(third.slot.get());
        assertEquals(List.of(0), third.toldBefore);
        assertEquals(List.of(1), fourth.toldBefore);
        assertEquals(2, slots.inUse());
        assertEquals(2, slots.waiting());

        first.slot.get().release();
        first.slot.get().release(); // a second release gives nothing back
        assertNotNull(third.slot.get(), "first come, first served");
        assertNull(fourth.slot.get());
        assertEquals(2, slots.inUse());

        second.slot.get().release();
        third.slot.get().release();
        fourth.slot.get().release();
        assertEquals(0, slots.inUse());
        assertEquals(0, slots.waiting());
    }

    @Test
    void aCopyWhoseVmIsDownGoesBeforeTheOthersButAfterEarlierOnesOfItsKind() {
        CopySlots slots = new CopySlots(1);
        Request running = Request.of(slots, false);
        Request phase1 = Request.of(slots, false);
        Request downtime = Request.of(slots, true);
        Request laterDowntime = Request.of(slots, true);

        assertEquals(List.of(0), downtime.toldBefore, "no other downtime copy waits before it");
        assertEquals(List.of(1), laterDowntime.toldBefore);
        running.slot.get().release();
        assertNotNull(downtime.slot.get());
        downtime.slot.get().release();
        assertNotNull(laterDowntime.slot.get());
        assertNull(phase1.slot.get());
        laterDowntime.slot.get().release();
        assertNotNull(phase1.slot.get());
    }

    @Test
    void aCopyCancelledWhileItWaitsLeavesTheLine() {
        CopySlots slots = new CopySlots(1);
        Request running = Request.of(slots, false);
        Request cancelled = Request.of(slots, false);
        Request next = Request.of(slots, false);

        cancelled.subscription.cancel();
        assertEquals(1, slots.waiting());
        running.slot.get().release();
        assertNull(cancelled.slot.get());
        assertNotNull(next.slot.get());
        next.slot.get().release();
        assertEquals(0, slots.inUse(), "no slot went to the copy that left");
    }

    @Test
    void atLeastOneSlot() {
        assertThrows(IllegalArgumentException.class, () -> new CopySlots(0));
    }
}
