package io.failback.jobs.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import org.junit.jupiter.api.Test;

class TraceContextTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN_ID = "00f067aa0ba902b7";

    private final TraceContext traces = new TraceContext(
            OpenTelemetry.propagating(ContextPropagators.create(W3CTraceContextPropagator.getInstance())));

    @Test
    void theTraceparentStoredWhileASpanIsCurrentContinuesThatSpan() {
        Span request = Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault()));
        String stored;
        try (Scope ignored = request.makeCurrent()) {
            stored = traces.currentTraceParent();
        }
        assertEquals("00-" + TRACE_ID + "-" + SPAN_ID + "-01", stored);

        SpanContext continued = Span.fromContext(traces.continuing(stored)).getSpanContext();
        assertEquals(TRACE_ID, continued.getTraceId());
        assertEquals(SPAN_ID, continued.getSpanId());
        assertEquals(true, continued.isRemote(), "the parent is the writer's span, in another process or transaction");
    }

    @Test
    void withoutASpanNothingIsStoredAndTheRelayStartsFromTheRoot() {
        assertNull(traces.currentTraceParent());
        assertSame(Context.root(), traces.continuing(null));
        assertFalse(Span.fromContext(traces.continuing("not a traceparent")).getSpanContext().isValid());
    }

    @Test
    void withTracingOffNothingIsStored() {
        TraceContext off = new TraceContext(OpenTelemetry.noop());
        Span request = Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault()));
        try (Scope ignored = request.makeCurrent()) {
            assertNull(off.currentTraceParent());
        }
    }
}
