package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** An event id already applied, recorded in the same transaction as its effect: a redelivery is a no-op. */
@Entity
@Table(name = "processed_event")
public class ProcessedEvent extends PanacheEntityBase {
    @Id
    public String eventId;
    public Instant processedAt;

    /**
     * Records the event id in the current transaction; answers false when it was recorded before (a redelivery).
     * One statement where a lookup and an insert were two, and an instance that applies the same event at the same
     * moment waits for the other's commit and then finds it recorded, where the insert used to fail the transaction.
     */
    public static Uni<Boolean> recordFirst(String eventId) {
        return Panache.getSession().chain(session -> session.createNativeQuery(RECORD_UNLESS_RECORDED)
                        .setParameter(1, eventId).setParameter(2, Instant.now()).executeUpdate())
                .map(inserted -> inserted == 1);
    }

    private static final String RECORD_UNLESS_RECORDED =
            "insert into processed_event (eventId, processedAt) values (?1, ?2) on conflict (eventId) do nothing";
}
