package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.strimzi.api.kafka.model.common.template.PodDisruptionBudgetTemplate;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.KafkaClusterSpec;
import io.strimzi.api.kafka.model.kafka.KafkaClusterTemplate;
import io.strimzi.api.kafka.model.kafka.entityoperator.EntityOperatorSpec;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerType;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the Strimzi cluster operator makes of a {@code Kafka} and its {@code KafkaNodePool}s, as its 0.49.1 sources
 * say (cluster-operator/.../model/KafkaCluster.java, EntityOperator.java, NetworkPolicyUtils.java): a StrimziPodSet
 * of pods per pool, Service {@code <cluster>-kafka-bootstrap} (the brokers' client listeners and the replication
 * port) and headless {@code <cluster>-kafka-brokers}, the entity operator's Deployment, and a NetworkPolicy for the
 * ingress of each. Features this does not model (metrics, JMX, Cruise Control, Kafka Exporter, listeners outside the
 * cluster) fail instead of being left out: they open ports.
 */
final class Strimzi {
    static final String API_VERSION = "kafka.strimzi.io/v1";
    static final String CLUSTER_LABEL = "strimzi.io/cluster";
    static final String KIND_LABEL = "strimzi.io/kind";
    static final String NAME_LABEL = "strimzi.io/name";
    static final String BROKER_ROLE_LABEL = "strimzi.io/broker-role";
    static final String CONTROLLER_ROLE_LABEL = "strimzi.io/controller-role";
    static final int CONTROL_PLANE_PORT = 9090;
    static final int REPLICATION_PORT = 9091;
    static final int KAFKA_AGENT_PORT = 8443;
    static final int TOPIC_OPERATOR_HEALTH_PORT = 8080;
    static final int USER_OPERATOR_HEALTH_PORT = 8081;
    /**
     * The cluster operator, installed in a namespace of its own. Its policies take it from any namespace unless it is
     * told its namespace's labels (STRIMZI_OPERATOR_NAMESPACE_LABELS), so a namespace of any name stands for it here.
     */
    static final TrafficRules.Pod CLUSTER_OPERATOR = new TrafficRules.Pod("Strimzi's cluster operator", "strimzi",
            Map.of("kubernetes.io/metadata.name", "strimzi"), Map.of(KIND_LABEL, "cluster-operator", "name", "strimzi-cluster-operator"), List.of());

    private Strimzi() {
    }

    static String bootstrapService(String cluster) {
        return cluster + "-kafka-bootstrap";
    }

    /** What a Kafka's pods, Services and policies select it by (Labels.strimziSelectorLabels). */
    static Map<String, String> kafkaSelector(String cluster) {
        return Map.of(CLUSTER_LABEL, cluster, KIND_LABEL, Kafka.RESOURCE_KIND, NAME_LABEL, cluster + "-kafka");
    }

    static List<KafkaNodePool> pools(RenderedOverlay overlay, Kafka kafka) {
        return overlay.all(KafkaNodePool.class).stream()
                .filter(pool -> kafka.getMetadata().getName().equals(labels(pool.getMetadata().getLabels()).get(CLUSTER_LABEL)))
                .toList();
    }

    /** The PodDisruptionBudget Strimzi makes for a Kafka's nodes: at most this many of them down at once. */
    static int maxUnavailable(Kafka kafka) {
        return Optional.ofNullable(kafka.getSpec().getKafka().getTemplate()).map(KafkaClusterTemplate::getPodDisruptionBudget)
                .map(PodDisruptionBudgetTemplate::getMaxUnavailable).orElse(1);
    }

    static void addOperands(RenderedOverlay overlay, Operands operands) {
        for (Kafka kafka : overlay.all(Kafka.class)) {
            addKafka(overlay, kafka, operands);
        }
    }

    private static void addKafka(RenderedOverlay overlay, Kafka kafka, Operands operands) {
        String cluster = kafka.getMetadata().getName();
        KafkaClusterSpec spec = kafka.getSpec().getKafka();
        EntityOperatorSpec entityOperator = kafka.getSpec().getEntityOperator();
        if (spec.getMetricsConfig() != null || spec.getJmxOptions() != null || kafka.getSpec().getCruiseControl() != null
                || kafka.getSpec().getKafkaExporter() != null) {
            throw notModeled(kafka, "metrics, JMX, Cruise Control or Kafka Exporter");
        }
        List<GenericKafkaListener> listeners = Objects.requireNonNullElse(spec.getListeners(), List.of());
        for (GenericKafkaListener listener : listeners) {
            if (listener.getType() != KafkaListenerType.INTERNAL) {
                throw notModeled(kafka, "a listener of type " + listener.getType());
            }
        }
        List<KafkaNodePool> pools = pools(overlay, kafka);
        if (pools.isEmpty()) {
            throw new IllegalArgumentException(overlay + ": Kafka " + cluster + " has no KafkaNodePool (label " + CLUSTER_LABEL + ")");
        }
        Map<String, String> selector = kafkaSelector(cluster);
        List<Workload> brokers = new ArrayList<>();
        List<Workload> controllers = new ArrayList<>();
        List<Workload> nodes = new ArrayList<>();
        for (KafkaNodePool pool : pools) {
            boolean broker = pool.getSpec().getRoles().contains(ProcessRoles.BROKER);
            boolean controller = pool.getSpec().getRoles().contains(ProcessRoles.CONTROLLER);
            Map<String, String> labels = new LinkedHashMap<>(selector);
            labels.put("strimzi.io/pool-name", pool.getMetadata().getName());
            labels.put(BROKER_ROLE_LABEL, String.valueOf(broker));
            labels.put(CONTROLLER_ROLE_LABEL, String.valueOf(controller));
            labels.put("strimzi.io/component-type", "kafka");
            labels.put("app.kubernetes.io/name", "kafka");
            // KafkaCluster.getContainerPortList: the agent on every node, each role's ports on its nodes.
            List<ContainerPort> ports = new ArrayList<>(List.of(Operands.port("tcp-kafkaagent", KAFKA_AGENT_PORT)));
            if (controller) {
                ports.add(Operands.port("tcp-ctrlplane", CONTROL_PLANE_PORT));
            }
            if (broker) {
                ports.add(Operands.port("tcp-replication", REPLICATION_PORT));
                listeners.forEach(listener -> ports.add(Operands.port(portName(listener), listener.getPort())));
            }
            Workload node = new Workload("StrimziPodSet", cluster + "-" + pool.getMetadata().getName(), pool.getSpec().getReplicas(),
                    Operands.pods(labels, "kafka", ports), List.of());
            nodes.add(node);
            if (broker) {
                brokers.add(node);
            }
            if (controller) {
                controllers.add(node);
            }
        }
        operands.workloads.addAll(nodes);

        Map<String, String> brokersSelector = new LinkedHashMap<>(selector);
        brokersSelector.put(BROKER_ROLE_LABEL, "true");
        int[] clientPorts = listeners.stream().mapToInt(GenericKafkaListener::getPort).toArray();
        operands.services.add(Operands.service(bootstrapService(cluster), brokersSelector, concat(new int[] {REPLICATION_PORT}, clientPorts)));
        operands.services.add(Operands.service(cluster + "-kafka-brokers", selector,
                concat(new int[] {CONTROL_PLANE_PORT, REPLICATION_PORT, KAFKA_AGENT_PORT}, clientPorts)));

        for (Workload from : nodes) {
            for (Workload to : controllers) {
                operands.internal.add(new Connections.Internal(from, to, CONTROL_PLANE_PORT, "KRaft: every node follows the controller quorum"));
            }
        }
        for (Workload from : brokers) {
            for (Workload to : brokers) {
                operands.internal.add(new Connections.Internal(from, to, REPLICATION_PORT, "brokers replicate partitions"));
            }
        }
        for (Workload to : nodes) {
            operands.fromOperators.add(new Operands.FromOperator(CLUSTER_OPERATOR, to, KAFKA_AGENT_PORT, "asks each node's state while it rolls them"));
        }
        for (Workload to : controllers) {
            operands.fromOperators.add(new Operands.FromOperator(CLUSTER_OPERATOR, to, CONTROL_PLANE_PORT, "checks the quorum before a roll"));
        }
        for (Workload to : brokers) {
            operands.fromOperators.add(new Operands.FromOperator(CLUSTER_OPERATOR, to, REPLICATION_PORT, "administers the cluster"));
        }

        NetworkPolicyPeer kafkaPeer = peer(selector, null);
        NetworkPolicyPeer operatorPeer = peer(Map.of(KIND_LABEL, "cluster-operator"), new LabelSelector());
        NetworkPolicyPeer entityOperatorPeer = peer(Map.of(NAME_LABEL, cluster + "-entity-operator"), null);
        NetworkPolicyPeer exporterPeer = peer(Map.of(NAME_LABEL, cluster + "-kafka-exporter"), null);
        NetworkPolicyPeer cruiseControlPeer = peer(Map.of(NAME_LABEL, cluster + "-cruise-control"), null);
        List<NetworkPolicyIngressRule> rules = new ArrayList<>(List.of(
                ingress(CONTROL_PLANE_PORT, List.of(kafkaPeer, operatorPeer)),
                ingress(REPLICATION_PORT, List.of(operatorPeer, kafkaPeer, entityOperatorPeer, exporterPeer, cruiseControlPeer)),
                ingress(KAFKA_AGENT_PORT, List.of(operatorPeer))));
        // A listener without peers is open to every pod and address.
        listeners.forEach(listener -> rules.add(ingress(listener.getPort(), Objects.requireNonNullElse(listener.getNetworkPolicyPeers(), List.of()))));
        operands.networkPolicies.add(policy(cluster + "-network-policy-kafka", selector, rules));
        operands.disruptionBudgets.add(disruptionBudget(cluster + "-kafka", selector, maxUnavailable(kafka)));

        if (entityOperator != null && (entityOperator.getTopicOperator() != null || entityOperator.getUserOperator() != null)) {
            addEntityOperator(cluster, entityOperator.getTopicOperator() != null, entityOperator.getUserOperator() != null, operands);
        }
    }

    /**
     * The entity operator's Deployment, one pod with a container per operator it runs: the topic operator watches
     * KafkaTopics and the user operator KafkaUsers in the Kubernetes API, and each makes what they say (topics; SCRAM
     * users and their ACLs) through the replication listener (TLS with the cluster CA). Each has a health port that
     * Strimzi's policy opens to every client (EntityOperator.generateNetworkPolicy).
     */
    private static void addEntityOperator(String cluster, boolean topicOperator, boolean userOperator, Operands operands) {
        String name = cluster + "-entity-operator";
        Map<String, String> selector = Map.of(CLUSTER_LABEL, cluster, KIND_LABEL, Kafka.RESOURCE_KIND, NAME_LABEL, name);
        Map<String, String> labels = new LinkedHashMap<>(selector);
        labels.put("strimzi.io/component-type", "entity-operator");
        labels.put("app.kubernetes.io/name", "entity-operator");
        List<ContainerPort> ports = new ArrayList<>();
        List<Integer> healthPorts = new ArrayList<>();
        if (topicOperator) {
            ports.add(Operands.port("healthcheck", TOPIC_OPERATOR_HEALTH_PORT));
            healthPorts.add(TOPIC_OPERATOR_HEALTH_PORT);
        }
        if (userOperator) {
            ports.add(Operands.port("healthcheck-uo", USER_OPERATOR_HEALTH_PORT));
            healthPorts.add(USER_OPERATOR_HEALTH_PORT);
        }
        // The model has one container a pod; the ports, which are what the checks use, are those of both containers.
        Workload workload = new Workload("Deployment", name, 1,
                Operands.pods(labels, topicOperator ? "topic-operator" : "user-operator", ports), List.of());
        operands.workloads.add(workload);
        if (topicOperator) {
            operands.reaches.add(new Operands.Reach(workload, bootstrapService(cluster) + ":" + REPLICATION_PORT,
                    "the topic operator's STRIMZI_KAFKA_BOOTSTRAP_SERVERS (EntityTopicOperator)"));
            operands.toApiServer(workload, "the topic operator watches KafkaTopics in the Kubernetes API");
        }
        if (userOperator) {
            operands.reaches.add(new Operands.Reach(workload, bootstrapService(cluster) + ":" + REPLICATION_PORT,
                    "the user operator's STRIMZI_KAFKA_BOOTSTRAP_SERVERS (EntityUserOperator)"));
            operands.toApiServer(workload, "the user operator watches KafkaUsers and writes their Secrets in the Kubernetes API");
        }
        List<NetworkPolicyIngressRule> rules = new ArrayList<>();
        for (int port : healthPorts) {
            rules.add(ingress(port, List.of()));
            operands.openPorts.add(new Operands.OpenPort(workload, port,
                    "Strimzi's own policy opens the entity operator's health ports to every client (EntityOperator.generateNetworkPolicy)"));
        }
        operands.networkPolicies.add(policy(name, selector, rules));
        operands.disruptionBudgets.add(disruptionBudget(name, selector, 1));
    }

    /** ListenersUtils.backwardsCompatiblePortName: the names older Strimzi versions gave the first two listeners live on. */
    private static String portName(GenericKafkaListener listener) {
        if (listener.getPort() == 9092 && "plain".equals(listener.getName())) {
            return "tcp-clients";
        }
        if (listener.getPort() == 9093 && "tls".equals(listener.getName())) {
            return "tcp-clientstls";
        }
        return "tcp-" + listener.getName();
    }

    private static NetworkPolicyPeer peer(Map<String, String> podLabels, LabelSelector namespaceSelector) {
        return new NetworkPolicyPeerBuilder().withNewPodSelector().withMatchLabels(podLabels).endPodSelector()
                .withNamespaceSelector(namespaceSelector).build();
    }

    private static NetworkPolicyIngressRule ingress(int port, List<NetworkPolicyPeer> peers) {
        return new NetworkPolicyIngressRuleBuilder().addNewPort().withPort(new IntOrString(port)).withProtocol(TrafficRules.TCP).endPort()
                .withFrom(peers).build();
    }

    private static NetworkPolicy policy(String name, Map<String, String> selector, List<NetworkPolicyIngressRule> rules) {
        return new NetworkPolicyBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNewPodSelector().withMatchLabels(selector).endPodSelector().withIngress(rules).endSpec()
                .build();
    }

    private static PodDisruptionBudget disruptionBudget(String name, Map<String, String> selector, int maxUnavailable) {
        return new PodDisruptionBudgetBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(selector).endSelector().withMaxUnavailable(new IntOrString(maxUnavailable)).endSpec()
                .build();
    }

    private static int[] concat(int[] first, int[] second) {
        int[] all = new int[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    private static Map<String, String> labels(Map<String, String> labels) {
        return Objects.requireNonNullElse(labels, Map.of());
    }

    private static IllegalArgumentException notModeled(Kafka kafka, String what) {
        return new IllegalArgumentException("Kafka " + kafka.getMetadata().getName() + " uses " + what + ", whose pods, ports"
                + " and policies Strimzi.java does not model: add them there from Strimzi's sources");
    }
}
