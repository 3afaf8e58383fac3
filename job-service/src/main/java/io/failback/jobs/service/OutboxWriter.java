package io.failback.jobs.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.jobs.domain.OutboxMessage;
import io.failback.jobs.messaging.TraceContext;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;

/**
 * Adds a message to the outbox inside the caller's transaction, with the trace of the request or record being handled
 * so that the relay's Kafka record continues it.
 */
@ApplicationScoped
public class OutboxWriter {
    private final ObjectMapper json;
    private final TraceContext traces;

    public OutboxWriter(ObjectMapper json, TraceContext traces) {
        this.json = json;
        this.traces = traces;
    }

    public Uni<OutboxMessage> add(String topic, String key, Object payload) {
        OutboxMessage message = new OutboxMessage();
        message.topic = topic;
        message.messageKey = key;
        try {
            message.payload = json.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        message.createdAt = Instant.now();
        message.traceParent = traces.currentTraceParent();
        return message.persist();
    }
}
