package io.failback.contracts.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * job-service → anyone, on {@link Topics#STATE_CHANGES}, keyed by {@code name}. Version
 * {@link ContractVersions#STATE_CHANGE}. The whole state of a job (with its tasks and progress) or of a protected
 * item (or recovery plan), as the REST API shows it, each time it changes. Changes closer together than the feed's
 * interval (a second) arrive as one: a consumer keeps, per name, the highest {@code version} and ignores lower or equal ones
 * (duplicates and reordering are harmless).
 *
 * @param requestId the request that started the job (REST Idempotency-Key or Kafka requestId), when there was one
 * @param resource the REST API's resource: {@code {id, name, type, properties}}; null when the item or plan was removed
 */
public record StateChange(int schemaVersion, Kind kind, String name, long version, String requestId, Instant at,
        JsonNode resource) {

    public enum Kind {
        Job,
        ProtectedItem,
        RecoveryPlan
    }
}
