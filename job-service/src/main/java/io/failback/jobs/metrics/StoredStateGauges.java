package io.failback.jobs.metrics;

import io.failback.jobs.service.ChangeDrivenPasses;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Gauges of what the database holds (docs/metrics.md): jobs by scenario and state, the outbox's backlog and its oldest
 * message's age, each host's last heartbeat and each replicating item's recovery point. They are read every
 * {@link #REFRESH} by a pass of their own, never while Prometheus scrapes (a scrape must not wait on the database), and
 * the ages are worked out at the scrape from the times read. Every job-service instance reads the same rows, so their
 * gauges agree: aggregate them with {@code max}, not {@code sum}.
 */
@Startup
@ApplicationScoped
public class StoredStateGauges {
    static final Duration REFRESH = Duration.ofSeconds(10);

    private static final String JOBS_BY_STATE = "select scenarioName, state, count(*) from replication_job group by scenarioName, state";
    private static final String OUTBOX = "select count(*), extract(epoch from min(createdAt)) from outbox_message";
    private static final String HEARTBEATS = "select providerId, extract(epoch from lastHeartbeat) from fabric_provider"
            + " where lastHeartbeat is not null";
    private static final String RECOVERY_POINTS = "select name, extract(epoch from lastReplicatedTime) from replication_protected_item"
            + " where lastReplicatedTime is not null and protectionState = 'Protected' and activeLocation = 'Primary'";

    private final MultiGauge jobs;
    private final MultiGauge heartbeatAges;
    private final MultiGauge recoveryPointAges;
    /** The outbox's backlog and its oldest message's creation (epoch seconds; NaN when empty), as last read. */
    private final AtomicReference<double[]> outbox = new AtomicReference<>(new double[] {0, Double.NaN});

    public StoredStateGauges(MeterRegistry registry, ChangeDrivenPasses passes) {
        jobs = MultiGauge.builder("failback.jobs").description("Jobs in the database by scenario and state")
                .register(registry);
        heartbeatAges = MultiGauge.builder("failback.provider.heartbeat.age").baseUnit("seconds")
                .description("Time since the host's last heartbeat (a host sends one every 5 s)").register(registry);
        recoveryPointAges = MultiGauge.builder("failback.item.rpo").baseUnit("seconds")
                .description("Age of the latest recovery point of a protected item that replicates to Azure").register(registry);
        Gauge.builder("failback.outbox.messages", outbox, last -> last.get()[0])
                .description("Messages in the outbox not yet sent to Kafka").register(registry);
        Gauge.builder("failback.outbox.oldest.age", outbox, last -> ageOf(last.get()[1])).baseUnit("seconds")
                .description("Age of the oldest message in the outbox (0 when it is empty)").register(registry);
        passes.start("stored-state gauges", Duration.ZERO, this::refresh);
    }

    private Uni<Instant> refresh() {
        return Panache.withSession(() -> rows(JOBS_BY_STATE)
                .invoke(counts -> jobs.register(counts.stream().map(row -> MultiGauge.Row.of(
                        Tags.of("scenario", String.valueOf(row[0]), "state", String.valueOf(row[1])), ((Number) row[2]).longValue()))
                        .toList(), true))
                .chain(() -> rows(OUTBOX))
                .invoke(backlog -> outbox.set(new double[] {((Number) backlog.get(0)[0]).doubleValue(), epochSeconds(backlog.get(0)[1])}))
                .chain(() -> rows(HEARTBEATS))
                .invoke(heartbeats -> heartbeatAges.register(ages("provider", heartbeats), true))
                .chain(() -> rows(RECOVERY_POINTS))
                .invoke(points -> recoveryPointAges.register(ages("item", points), true)))
                .map(done -> Instant.now().plus(REFRESH));
    }

    private static Uni<List<Object[]>> rows(String sql) {
        return Panache.getSession().chain(session -> session.createNativeQuery(sql, Object[].class).getResultList());
    }

    /** Rows of (name, epoch seconds) as gauges of the time since, worked out at each scrape. */
    private static List<MultiGauge.Row<?>> ages(String tag, List<Object[]> rows) {
        return rows.stream().<MultiGauge.Row<?>>map(row -> {
            double since = epochSeconds(row[1]);
            return MultiGauge.Row.of(Tags.of(tag, String.valueOf(row[0])), () -> ageOf(since));
        }).toList();
    }

    private static double epochSeconds(Object value) {
        return value == null ? Double.NaN : ((Number) value).doubleValue();
    }

    private static double ageOf(double epochSeconds) {
        return Double.isNaN(epochSeconds) ? 0 : Math.max(0, System.currentTimeMillis() / 1000.0 - epochSeconds);
    }
}
