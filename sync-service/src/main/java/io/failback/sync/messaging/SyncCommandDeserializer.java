package io.failback.sync.messaging;

import io.failback.contracts.messaging.SyncCommand;
import io.quarkus.kafka.client.serialization.ObjectMapperDeserializer;

public class SyncCommandDeserializer extends ObjectMapperDeserializer<SyncCommand> {
    public SyncCommandDeserializer() {
        super(SyncCommand.class);
    }
}
