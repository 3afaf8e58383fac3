package io.failback.jobs.service;

import io.failback.jobs.domain.OutboxMessage;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Sends outbox messages to Kafka in the order they were written, and deletes each one once Kafka acknowledged it.
 * It runs right after a transaction wrote to the outbox ({@link #relaySoon()}) and every second in case that run
 * was missed (a crash, another replica's lock). Rows are locked with SKIP LOCKED so that replicas never send the same
 * row at once; a crash between sending and deleting sends a row again, which consumers tolerate as a duplicate.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final String NEXT_BATCH = "select * from outbox_message order by id limit 100 for update skip locked";

    private final MutinyEmitter<String> commands;
    private final Vertx vertx;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requested = new AtomicBoolean();

    public OutboxRelay(@Channel("sync-commands") MutinyEmitter<String> commands, Vertx vertx) {
        this.commands = commands;
        this.vertx = vertx;
    }

    /** Delayed so that the first sweep finds the Kafka channels wired (the scheduler starts before messaging). */
    @Scheduled(every = "1s", delayed = "3s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sweep() {
        relaySoon();
    }

    /** Starts a relay on a fresh context (its own Hibernate Reactive session); if one runs, it runs once more after. */
    public void relaySoon() {
        requested.set(true);
        if (!running.compareAndSet(false, true)) {
            return;
        }
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true); // used by this relay alone, sequentially
        context.runOnContext(v -> drain());
    }

    private void drain() {
        requested.set(false);
        relayBatch().subscribe().with(sent -> {
            if (sent > 0) {
                requested.set(true); // there may be more rows than one batch
            }
            running.set(false);
            if (requested.get()) {
                relaySoon();
            }
        }, failure -> {
            LOG.warnf("outbox relay: %s; will retry", failure.getMessage());
            running.set(false);
        });
    }

    private Uni<Integer> relayBatch() {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(NEXT_BATCH, OutboxMessage.class).getResultList())
                .chain(this::sendInOrder));
    }

    private Uni<Integer> sendInOrder(List<OutboxMessage> batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Multi.createFrom().iterable(batch)
                .onItem().transformToUniAndConcatenate(message -> commands.sendMessage(Message.of(message.payload)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                .withTopic(message.topic)
                                .withKey(message.messageKey)
                                .build()))
                        .chain(() -> message.delete()))
                .collect().last()
                .map(ignored -> batch.size());
    }
}
