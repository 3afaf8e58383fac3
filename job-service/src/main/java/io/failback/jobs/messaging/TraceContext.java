package io.failback.jobs.messaging;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A trace's context as the W3C traceparent stored with an outbox message: written while the request or record that
 * caused the message is handled, read back when the relay sends it, possibly on another instance. With tracing off
 * (quarkus.otel.sdk.disabled) the propagator is a no-op: nothing is stored and nothing continued.
 */
@ApplicationScoped
public class TraceContext {
    private static final String TRACEPARENT = "traceparent";
    private static final TextMapSetter<Map<String, String>> INTO_MAP = Map::put;
    private static final TextMapGetter<String> FROM_TRACEPARENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String traceParent) {
            return List.of(TRACEPARENT);
        }

        @Override
        public String get(String traceParent, String key) {
            return TRACEPARENT.equals(key) ? traceParent : null;
        }
    };

    private final TextMapPropagator propagator;

    public TraceContext(OpenTelemetry openTelemetry) {
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    /** @return the traceparent of the span current here, or null when there is none */
    public String currentTraceParent() {
        Map<String, String> headers = new HashMap<>(4);
        propagator.inject(Context.current(), headers, INTO_MAP);
        return headers.get(TRACEPARENT);
    }

    /** @return a context whose parent is the stored span, or the root context when none was stored */
    public Context continuing(String traceParent) {
        return traceParent == null ? Context.root() : propagator.extract(Context.root(), traceParent, FROM_TRACEPARENT);
    }
}
