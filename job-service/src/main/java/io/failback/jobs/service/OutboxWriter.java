package io.failback.jobs.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.jobs.domain.OutboxMessage;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;

/** Adds a message to the outbox inside the caller's transaction. */
@ApplicationScoped
public class OutboxWriter {
    private final ObjectMapper json;

    public OutboxWriter(ObjectMapper json) {
        this.json = json;
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
        return message.persist();
    }
}
