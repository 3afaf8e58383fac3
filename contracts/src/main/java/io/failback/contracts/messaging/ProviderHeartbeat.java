package io.failback.contracts.messaging;

import java.time.Instant;
import java.util.List;

/**
 * host-agent → job-service, on {@link Topics#PROVIDER_HEARTBEATS}, keyed by {@code providerId}, sent at a fixed
 * interval. A host whose last heartbeat is older than job-service's threshold is reported {@code NotConnected}, and
 * failback to it is refused. Version {@link ContractVersions#PROVIDER_HEARTBEAT}.
 *
 * @param baseUrl where the host-agent's API answers
 */
public record ProviderHeartbeat(
        int schemaVersion,
        String providerId,
        String friendlyName,
        String baseUrl,
        List<String> virtualSwitches,
        Instant sentAt) {
}
