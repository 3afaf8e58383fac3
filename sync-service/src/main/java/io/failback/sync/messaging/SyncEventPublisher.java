package io.failback.sync.messaging;

import io.failback.contracts.messaging.SyncEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Sends sync events keyed by the protected item, and completes only when Kafka acknowledged them. */
@ApplicationScoped
public class SyncEventPublisher {
    private final MutinyEmitter<SyncEvent> events;

    public SyncEventPublisher(@Channel("sync-events") MutinyEmitter<SyncEvent> events) {
        this.events = events;
    }

    public Uni<Void> publish(SyncEvent event) {
        return events.sendMessage(Message.of(event)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.itemName()).build()));
    }
}
