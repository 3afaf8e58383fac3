package io.failback.system.deploy;


import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each workload reaches exactly what its configuration points it at (see {@link Connections}), plus the cluster
 * DNS; only job-service's API takes connections from outside. The operators' pods ({@link Operands}) reach exactly
 * what their operator's sources and docs say they do, and their operator exactly them. Evaluated with
 * NetworkPolicy semantics over the render and the operators' own policies ({@link TrafficRules}), so a policy that
 * is too narrow and one that is too wide both fail.
 */
class NetworkPolicyTest {
    /** The only service clients call. */
    private static final String API_MODULE = "job-service";
    private static final TrafficRules.Pod KUBE_DNS = new TrafficRules.Pod("kube-dns", "kube-system",
            Map.of("kubernetes.io/metadata.name", "kube-system"), Map.of("k8s-app", "kube-dns"), List.of());
    private static final TrafficRules.Pod POD_ELSEWHERE = new TrafficRules.Pod("a pod of another namespace", "elsewhere",
            Map.of("kubernetes.io/metadata.name", "elsewhere"), Map.of(), List.of());

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyWorkloadHasAPolicyOfItsOwnBehindADefaultDeny(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<NetworkPolicy> policies = rendered.networkPolicies();
        boolean defaultDeny = policies.stream().anyMatch(policy -> Selectors.isEmpty(policy.getSpec().getPodSelector())
                && TrafficRules.types(policy).containsAll(List.of("Ingress", "Egress"))
                && isEmpty(policy.getSpec().getIngress()) && isEmpty(policy.getSpec().getEgress()));
        List<String> problems = new ArrayList<>();
        if (!defaultDeny) {
            problems.add("no policy denies all ingress and egress to every pod by default");
        }
        for (Workload workload : rendered.workloadsAndOperands()) {
            boolean ownPolicy = policies.stream().anyMatch(policy -> !Selectors.isEmpty(policy.getSpec().getPodSelector())
                    && Selectors.matches(policy.getSpec().getPodSelector(), workload.podLabels()));
            if (!ownPolicy) {
                problems.add(workload + ": no NetworkPolicy selects it by its labels");
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyConnectionTheConfigurationAsksForIsAllowed(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        TrafficRules rules = new TrafficRules(rendered);
        Connections connections = new Connections(rendered);
        List<String> problems = new ArrayList<>();
        for (Connections.Internal connection : connections.internal) {
            if (!rules.allows(rules.pod(connection.from()), rules.pod(connection.to()), TrafficRules.TCP, connection.port())) {
                problems.add(connection.from() + " cannot reach " + connection.to() + ":" + connection.port() + " (" + connection.reason() + ")");
            }
        }
        for (Connections.External connection : connections.external) {
            if (!rules.allows(rules.pod(connection.from()), new TrafficRules.Outside(), TrafficRules.TCP, connection.port())) {
                problems.add(connection.from() + " cannot reach port " + connection.port() + " outside the cluster (" + connection.reason() + ")");
            }
        }
        for (Operands.FromOperator connection : connections.fromOperators) {
            if (!rules.allows(connection.operator(), rules.pod(connection.to()), TrafficRules.TCP, connection.port())) {
                problems.add(connection.operator() + " cannot reach " + connection.to() + ":" + connection.port()
                        + " (it " + connection.reason() + ")");
            }
        }
        for (Workload workload : rendered.workloadsAndOperands()) {
            if (!rules.allows(rules.pod(workload), KUBE_DNS, TrafficRules.UDP, 53)) {
                problems.add(workload + " cannot resolve names: no egress to kube-dns on UDP 53");
            }
        }
        for (Workload api : rendered.workloadsRunning(API_MODULE)) {
            int port = apiPort(rendered, api);
            if (!rules.allows(new TrafficRules.Outside(), rules.pod(api), TrafficRules.TCP, port)
                    || !rules.allows(POD_ELSEWHERE, rules.pod(api), TrafficRules.TCP, port)) {
                problems.add(api + ": clients cannot reach its API on " + port);
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void nothingElseIsAllowed(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        TrafficRules rules = new TrafficRules(rendered);
        Connections connections = new Connections(rendered);
        List<String> problems = new ArrayList<>();
        List<TrafficRules.Pod> operators = connections.fromOperators.stream().map(Operands.FromOperator::operator).distinct().toList();
        for (Workload to : rendered.workloadsAndOperands()) {
            for (int port : containerPorts(to)) {
                for (Workload from : rendered.workloadsAndOperands()) {
                    if (!from.equals(to) && !connections.isIntended(from, to, port)
                            && rules.allows(rules.pod(from), rules.pod(to), TrafficRules.TCP, port)) {
                        problems.add(from + " may reach " + to + ":" + port + ", which its configuration never names");
                    }
                }
                boolean api = rendered.workloadsRunning(API_MODULE).contains(to) && port == apiPort(rendered, to);
                boolean openByItsOperator = rendered.operands.openPorts.stream()
                        .anyMatch(open -> open.workload().equals(to) && open.port() == port);
                if (api || openByItsOperator) {
                    continue;
                }
                if (rules.allows(new TrafficRules.Outside(), rules.pod(to), TrafficRules.TCP, port)
                        || rules.allows(POD_ELSEWHERE, rules.pod(to), TrafficRules.TCP, port)) {
                    problems.add(to + ":" + port + " takes connections from outside the namespace");
                }
                for (TrafficRules.Pod operator : operators) {
                    if (!connections.isIntendedFromOperator(operator, to, port) && rules.allows(operator, rules.pod(to), TrafficRules.TCP, port)) {
                        problems.add(operator + " may reach " + to + ":" + port + ", which it has no need of");
                    }
                }
            }
            // Outside addresses are unknown here, so egress that can leave the cluster is checked rule by rule.
            TrafficRules.Pod pod = rules.pod(to);
            if (rules.selecting(pod, "Egress").isEmpty()) {
                problems.add(to + ": no policy restricts its egress");
            }
            for (NetworkPolicy policy : rules.selecting(pod, "Egress")) {
                for (NetworkPolicyEgressRule rule : Objects.requireNonNullElse(policy.getSpec().getEgress(), List.<NetworkPolicyEgressRule>of())) {
                    if (!TrafficRules.reachesOutside(rule)) {
                        continue;
                    }
                    List<NetworkPolicyPort> ports = Objects.requireNonNullElse(rule.getPorts(), List.of());
                    if (ports.isEmpty()) {
                        problems.add(to + ": policy " + policy.getMetadata().getName() + " lets it leave the cluster on any port");
                    }
                    for (NetworkPolicyPort port : ports) {
                        Integer number = port.getPort() == null ? null : port.getPort().getIntVal();
                        if (number == null || port.getEndPort() != null || !connections.isIntendedOutside(to, number)) {
                            problems.add(to + ": policy " + policy.getMetadata().getName() + " lets it leave the cluster on "
                                    + (port.getPort() == null ? "any port" : port.getPort().getValue()) + ", which its configuration never names");
                        }
                    }
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    private static List<Integer> containerPorts(Workload workload) {
        return workload.containers().stream()
                .flatMap(container -> Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of()).stream())
                .map(ContainerPort::getContainerPort)
                .toList();
    }

    private static boolean isEmpty(List<?> list) {
        return list == null || list.isEmpty();
    }

    /** The port the API's container serves (HTTPS only when so configured), which clients reach from anywhere. */
    private static int apiPort(RenderedOverlay rendered, Workload api) {
        return api.containers().stream().filter(container -> API_MODULE.equals(Workload.moduleOf(container)))
                .map(container -> Listener.of(rendered, container, API_MODULE).port()).findFirst()
                .orElse(Deploy.service(API_MODULE).httpPort());
    }
}
