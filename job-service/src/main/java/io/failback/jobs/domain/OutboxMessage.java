package io.failback.jobs.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A message written in the same transaction as the state change that causes it, and sent to Kafka afterwards by
 * the outbox relay: a crash between the two can delay a command, never lose it.
 */
@Entity
@Table(name = "outbox_message")
public class OutboxMessage extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    public String topic;
    public String messageKey;
    @Column(columnDefinition = "text")
    public String payload;
    public Instant createdAt;
    /** W3C traceparent of the trace whose transaction wrote this message; null when none was traced. */
    public String traceParent;
}
