package io.failback.system;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

/** The recovery plan calls a user makes over plain HTTP, beside {@link FailbackApi}'s calls on single items. */
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

    /** Planned failover of the whole plan from Azure to on-premises; answers the plan job's name. */
    String failback(String name, String dataSyncOption, String recoveryVmCreationOption) {
        return api.send("POST", URI.create(plan(name) + "/plannedFailover"), """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "%s",
                  "recoveryVmCreationOption": "%s"}}}""".formatted(dataSyncOption, recoveryVmCreationOption), 202).path("name").asText();
    }

    /** Commit of every item of the plan; answers the plan job's name. */
    String commit(String name) {
        return api.send("POST", URI.create(plan(name) + "/failoverCommit"), "", 202).path("name").asText();
    }

    private URI plan(String name) {
        return jobService.resolve("/api/replicationRecoveryPlans/" + name);
    }
}
