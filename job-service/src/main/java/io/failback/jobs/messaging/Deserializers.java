package io.failback.jobs.messaging;

import io.failback.contracts.messaging.SyncEvent;
import io.quarkus.kafka.client.serialization.ObjectMapperDeserializer;

/** JSON deserializers named in application.properties, so that an unreadable record reaches the handler as null. */
public final class Deserializers {
    private Deserializers() {
    }

    public static class SyncEventDeserializer extends ObjectMapperDeserializer<SyncEvent> {
        public SyncEventDeserializer() {
            super(SyncEvent.class);
        }
    }

    public static class OperationRequestDeserializer extends ObjectMapperDeserializer<io.failback.contracts.messaging.OperationRequest> {
        public OperationRequestDeserializer() {
            super(io.failback.contracts.messaging.OperationRequest.class);
        }
    }
}
