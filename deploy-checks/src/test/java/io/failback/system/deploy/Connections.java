package io.failback.system.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The connections an overlay's configuration asks for: every address in a container's environment (a URL, Kafka's
 * bootstrap list, ...) is somewhere that container connects to, either a Service of the render or one an operator
 * makes (then the pods it selects, on the port it targets) or a place outside the cluster. One connection is made at
 * run time instead: sync-service and job-service call each host at the URL the host advertises in its heartbeats. The operators'
 * pods add theirs ({@link Operands}): among themselves, to the Kubernetes API server, and from the operator.
 */
final class Connections {
    /** Heartbeats carry each host's advertised URL; sync-service copies disks to and from it. */
    static final String HOST_MODULE = "host-agent";
    static final String HOST_ADVERTISED_URL = "HOST_AGENT_ADVERTISED_URL";
    /** sync-service copies disks to and from it, job-service lists its VMs. */
    static final List<String> HOST_CALLER_MODULES = List.of("sync-service", "job-service");

    record Internal(Workload from, Workload to, int port, String reason) {
    }

    record External(Workload from, int port, String reason) {
    }

    final List<Internal> internal = new ArrayList<>();
    final List<External> external = new ArrayList<>();
    final List<Operands.FromOperator> fromOperators;
    /** Addresses that name a Service (the render's or an operator's) wrongly: no such port, or nothing behind it. */
    final List<String> problems = new ArrayList<>();

    private final RenderedOverlay overlay;
    private final String namespace;

    Connections(RenderedOverlay overlay) {
        this.overlay = overlay;
        this.namespace = overlay.namespace().getMetadata().getName();
        this.fromOperators = List.copyOf(overlay.operands.fromOperators);
        for (Workload workload : overlay.workloads()) {
            for (Container container : workload.containers()) {
                overlay.literalEnvironment(container).forEach((name, value) -> Address.in(value).forEach(address ->
                        resolve(workload, address, workload + " " + name + "=" + value)));
            }
        }
        for (Workload host : overlay.workloadsRunning(HOST_MODULE)) {
            for (Container container : host.containers()) {
                String advertised = overlay.literalEnvironment(container).get(HOST_ADVERTISED_URL);
                if (advertised == null) {
                    continue;
                }
                for (Workload caller : HOST_CALLER_MODULES.stream().flatMap(module -> overlay.workloadsRunning(module).stream()).toList()) {
                    Address.in(advertised).forEach(address ->
                            resolve(caller, address, host + " advertises " + advertised + " in its heartbeats"));
                }
            }
        }
        Operands operands = overlay.operands;
        internal.addAll(operands.internal);
        external.addAll(operands.external);
        for (Operands.Reach reach : operands.reaches) {
            Address.in(reach.address()).forEach(address -> resolve(reach.from(), address, reach.from() + " " + reach.reason()));
        }
    }

    private void resolve(Workload from, Address address, String reason) {
        if (address.isLoopback()) {
            return;
        }
        Optional<Service> service = Optional.ofNullable(address.serviceName(namespace)).flatMap(this::service);
        if (service.isEmpty()) {
            external.add(new External(from, address.port(), reason));
            return;
        }
        Optional<ServicePort> servicePort = service.get().getSpec().getPorts().stream()
                .filter(port -> port.getPort() == address.port())
                .findFirst();
        if (servicePort.isEmpty()) {
            problems.add(reason + ": Service " + service.get().getMetadata().getName() + " has no port " + address.port());
            return;
        }
        Map<String, String> selector = service.get().getSpec().getSelector();
        List<Workload> targets = overlay.workloadsAndOperands().stream().filter(workload -> Selectors.matches(selector, workload.podLabels())).toList();
        if (targets.isEmpty()) {
            problems.add(reason + ": Service " + service.get().getMetadata().getName() + " selects no pods");
        }
        IntOrString targetPort = servicePort.get().getTargetPort() == null ? new IntOrString(address.port()) : servicePort.get().getTargetPort();
        for (Workload target : targets) {
            if (target.equals(from)) {
                continue; // a workload's own address, such as the URL a host advertises
            }
            OptionalInt port = RenderedOverlay.resolvePort(targetPort, target.containers());
            if (port.isEmpty()) {
                problems.add(reason + ": " + target + " has no port " + targetPort.getValue());
            } else {
                internal.add(new Internal(from, target, port.getAsInt(), reason));
            }
        }
    }

    /** A Service of the render, or one an operator makes. */
    private Optional<Service> service(String name) {
        return overlay.named(Service.class, name)
                .or(() -> overlay.operands.services.stream().filter(service -> service.getMetadata().getName().equals(name)).findFirst());
    }

    boolean isIntended(Workload from, Workload to, int port) {
        return internal.stream().anyMatch(connection -> connection.from().equals(from)
                && connection.to().equals(to) && connection.port() == port);
    }

    boolean isIntendedOutside(Workload from, int port) {
        return external.stream().anyMatch(connection -> connection.from().equals(from) && connection.port() == port);
    }

    boolean isIntendedFromOperator(TrafficRules.Pod operator, Workload to, int port) {
        return fromOperators.stream().anyMatch(connection -> connection.operator().equals(operator)
                && connection.to().equals(to) && connection.port() == port);
    }
}
