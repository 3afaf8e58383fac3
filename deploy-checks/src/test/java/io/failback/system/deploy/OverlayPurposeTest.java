package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import io.strimzi.api.kafka.model.kafka.Kafka;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * dev runs everything in the cluster; prod takes Kafka and PostgreSQL from outside and scales out; operators runs
 * them in the cluster through Strimzi and CloudNativePG, scaled out as prod is.
 */
class OverlayPurposeTest {
    private static final String SCALED_BY_PARTITIONS = "sync-service";
    private static final String OPERATORS = "operators";
    private static final String KAFKA_CLIENT_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS=";
    private static final String DATABASE_VARIABLE = "FAILBACK_DATASOURCE_URL=";

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

    /**
     * The services' own workloads only: Kafka and PostgreSQL are the operators' pods, made from Strimzi's and
     * CloudNativePG's resources, and every client's connection to them ends there. No password is in the render:
     * CloudNativePG generates the database's.
     */
    @Test
    void operatorsRunsKafkaAndPostgresOnlyThroughTheOperatorsResources() {
        RenderedOverlay operators = Deploy.overlay(OPERATORS);
        List<String> problems = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(OPERATORS, (workload, container) -> {
            if (Workload.moduleOf(container) == null) {
                problems.add(workload + " runs " + container.getImage());
            }
        });
        if (operators.all(Kafka.class).isEmpty() || operators.all(CnpgCluster.class).isEmpty()) {
            problems.add("no Strimzi Kafka or no CloudNativePG Cluster");
        }
        Connections connections = new Connections(operators);
        List<String> infrastructure = new ArrayList<>();
        for (Connections.Internal connection : connections.internal) {
            if (connection.reason().contains(KAFKA_CLIENT_VARIABLE) || connection.reason().contains(DATABASE_VARIABLE)) {
                infrastructure.add(connection.reason());
                if (!operators.operands.workloads.contains(connection.to())) {
                    problems.add(connection.from() + " reaches " + connection.to() + ", not an operator's pod (" + connection.reason() + ")");
                }
            }
        }
        connections.external.stream()
                .filter(connection -> connection.reason().contains(KAFKA_CLIENT_VARIABLE) || connection.reason().contains(DATABASE_VARIABLE))
                .forEach(connection -> problems.add("leaves the cluster: " + connection.reason()));
        if (infrastructure.isEmpty()) {
            problems.add("no service connects to Kafka or PostgreSQL");
        }
        operators.all(Secret.class).stream()
                .filter(secret -> Objects.requireNonNullElse(secret.getStringData(), Map.of()).containsKey("password")
                        || Objects.requireNonNullElse(secret.getData(), Map.of()).containsKey("password"))
                .forEach(secret -> problems.add("Secret " + secret.getMetadata().getName() + " holds a password"));
        Deploy.assertNone(OPERATORS, problems);
    }

    /** The overlay that runs the operators runs the services exactly as prod does, which is what was measured. */
    @Test
    void operatorsScalesTheServicesOutExactlyLikeProd() {
        RenderedOverlay prod = Deploy.overlay("prod");
        RenderedOverlay operators = Deploy.overlay(OPERATORS);
        List<String> problems = new ArrayList<>();
        for (Workload workload : prod.workloads()) {
            Optional<Workload> same = operators.workloads().stream().filter(candidate -> candidate.toString().equals(workload.toString())).findFirst();
            if (same.isEmpty()) {
                problems.add(workload + " is not in " + OPERATORS);
            } else if (same.get().replicas() != workload.replicas()
                    || !Objects.equals(same.get().template().getSpec().getTopologySpreadConstraints(), workload.template().getSpec().getTopologySpreadConstraints())) {
                problems.add(workload + ": " + same.get().replicas() + " replicas and spread "
                        + same.get().template().getSpec().getTopologySpreadConstraints() + " in " + OPERATORS + ", " + workload.replicas()
                        + " and " + workload.template().getSpec().getTopologySpreadConstraints() + " in prod");
            }
        }
        for (PodDisruptionBudget budget : prod.all(PodDisruptionBudget.class)) {
            Optional<PodDisruptionBudget> same = operators.named(PodDisruptionBudget.class, budget.getMetadata().getName());
            if (same.isEmpty() || !same.get().getSpec().equals(budget.getSpec())) {
                problems.add("PodDisruptionBudget " + budget.getMetadata().getName() + " differs: " + same.map(PodDisruptionBudget::getSpec).orElse(null));
            }
        }
        Deploy.assertNone(OPERATORS, problems);
    }

    /** Several replicas on several nodes, and a node drain never takes the last one. */
    @ParameterizedTest
    @ValueSource(strings = {"prod", OPERATORS})
    void theStatelessServicesRunAsSeveralReplicasSpreadOverNodes(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Workload workload : rendered.workloads()) {
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
            if (rendered.all(PodDisruptionBudget.class).stream().noneMatch(budget -> !Selectors.isEmpty(budget.getSpec().getSelector())
                    && Selectors.matches(budget.getSpec().getSelector(), workload.podLabels()))) {
                problems.add(workload + ": no PodDisruptionBudget");
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * sync-service replicas share asr.sync-commands through one consumer group: a replica beyond the topic's
     * partition count gets none. A broker run in the cluster gives the topics it makes enough partitions for them all:
     * its num.partitions, which the topics its administrator's Job makes get (the Job names no partition count).
     */
    @Test
    void anInClusterBrokerCreatesEnoughPartitionsForEverySyncServiceReplica() {
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String overlay : Deploy.PROJECT.overlays()) {
            RenderedOverlay rendered = Deploy.overlay(overlay);
            int replicas = rendered.workloadsRunning(SCALED_BY_PARTITIONS).stream().mapToInt(Workload::replicas).sum();
            for (InClusterBroker broker : InClusterBroker.in(rendered)) {
                checked.add(overlay + " " + broker);
                int partitions = Integer.parseInt(Objects.requireNonNullElse(broker.setting("num.partitions"), "1")); // the broker's default
                if (partitions < replicas) {
                    problems.add(overlay + " " + broker + ": topics get " + partitions + " partitions for " + replicas + " sync-service replicas");
                }
            }
            for (KafkaAdminJob job : KafkaAdminJob.in(rendered)) {
                if (job.script().contains("--partitions")) {
                    problems.add(overlay + " " + job.workload() + ": names a partition count of its own instead of the broker's num.partitions");
                }
            }
        }
        assertFalse(checked.isEmpty(), "no overlay runs a broker in the cluster");
        Deploy.assertNone("sync-commands partitions", problems);
    }
}
