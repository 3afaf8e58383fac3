package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the operators make of an overlay's custom resources: objects that are not in the render, but that the
 * services connect to and that the network policies must let through. The pods (as {@link Workload}s with the labels
 * and ports the operator gives them), the Services and generated Secrets the services are pointed at, the
 * NetworkPolicies and PodDisruptionBudgets the operator makes itself, and the connections the pods make among
 * themselves, to the Kubernetes API server, and from the operator's own pod. Each operator's rules are in
 * {@link Strimzi} and {@link CloudNativePg}, read from its sources and docs at the version the overlays name.
 */
final class Operands {
    /** A policy sees the API server's endpoint port: 6443 on kubeadm, kind and k3s, 443 on most managed clusters. */
    static final List<Integer> API_SERVER_PORTS = List.of(443, 6443);

    /** A connection an operand makes to an address, resolved like a service's configuration (a Service's name and port). */
    record Reach(Workload from, String address, String reason) {
    }

    /** A connection from an operator's own pod, in the namespace it was installed to, into an operand. */
    record FromOperator(TrafficRules.Pod operator, Workload to, int port, String reason) {
    }

    /** A port the operator's own NetworkPolicy opens to every client, as that operator always does. */
    record OpenPort(Workload workload, int port, String reason) {
    }

    final List<Workload> workloads = new ArrayList<>();
    final List<Service> services = new ArrayList<>();
    /** Secrets the operator generates, by name, with their keys; their values exist only in the cluster. */
    final Map<String, Set<String>> secrets = new LinkedHashMap<>();
    final List<NetworkPolicy> networkPolicies = new ArrayList<>();
    final List<PodDisruptionBudget> disruptionBudgets = new ArrayList<>();
    final List<Connections.Internal> internal = new ArrayList<>();
    final List<Connections.External> external = new ArrayList<>();
    final List<Reach> reaches = new ArrayList<>();
    final List<FromOperator> fromOperators = new ArrayList<>();
    final List<OpenPort> openPorts = new ArrayList<>();

    static Operands of(RenderedOverlay overlay) {
        Operands operands = new Operands();
        Strimzi.addOperands(overlay, operands);
        CloudNativePg.addOperands(overlay, operands);
        // cert-manager makes no pod in the namespace, only each Certificate's Secret.
        overlay.all(CertManagerCertificate.class).forEach(certificate ->
                operands.secrets.put(certificate.getSpec().secretName(), certificate.getSpec().secretKeys()));
        return operands;
    }

    /** Pods as the checks see a workload's: labels, and containers with named ports (their images are the operator's business). */
    static PodTemplateSpec pods(Map<String, String> labels, String container, List<ContainerPort> ports) {
        return new PodTemplateSpecBuilder()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName(container).withPorts(ports).endContainer().endSpec()
                .build();
    }

    static ContainerPort port(String name, int number) {
        return new ContainerPortBuilder().withName(name).withContainerPort(number).withProtocol(TrafficRules.TCP).build();
    }

    static Service service(String name, Map<String, String> selector, int... ports) {
        List<ServicePort> servicePorts = new ArrayList<>();
        for (int port : ports) {
            servicePorts.add(new ServicePortBuilder().withPort(port).withNewTargetPort(port).withProtocol(TrafficRules.TCP).build());
        }
        return new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withSelector(selector).withPorts(servicePorts).endSpec()
                .build();
    }

    void toApiServer(Workload from, String reason) {
        API_SERVER_PORTS.forEach(port -> external.add(new Connections.External(from, port, reason)));
    }
}
