package io.failback.system;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

/** The recovery plan calls a user makes (HTTPS with a token, through FailbackApi), beside {@link FailbackApi}'s calls on single items. */
final class RecoveryPlanApi {
    private final FailbackApi api;
    private final URI jobService;

    RecoveryPlanApi(FailbackApi api, URI jobService) {
        this.api = api;
        this.jobService = jobService;
    }

    /** Creates a plan of Boot groups that run in the given order, each with its items. */
    JsonNode createBootOrderPlan(String name, List<List<String>> bootGroups) {
        String groups = bootGroups.stream()
                .map(items -> items.stream().map(item -> "{\"id\": \"" + item + "\"}").collect(Collectors.joining(", ",
                        "{\"groupType\": \"Boot\", \"replicationProtectedItems\": [", "]}")))
                .collect(Collectors.joining(", "));
        return api.send("PUT", plan(name), "{\"properties\": {\"groups\": [" + groups + "]}}", 201);
    }

    JsonNode get(String name) {
        return api.get(plan(name));
    }

    /**
     * POSTs the plan operation ({@code plannedFailover}, {@code failoverCommit}, {@code reprotect}), with
     * {@code {"properties": ...}} when it takes a body; answers the plan job's name.
     */
    String start(String name, String operation, String propertiesJson) {
        return api.send("POST", URI.create(plan(name) + "/" + operation), propertiesJson == null ? "" : "{\"properties\": " + propertiesJson + "}",
                202).path("name").asText();
    }

    private URI plan(String name) {
        return jobService.resolve("/api/replicationRecoveryPlans/" + name);
    }
}
