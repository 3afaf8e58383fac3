package io.failback.jobs.service;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jboss.logging.Logger;

/**
 * Deletes processed sync events and operation requests older than their retention ({@link RetentionConfig}), in
 * batches so that no delete holds many locks for long. Non-blocking: the reactive client, on the event loop.
 */
@ApplicationScoped
public class Retention {
    private static final Logger LOG = Logger.getLogger(Retention.class);
    static final int BATCH = 5000;

    private static final String PRUNE_PROCESSED_EVENTS = """
            delete from processed_event where eventid in (
              select eventid from processed_event where processedat < $1 limit %d)""".formatted(BATCH);
    /** A request whose job has not ended is kept: its ARM operation is still being polled. */
    private static final String PRUNE_OPERATION_REQUESTS = """
            delete from operation_request where requestid in (
              select o.requestid from operation_request o where o.createdat < $1
                and not exists (select 1 from replication_job j where j.name = o.jobname
                  and j.state not in ('Succeeded', 'Failed', 'Cancelled'))
              limit %d)""".formatted(BATCH);

    public record Pruned(long processedEvents, long operationRequests) {
    }

    private final Pool database;
    private final RetentionConfig config;

    public Retention(Pool database, RetentionConfig config) {
        this.database = database;
        this.config = config;
    }

    @Scheduled(every = "${failback.retention.interval:1h}", delayed = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> pruneOnSchedule() {
        return prune(Instant.now())
                .invoke(pruned -> {
                    if (pruned.processedEvents() > 0 || pruned.operationRequests() > 0) {
                        LOG.infof("retention: deleted %d processed events older than %s and %d operation requests older than %s",
                                pruned.processedEvents(), config.processedEvents(), pruned.operationRequests(), config.operationRequests());
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("retention: pruning failed: %s; will retry", e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Deletes what is older than its retention at {@code now}; answers how many rows of each went. */
    public Uni<Pruned> prune(Instant now) {
        return deleteAll(PRUNE_PROCESSED_EVENTS, now.minus(config.processedEvents()), 0)
                .chain(events -> deleteAll(PRUNE_OPERATION_REQUESTS, now.minus(config.operationRequests()), 0)
                        .map(requests -> new Pruned(events, requests)));
    }

    private Uni<Long> deleteAll(String sql, Instant olderThan, long sofar) {
        return database.preparedQuery(sql).execute(Tuple.of(OffsetDateTime.ofInstant(olderThan, ZoneOffset.UTC)))
                .chain(rows -> rows.rowCount() < BATCH ? Uni.createFrom().item(sofar + rows.rowCount())
                        : deleteAll(sql, olderThan, sofar + rows.rowCount()));
    }
}
