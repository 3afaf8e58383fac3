package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * NetworkPolicy semantics for one namespace: a connection is allowed when the source's egress policies (if any
 * select it) and the destination's ingress policies (if any select it) both allow it; the policies are the render's
 * and those its operators make. Policies of other namespaces are not in the render, so endpoints there are taken as
 * unrestricted.
 */
final class TrafficRules {
    static final String TCP = "TCP";
    static final String UDP = "UDP";

    sealed interface Endpoint permits Pod, Outside {
    }

    /** A pod, in this namespace or another one. */
    record Pod(String description, String namespace, Map<String, String> namespaceLabels, Map<String, String> labels,
            List<Container> containers) implements Endpoint {
        @Override
        public String toString() {
            return description;
        }
    }

    /** An address outside the cluster; its IP is not known here, so any ipBlock peer counts as reaching it. */
    record Outside() implements Endpoint {
        @Override
        public String toString() {
            return "outside the cluster";
        }
    }

    private final String namespace;
    private final Map<String, String> namespaceLabels;
    private final List<NetworkPolicy> policies;

    TrafficRules(RenderedOverlay overlay) {
        this.namespace = overlay.namespace().getMetadata().getName();
        Map<String, String> labels = new HashMap<>(Objects.requireNonNullElse(overlay.namespace().getMetadata().getLabels(), Map.of()));
        // The API server labels every namespace with its name.
        labels.put("kubernetes.io/metadata.name", namespace);
        this.namespaceLabels = Map.copyOf(labels);
        this.policies = overlay.networkPolicies();
    }

    Pod pod(Workload workload) {
        return new Pod(workload.toString(), namespace, namespaceLabels, workload.podLabels(), workload.containers());
    }

    boolean allows(Endpoint from, Endpoint to, String protocol, int port) {
        return egressAllows(from, to, protocol, port) && ingressAllows(from, to, protocol, port);
    }

    /** The policies of this namespace that select the pod for the given direction ("Ingress" or "Egress"). */
    List<NetworkPolicy> selecting(Pod pod, String policyType) {
        if (!pod.namespace().equals(namespace)) {
            return List.of();
        }
        return policies.stream()
                .filter(policy -> Selectors.matches(policy.getSpec().getPodSelector(), pod.labels()))
                .filter(policy -> types(policy).contains(policyType))
                .toList();
    }

    /** policyTypes as the API server defaults them: Ingress always, Egress when there are egress rules. */
    static List<String> types(NetworkPolicy policy) {
        List<String> types = policy.getSpec().getPolicyTypes();
        if (types != null && !types.isEmpty()) {
            return types;
        }
        List<NetworkPolicyEgressRule> egress = policy.getSpec().getEgress();
        return egress == null || egress.isEmpty() ? List.of("Ingress") : List.of("Ingress", "Egress");
    }

    private boolean egressAllows(Endpoint from, Endpoint to, String protocol, int port) {
        if (!(from instanceof Pod source)) {
            return true;
        }
        List<NetworkPolicy> selected = selecting(source, "Egress");
        return selected.isEmpty() || selected.stream()
                .flatMap(policy -> Objects.requireNonNullElse(policy.getSpec().getEgress(), List.<NetworkPolicyEgressRule>of()).stream())
                .anyMatch(rule -> peersMatch(rule.getTo(), to) && portsMatch(rule.getPorts(), to, protocol, port));
    }

    private boolean ingressAllows(Endpoint from, Endpoint to, String protocol, int port) {
        if (!(to instanceof Pod destination)) {
            return true;
        }
        List<NetworkPolicy> selected = selecting(destination, "Ingress");
        return selected.isEmpty() || selected.stream()
                .flatMap(policy -> Objects.requireNonNullElse(policy.getSpec().getIngress(), List.<NetworkPolicyIngressRule>of()).stream())
                .anyMatch(rule -> peersMatch(rule.getFrom(), from) && portsMatch(rule.getPorts(), to, protocol, port));
    }

    private boolean peersMatch(List<NetworkPolicyPeer> peers, Endpoint endpoint) {
        if (peers == null || peers.isEmpty()) {
            return true;
        }
        return peers.stream().anyMatch(peer -> {
            if (peer.getIpBlock() != null) {
                return endpoint instanceof Outside;
            }
            if (!(endpoint instanceof Pod pod)) {
                return false;
            }
            boolean namespaceMatches = peer.getNamespaceSelector() == null ? pod.namespace().equals(namespace)
                    : Selectors.matches(peer.getNamespaceSelector(), pod.namespaceLabels());
            return namespaceMatches && Selectors.matches(peer.getPodSelector(), pod.labels());
        });
    }

    private static boolean portsMatch(List<NetworkPolicyPort> ports, Endpoint destination, String protocol, int port) {
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        return ports.stream().anyMatch(rule -> {
            if (!Objects.requireNonNullElse(rule.getProtocol(), TCP).equals(protocol)) {
                return false;
            }
            if (rule.getPort() == null) {
                return true;
            }
            if (rule.getPort().getIntVal() != null) {
                int first = rule.getPort().getIntVal();
                int last = rule.getEndPort() == null ? first : rule.getEndPort();
                return first <= port && port <= last;
            }
            return destination instanceof Pod pod && pod.containers().stream()
                    .flatMap(container -> Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of()).stream())
                    .anyMatch(containerPort -> rule.getPort().getStrVal().equals(containerPort.getName())
                            && containerPort.getContainerPort() == port);
        });
    }

    /** Whether an egress rule can reach addresses outside the cluster: no peers at all, or an ipBlock. */
    static boolean reachesOutside(NetworkPolicyEgressRule rule) {
        return rule.getTo() == null || rule.getTo().isEmpty() || rule.getTo().stream().anyMatch(peer -> peer.getIpBlock() != null);
    }
}
