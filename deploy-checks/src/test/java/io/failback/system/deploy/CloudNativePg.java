package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the CloudNativePG operator makes of a {@code Cluster}, as its 1.30.0 sources and docs say (pkg/specs/pods.go,
 * services.go, secrets.go, jobs.go, poddisruptionbudget.go; docs "Security" and "Networking"): one pod per instance,
 * labelled primary or replica (the label moves at a failover), the Services {@code <cluster>-rw} (the primary),
 * {@code -ro} (the replicas) and {@code -r} (all), the Secret {@code <cluster>-app} with the owner's generated
 * credentials, Jobs that create the database and join new replicas, and PodDisruptionBudgets unless enablePDB is
 * false. It makes no NetworkPolicy.
 */
final class CloudNativePg {
    static final String CLUSTER_LABEL = "cnpg.io/cluster";
    static final String POD_ROLE_LABEL = "cnpg.io/podRole";
    static final String INSTANCE_ROLE_LABEL = "cnpg.io/instanceRole";
    static final String JOB_ROLE_LABEL = "cnpg.io/jobRole";
    static final int POSTGRES_PORT = 5432;
    static final int STATUS_PORT = 8000;
    static final int METRICS_PORT = 9187;
    /** Secret {@code <cluster>-app}: type kubernetes.io/basic-auth, for the owner of bootstrap.initdb's database. */
    static final Set<String> APP_SECRET_KEYS = Set.of("username", "user", "password", "dbname", "host", "port", "pgpass",
            "uri", "jdbc-uri", "fqdn-uri", "fqdn-jdbc-uri");
    /** The operator as its manifests and Helm chart install it: namespace cnpg-system, pods labelled with its name. */
    static final TrafficRules.Pod OPERATOR = new TrafficRules.Pod("CloudNativePG's operator", "cnpg-system",
            Map.of("kubernetes.io/metadata.name", "cnpg-system"), Map.of("app.kubernetes.io/name", "cloudnative-pg"), List.of());

    private CloudNativePg() {
    }

    static String primaryService(String cluster) {
        return cluster + "-rw";
    }

    static String appSecret(String cluster) {
        return cluster + "-app";
    }

    static void addOperands(RenderedOverlay overlay, Operands operands) {
        for (CnpgCluster cluster : overlay.all(CnpgCluster.class)) {
            addCluster(cluster, operands);
        }
    }

    private static void addCluster(CnpgCluster cluster, Operands operands) {
        String name = cluster.getMetadata().getName();
        int instances = cluster.getSpec().instances();
        Workload primary = instances(name, "primary", 1);
        List<Workload> instanceGroups = new ArrayList<>(List.of(primary));
        if (instances > 1) {
            instanceGroups.add(instances(name, "replica", instances - 1));
        }
        Map<String, String> jobLabels = labels(name);
        jobLabels.put(JOB_ROLE_LABEL, "join");
        Workload jobs = new Workload("Job", name + " initdb and join", 1, Operands.pods(jobLabels, "join", List.of()), List.of());
        operands.workloads.addAll(instanceGroups);
        operands.workloads.add(jobs);

        operands.services.add(Operands.service(primaryService(name), Map.of(CLUSTER_LABEL, name, INSTANCE_ROLE_LABEL, "primary"), POSTGRES_PORT));
        operands.services.add(Operands.service(name + "-ro", Map.of(CLUSTER_LABEL, name, INSTANCE_ROLE_LABEL, "replica"), POSTGRES_PORT));
        operands.services.add(Operands.service(name + "-r", Map.of(CLUSTER_LABEL, name, POD_ROLE_LABEL, "instance"), POSTGRES_PORT));
        operands.secrets.put(appSecret(name), APP_SECRET_KEYS);

        // Any instance may be the primary after a failover, so each reaches each other one on both ports.
        for (Workload from : instanceGroups) {
            for (Workload to : instanceGroups) {
                if (from.equals(to) && from.replicas() == 1) {
                    continue;
                }
                operands.internal.add(new Connections.Internal(from, to, POSTGRES_PORT, "replicas stream WAL from the primary and rewind against it"));
                operands.internal.add(new Connections.Internal(from, to, STATUS_PORT, "the primary checks that it still reaches its replicas (isolation check)"));
            }
            operands.toApiServer(from, "the instance manager reads its Cluster and Secrets and reports status in the Kubernetes API");
            operands.fromOperators.add(new Operands.FromOperator(OPERATOR, from, STATUS_PORT, "asks each instance's status"));
            operands.fromOperators.add(new Operands.FromOperator(OPERATOR, from, POSTGRES_PORT, "connects to each instance (docs, \"Networking\")"));
        }
        operands.reaches.add(new Operands.Reach(jobs, primaryService(name) + ":" + POSTGRES_PORT, "a joining replica copies the primary (--parent-node)"));
        operands.toApiServer(jobs, "the jobs run the instance manager too");

        if (!Boolean.FALSE.equals(cluster.getSpec().enablePDB())) {
            operands.disruptionBudgets.add(disruptionBudget(name + "-primary", Map.of(CLUSTER_LABEL, name, INSTANCE_ROLE_LABEL, "primary"), 1));
            if (instances >= 3) {
                operands.disruptionBudgets.add(disruptionBudget(name, Map.of(CLUSTER_LABEL, name, INSTANCE_ROLE_LABEL, "replica"), instances - 2));
            }
        }
    }

    private static Workload instances(String cluster, String role, int count) {
        Map<String, String> labels = labels(cluster);
        labels.put(POD_ROLE_LABEL, "instance");
        labels.put(INSTANCE_ROLE_LABEL, role);
        List<ContainerPort> ports = List.of(Operands.port("postgresql", POSTGRES_PORT), Operands.port("metrics", METRICS_PORT),
                Operands.port("status", STATUS_PORT));
        return new Workload("Pod", cluster + " " + role, count, Operands.pods(labels, "postgres", ports), List.of());
    }

    private static Map<String, String> labels(String cluster) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(CLUSTER_LABEL, cluster);
        labels.put("app.kubernetes.io/name", "postgresql");
        labels.put("app.kubernetes.io/instance", cluster);
        labels.put("app.kubernetes.io/managed-by", "cloudnative-pg");
        return labels;
    }

    private static PodDisruptionBudget disruptionBudget(String name, Map<String, String> selector, int minAvailable) {
        return new PodDisruptionBudgetBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(selector).endSelector().withMinAvailable(new IntOrString(minAvailable)).endSpec()
                .build();
    }
}
