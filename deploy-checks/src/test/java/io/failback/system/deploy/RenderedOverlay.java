package io.failback.system.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One overlay's render, read into the Kubernetes model (fabric8; an operator's own for its custom resources), with
 * what the operators will make of it and the look-ups the checks share.
 */
final class RenderedOverlay {
    final String name;
    final List<ObjectNode> documents;
    final List<HasMetadata> resources = new ArrayList<>();
    /** What the operators make of the custom resources: pods, Services, Secrets and policies not in the render. */
    final Operands operands;

    RenderedOverlay(String name, List<ObjectNode> documents) {
        this.name = name;
        this.documents = documents;
        for (ObjectNode document : documents) {
            KubernetesResource typed;
            try {
                typed = KubernetesModel.read(document);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(name + ": " + KustomizeRenderer.id(document) + " does not fit the Kubernetes model: "
                        + e.getOriginalMessage(), e);
            }
            if (!(typed instanceof HasMetadata object) || typed instanceof GenericKubernetesResource) {
                throw new IllegalArgumentException(name + ": the Kubernetes model does not know the kind of " + KustomizeRenderer.id(document));
            }
            resources.add(object);
        }
        this.operands = Operands.of(this);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> named(Class<T> type, String name) {
        return all(type).stream().filter(resource -> resource.getMetadata().getName().equals(name)).findFirst();
    }

    List<Workload> workloads() {
        List<Workload> workloads = new ArrayList<>();
        for (Deployment deployment : all(Deployment.class)) {
            workloads.add(new Workload("Deployment", deployment.getMetadata().getName(),
                    Objects.requireNonNullElse(deployment.getSpec().getReplicas(), 1), deployment.getSpec().getTemplate(), List.of()));
        }
        for (StatefulSet statefulSet : all(StatefulSet.class)) {
            workloads.add(new Workload("StatefulSet", statefulSet.getMetadata().getName(),
                    Objects.requireNonNullElse(statefulSet.getSpec().getReplicas(), 1), statefulSet.getSpec().getTemplate(),
                    Objects.requireNonNullElse(statefulSet.getSpec().getVolumeClaimTemplates(), List.of())));
        }
        for (Job job : all(Job.class)) {
            // As many pods at once as its parallelism (default 1), each run to completion.
            workloads.add(new Workload(Workload.JOB, job.getMetadata().getName(),
                    Objects.requireNonNullElse(job.getSpec().getParallelism(), 1), job.getSpec().getTemplate(), List.of()));
        }
        return workloads;
    }

    /** The render's workloads and the operators' pods: everything that runs in the namespace. */
    List<Workload> workloadsAndOperands() {
        List<Workload> all = new ArrayList<>(workloads());
        all.addAll(operands.workloads);
        return all;
    }

    /** The render's NetworkPolicies and those the operators make: what the cluster enforces. */
    List<NetworkPolicy> networkPolicies() {
        List<NetworkPolicy> all = new ArrayList<>(all(NetworkPolicy.class));
        all.addAll(operands.networkPolicies);
        return all;
    }

    List<Workload> workloadsRunning(String module) {
        return workloads().stream()
                .filter(workload -> workload.containers().stream().anyMatch(container -> module.equals(Workload.moduleOf(container))))
                .toList();
    }

    /** The overlay's namespace: the one Namespace object it creates. */
    Namespace namespace() {
        List<Namespace> namespaces = all(Namespace.class);
        if (namespaces.size() != 1) {
            throw new IllegalStateException(name + " creates " + namespaces.size() + " namespaces, expected one");
        }
        return namespaces.get(0);
    }

    /**
     * Every variable the container gets, with its value where the render holds it (a Secret's too; an operator's
     * generated Secret has its keys, not their values). A reference to a ConfigMap, Secret or key that neither the
     * render nor an operator provides is no source: it goes to {@code dangling} instead.
     */
    Map<String, Optional<String>> environment(Container container, List<String> dangling) {
        Map<String, Optional<String>> environment = new LinkedHashMap<>();
        for (EnvFromSource source : Objects.requireNonNullElse(container.getEnvFrom(), List.<EnvFromSource>of())) {
            String prefix = Objects.requireNonNullElse(source.getPrefix(), "");
            Map<String, Optional<String>> values = source.getConfigMapRef() != null ? configMapData(source.getConfigMapRef().getName())
                    : secretData(source.getSecretRef().getName());
            if (values == null) {
                dangling.add("envFrom " + (source.getConfigMapRef() != null ? "ConfigMap " + source.getConfigMapRef().getName()
                        : "Secret " + source.getSecretRef().getName()));
                continue;
            }
            values.forEach((key, value) -> environment.put(prefix + key, value));
        }
        for (EnvVar variable : Objects.requireNonNullElse(container.getEnv(), List.<EnvVar>of())) {
            EnvVarSource from = variable.getValueFrom();
            if (from == null) {
                environment.put(variable.getName(), Optional.of(Objects.requireNonNullElse(variable.getValue(), "")));
            } else if (from.getConfigMapKeyRef() != null || from.getSecretKeyRef() != null) {
                boolean isConfigMap = from.getConfigMapKeyRef() != null;
                String object = isConfigMap ? from.getConfigMapKeyRef().getName() : from.getSecretKeyRef().getName();
                String key = isConfigMap ? from.getConfigMapKeyRef().getKey() : from.getSecretKeyRef().getKey();
                Map<String, Optional<String>> values = isConfigMap ? configMapData(object) : secretData(object);
                if (values == null || !values.containsKey(key)) {
                    dangling.add(variable.getName() + " from " + (isConfigMap ? "ConfigMap " : "Secret ") + object + " key " + key);
                } else {
                    environment.put(variable.getName(), values.get(key));
                }
            } else {
                // fieldRef and resourceFieldRef: the kubelet fills them in, there is nothing to check here.
                environment.put(variable.getName(), Optional.empty());
            }
        }
        return environment;
    }

    /** Every variable's value, for containers whose references all resolve (checked on their own). */
    Map<String, String> literalEnvironment(Container container) {
        Map<String, String> values = new LinkedHashMap<>();
        environment(container, new ArrayList<>()).forEach((key, value) -> value.ifPresent(v -> values.put(key, v)));
        return values;
    }

    private Map<String, Optional<String>> configMapData(String name) {
        return named(ConfigMap.class, name).map(configMap -> {
            Map<String, Optional<String>> data = new LinkedHashMap<>();
            Objects.requireNonNullElse(configMap.getData(), Map.<String, String>of()).forEach((key, value) -> data.put(key, Optional.of(value)));
            return data;
        }).orElse(null);
    }

    private Map<String, Optional<String>> secretData(String name) {
        Optional<Secret> rendered = named(Secret.class, name);
        if (rendered.isEmpty()) {
            Set<String> generated = operands.secrets.get(name);
            if (generated == null) {
                return null;
            }
            Map<String, Optional<String>> keys = new LinkedHashMap<>();
            generated.forEach(key -> keys.put(key, Optional.empty()));
            return keys;
        }
        Secret secret = rendered.get();
        Map<String, Optional<String>> data = new LinkedHashMap<>();
        Objects.requireNonNullElse(secret.getData(), Map.<String, String>of())
                .forEach((key, value) -> data.put(key, Optional.of(new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8))));
        Objects.requireNonNullElse(secret.getStringData(), Map.<String, String>of()).forEach((key, value) -> data.put(key, Optional.of(value)));
        return data;
    }

    /** A port given by number or by the name of one of the container's ports. */
    static OptionalInt resolvePort(IntOrString port, List<Container> containers) {
        if (port == null) {
            return OptionalInt.empty();
        }
        if (port.getIntVal() != null) {
            return OptionalInt.of(port.getIntVal());
        }
        return containers.stream()
                .flatMap(container -> Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of()).stream())
                .filter(containerPort -> port.getStrVal().equals(containerPort.getName()))
                .mapToInt(ContainerPort::getContainerPort)
                .findFirst();
    }

    @Override
    public String toString() {
        return name;
    }
}
