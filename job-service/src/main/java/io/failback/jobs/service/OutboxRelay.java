package io.failback.jobs.service;

import io.failback.jobs.domain.OutboxMessage;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.failback.jobs.messaging.ChangeNotifications;
import io.failback.jobs.messaging.TraceContext;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends outbox messages to Kafka in the order they were written, a batch at a time, and deletes a batch once Kafka
 * acknowledged all of it.
 * It runs when a transaction that wrote to the outbox commits (the outbox's trigger notifies every instance), and on
 * the safety-net timer in case that signal was missed (a lost connection, another replica's lock). Rows are locked
 * with SKIP LOCKED so that replicas never send the same row at once; a crash between sending and deleting sends a row
 * again, which consumers tolerate as a duplicate.
 */
@Startup
@ApplicationScoped
public class OutboxRelay {
    private static final int BATCH_SIZE = 100;
    private static final String NEXT_BATCH = "select * from outbox_message order by id limit " + BATCH_SIZE
            + " for update skip locked";

    private final MutinyEmitter<String> commands;
    private final TraceContext traces;

    public OutboxRelay(@Channel("sync-commands") MutinyEmitter<String> commands, ChangeDrivenPasses passes, TraceContext traces) {
        this.commands = commands;
        this.traces = traces;
        // A full batch may not be all: the relay runs again at once until one comes back short.
        passes.start("outbox relay", Duration.ZERO,
                () -> relayBatch().map(sent -> sent == BATCH_SIZE ? Instant.now() : null), ChangeNotifications.OUTBOX);
    }

    private Uni<Integer> relayBatch() {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(NEXT_BATCH, OutboxMessage.class).getResultList())
                .chain(this::sendInOrder));
    }

    /**
     * Hands the whole batch to the producer in order, then waits for every acknowledgement and deletes the batch's rows
     * at once. Waiting for each record's acknowledgement before sending the next cost a round trip per command: a
     * plan of 50 VMs took seconds to reach sync-service. The producer is idempotent (application.properties), so
     * records in flight together keep their order on each partition even when a send is retried.
     * Each record's producer span, and the context in its headers, continue the trace that wrote the message, not the
     * relay's pass.
     */
    private Uni<Integer> sendInOrder(List<OutboxMessage> batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        List<Uni<Void>> sends = batch.stream()
                .map(message -> commands.sendMessage(Message.of(message.payload)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                .withTopic(message.topic)
                                .withKey(message.messageKey)
                                .build())
                        .addMetadata(TracingMetadata.withCurrent(traces.continuing(message.traceParent)))))
                .toList();
        List<Long> ids = batch.stream().map(message -> message.id).toList();
        return Uni.join().all(sends).andFailFast()
                .chain(() -> OutboxMessage.delete("id in ?1", ids))
                .map(ignored -> batch.size());
    }
}
