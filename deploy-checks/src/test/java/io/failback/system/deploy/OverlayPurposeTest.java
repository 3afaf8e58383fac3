package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** dev runs everything in the cluster; prod takes Kafka and PostgreSQL from outside and scales out. */
class OverlayPurposeTest {
    private static final String SCALED_BY_PARTITIONS = "sync-service";

    @Test
    void devRunsEverythingItConnectsToInTheCluster() {
        Connections connections = new Connections(Deploy.overlay("dev"));
        assertTrue(connections.external.isEmpty(), "dev connects outside the cluster: " + connections.external);
        assertFalse(connections.internal.isEmpty(), "dev names nothing its services connect to");
    }

    @Test
    void prodTakesKafkaAndPostgresFromOutsideTheCluster() {
        RenderedOverlay prod = Deploy.overlay("prod");
        List<String> thirdParty = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer("prod", (workload, container) -> {
            if (Workload.moduleOf(container) == null) {
                thirdParty.add(workload + " runs " + container.getImage());
            }
        });
        assertTrue(thirdParty.isEmpty(), "prod runs infrastructure in the cluster: " + thirdParty);
        assertFalse(new Connections(prod).external.isEmpty(), "prod connects to nothing outside the cluster");
    }

    /** Several replicas on several nodes, and a node drain never takes the last one. */
    @Test
    void prodRunsEveryStatelessServiceAsSeveralReplicasSpreadOverNodes() {
        RenderedOverlay prod = Deploy.overlay("prod");
        List<String> problems = new ArrayList<>();
        for (Workload workload : prod.workloads()) {
            if (!workload.kind().equals("Deployment")) {
                continue;
            }
            if (workload.replicas() < 2) {
                problems.add(workload + ": " + workload.replicas() + " replica");
            }
            List<TopologySpreadConstraint> spread = Objects.requireNonNullElse(workload.template().getSpec().getTopologySpreadConstraints(), List.of());
            if (spread.stream().noneMatch(constraint -> "kubernetes.io/hostname".equals(constraint.getTopologyKey())
                    && Selectors.matches(constraint.getLabelSelector(), workload.podLabels()) && !Selectors.isEmpty(constraint.getLabelSelector()))) {
                problems.add(workload + ": not spread over nodes");
            }
            if (prod.all(PodDisruptionBudget.class).stream().noneMatch(budget -> !Selectors.isEmpty(budget.getSpec().getSelector())
                    && Selectors.matches(budget.getSpec().getSelector(), workload.podLabels()))) {
                problems.add(workload + ": no PodDisruptionBudget");
            }
        }
        Deploy.assertNone("prod", problems);
    }

    /**
     * sync-service replicas share asr.sync-commands through one consumer group: a replica beyond the topic's
     * partition count gets none. A broker run in the cluster creates topics with enough partitions for them all.
     */
    @Test
    void anInClusterBrokerCreatesEnoughPartitionsForEverySyncServiceReplica() {
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String overlay : Deploy.PROJECT.overlays()) {
            RenderedOverlay rendered = Deploy.overlay(overlay);
            int replicas = rendered.workloadsRunning(SCALED_BY_PARTITIONS).stream().mapToInt(Workload::replicas).sum();
            for (Workload workload : rendered.workloads()) {
                for (Container container : workload.containers()) {
                    if (!ImageName.parse(container.getImage()).name().equals("apache/kafka")) {
                        continue;
                    }
                    checked.add(overlay + " " + workload);
                    int partitions = Objects.requireNonNullElse(container.getEnv(), List.<EnvVar>of()).stream()
                            .filter(variable -> variable.getName().equals("KAFKA_NUM_PARTITIONS"))
                            .findFirst()
                            .map(variable -> Integer.parseInt(variable.getValue()))
                            .orElse(1); // the broker's default num.partitions
                    if (partitions < replicas) {
                        problems.add(overlay + " " + workload + ": topics get " + partitions + " partitions for " + replicas + " sync-service replicas");
                    }
                }
            }
        }
        assertFalse(checked.isEmpty(), "no overlay runs a broker in the cluster");
        Deploy.assertNone("sync-commands partitions", problems);
    }
}
