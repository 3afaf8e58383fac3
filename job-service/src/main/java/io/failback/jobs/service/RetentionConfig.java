package io.failback.jobs.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How long job-service keeps the records that only exist to make redeliveries and retries harmless. */
@ConfigMapping(prefix = "failback.retention")
public interface RetentionConfig {
    /**
     * Processed sync events (the ids of events that changed state, kept so that a redelivery of one is dropped).
     * A redelivery comes within minutes or hours (a consumer restart, a rebalance); a week is ample.
     */
    @WithDefault("P7D")
    Duration processedEvents();

    /**
     * Operation requests: the idempotency records of REST ({@code Idempotency-Key}), Kafka ({@code requestId}) and ARM
     * ({@code x-ms-client-request-id}) requests, by which an ARM long-running operation's status and result are looked
     * up. After this a retry with the same id starts a new operation and polling the old one answers 404; a record
     * whose job has not ended is kept however old it is.
     */
    @WithDefault("P30D")
    Duration operationRequests();

    /** How often old records are deleted. */
    @WithDefault("1h")
    Duration interval();
}
