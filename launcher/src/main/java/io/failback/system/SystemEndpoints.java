package io.failback.system;

import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a running system can be reached; what a {@link DemoScenario} gets to drive it.
 *
 * @param jobServiceAccess job-service's HTTPS URL, the trust for its certificate and Contributor tokens
 * @param hostAgents       base URL per host id, in the order the hosts were given
 * @param hostStorageDirs  storage directory per host id
 */
public record SystemEndpoints(JobServiceAccess jobServiceAccess, URI syncService, URI azureSim, Map<String, URI> hostAgents,
                              String kafkaBootstrapServers, Datasource datasource, Path azureStorageDir,
                              Map<String, Path> hostStorageDirs) {

    public SystemEndpoints {
        hostAgents = Collections.unmodifiableMap(new LinkedHashMap<>(hostAgents));
        hostStorageDirs = Collections.unmodifiableMap(new LinkedHashMap<>(hostStorageDirs));
    }

    /** job-service's base URL, like {@code https://127.0.0.1:8443}. */
    public URI jobService() {
        return jobServiceAccess.url();
    }
}
