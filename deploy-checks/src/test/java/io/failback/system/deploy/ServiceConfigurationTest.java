package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TCPSocketAction;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The manifests configure each service the way its code reads configuration: every variable it reads is set,
 * nothing it does not read is, it listens and is probed where quarkus.http.port says, and it keeps state only on
 * persistent volumes. The service side comes from the sources ({@link ServiceConfiguration}), so this fails when
 * either side changes alone.
 */
class ServiceConfigurationTest {
    private static final Map<String, String> QUARKUS_HEALTH = Map.of(
            "startup", "/q/health/started", "readiness", "/q/health/ready", "liveness", "/q/health/live");

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyServiceModuleRunsInTheOverlay(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> missing = Deploy.PROJECT.serviceModules().stream().filter(module -> rendered.workloadsRunning(module).isEmpty()).toList();
        assertTrue(missing.isEmpty(), overlay + ": no workload runs " + missing);
        List<String> unknown = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            if (module != null && !Deploy.SERVICES.containsKey(module)) {
                unknown.add(workload + " runs " + container.getImage() + ", which no service module builds");
            }
        });
        Deploy.assertNone(overlay, unknown);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyVariableAServiceReadsHasASource(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            List<String> dangling = new ArrayList<>();
            Set<String> set = rendered.environment(container, dangling).keySet();
            dangling.forEach(reference -> problems.add(workload + " " + container.getName() + ": " + reference + " is not in the render"));
            String module = Workload.moduleOf(container);
            if (module != null) {
                Set<String> missing = new TreeSet<>(Deploy.service(module).requiredEnvironment());
                missing.removeAll(set);
                if (!missing.isEmpty()) {
                    problems.add(workload + " " + container.getName() + ": " + module + " reads " + missing + ", which nothing sets");
                }
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyVariableSetForAServiceIsOneItReads(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            if (module == null) {
                return;
            }
            ServiceConfiguration service = Deploy.service(module);
            Set<String> unread = new TreeSet<>();
            rendered.environment(container, new ArrayList<>()).keySet().stream().filter(name -> !service.reads(name)).forEach(unread::add);
            if (!unread.isEmpty()) {
                problems.add(workload + " " + container.getName() + ": sets " + unread + ", which " + module + " does not read");
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void servicesListenAndAreProbedOnTheirHttpPort(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Workload workload : rendered.workloads()) {
            for (Container container : workload.containers()) {
                String where = workload + " " + container.getName() + ": ";
                List<ContainerPort> ports = Objects.requireNonNullElse(container.getPorts(), List.of());
                String module = Workload.moduleOf(container);
                if (module == null) {
                    WorkloadHardeningTest.probes(container).forEach((kind, probe) -> probePort(probe).ifPresent(port -> {
                        if (RenderedOverlay.resolvePort(port, List.of(container)).isEmpty()) {
                            problems.add(where + "the " + kind + " probe's port " + port.getValue() + " is none of the container's");
                        }
                    }));
                    continue;
                }
                Listener listener = Listener.of(rendered, container, module);
                int httpPort = listener.port();
                if (ports.stream().noneMatch(port -> port.getContainerPort() == httpPort && listener.portName().equals(port.getName()))) {
                    problems.add(where + "no containerPort named " + listener.portName() + " at " + module + "'s "
                            + (listener.httpsOnly() ? "quarkus.http.ssl-port " : "quarkus.http.port ") + httpPort + ": " + ports);
                }
                if (listener.httpsOnly()) {
                    certificateFilesOnSecretVolume(workload, container, rendered).forEach(problem -> problems.add(where + problem));
                }
                WorkloadHardeningTest.probes(container).forEach((kind, probe) -> {
                    HTTPGetAction get = probe == null ? null : probe.getHttpGet();
                    if (get == null || !QUARKUS_HEALTH.get(kind).equals(get.getPath())) {
                        problems.add(where + "the " + kind + " probe is not GET " + QUARKUS_HEALTH.get(kind));
                        return;
                    }
                    OptionalInt port = RenderedOverlay.resolvePort(get.getPort(), List.of(container));
                    if (port.isEmpty() || port.getAsInt() != httpPort) {
                        problems.add(where + "the " + kind + " probe asks port " + get.getPort().getValue() + ", the service listens on " + httpPort);
                    }
                    String scheme = Objects.requireNonNullElse(get.getScheme(), "HTTP");
                    if (!scheme.equals(listener.scheme())) {
                        problems.add(where + "the " + kind + " probe speaks " + scheme + ", the service serves " + listener.scheme());
                    }
                });
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * An HTTPS-only service reads its certificate and key (Quarkus's TLS registry, PEM) from a mounted Secret, the
     * shape cert-manager writes ({@code tls.crt}, {@code tls.key}), or, for an identity the service was issued itself
     * (a host's, at registration), from its own persistent volume; never from its image.
     */
    private static List<String> certificateFilesOnSecretVolume(Workload workload, Container container, RenderedOverlay rendered) {
        List<String> problems = new ArrayList<>();
        Map<String, String> environment = rendered.literalEnvironment(container);
        Map<String, String> secretVolumes = new java.util.HashMap<>();
        Objects.requireNonNullElse(workload.template().getSpec().getVolumes(), List.<io.fabric8.kubernetes.api.model.Volume>of()).stream().filter(volume -> volume.getSecret() != null)
                .forEach(volume -> secretVolumes.put(volume.getName(), volume.getSecret().getSecretName()));
        Set<String> claims = new HashSet<>();
        workload.claims().forEach(claim -> claims.add(claim.getMetadata().getName()));
        for (String variable : List.of("QUARKUS_TLS_KEY_STORE_PEM_SERVER_CERT", "QUARKUS_TLS_KEY_STORE_PEM_SERVER_KEY")) {
            String file = environment.get(variable);
            boolean onSecretOrClaim = file != null && Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                    .anyMatch(mount -> (secretVolumes.containsKey(mount.getName()) || claims.contains(mount.getName()))
                            && Path.of(file).startsWith(mount.getMountPath()));
            if (!onSecretOrClaim) {
                problems.add("serves HTTPS only, but " + variable + "=" + file + " is neither on a mounted Secret nor on its volume claim");
            }
        }
        return problems;
    }

    /**
     * A service with a folder in its configuration (a {@code Path} property) keeps state there: it runs as a
     * single-replica StatefulSet with that folder on a volume claim. The others keep none: Deployments without claims.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void statefulServicesKeepTheirFoldersOnPersistentVolumesAndTheOthersAreDeployments(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (String module : Deploy.PROJECT.serviceModules()) {
            Set<String> storage = Deploy.service(module).storageEnvironment();
            for (Workload workload : rendered.workloadsRunning(module)) {
                if (storage.isEmpty()) {
                    if (!workload.kind().equals("Deployment")) {
                        problems.add(workload + ": " + module + " keeps no state, so it should be a Deployment");
                    }
                    continue;
                }
                if (!workload.kind().equals("StatefulSet") || workload.replicas() != 1) {
                    problems.add(workload + ": " + module + " keeps state in " + storage + ", so it should be a StatefulSet of one replica");
                }
                Set<String> claims = new HashSet<>();
                workload.claims().stream().map(PersistentVolumeClaim::getMetadata).forEach(metadata -> claims.add(metadata.getName()));
                for (Container container : workload.containers()) {
                    if (!module.equals(Workload.moduleOf(container))) {
                        continue;
                    }
                    Map<String, String> environment = rendered.literalEnvironment(container);
                    for (String variable : storage) {
                        String folder = environment.get(variable);
                        boolean onClaim = folder != null && Objects.requireNonNullElse(container.getVolumeMounts(), List.<VolumeMount>of()).stream()
                                .anyMatch(mount -> claims.contains(mount.getName()) && Path.of(folder).startsWith(mount.getMountPath()));
                        if (!onClaim) {
                            problems.add(workload + ": " + variable + "=" + folder + " is not on a volumeClaimTemplate's mount");
                        }
                    }
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyServiceSelectsPodsAndTargetsOneOfTheirPorts(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Service service : rendered.all(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            List<Workload> selected = rendered.workloads().stream().filter(workload -> Selectors.matches(selector, workload.podLabels())).toList();
            if (selected.isEmpty()) {
                problems.add("Service " + service.getMetadata().getName() + " selects no pod template: " + selector);
            }
            for (ServicePort port : service.getSpec().getPorts()) {
                IntOrString target = port.getTargetPort() == null ? new IntOrString(port.getPort()) : port.getTargetPort();
                for (Workload workload : selected) {
                    OptionalInt resolved = RenderedOverlay.resolvePort(target, workload.containers());
                    boolean declared = resolved.isPresent() && workload.containers().stream()
                            .flatMap(container -> Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of()).stream())
                            .anyMatch(containerPort -> containerPort.getContainerPort() == resolved.getAsInt());
                    if (!declared) {
                        problems.add("Service " + service.getMetadata().getName() + " port " + port.getPort() + " targets "
                                + target.getValue() + ", which " + workload + " does not expose");
                    }
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** An address such as FAILBACK_AZURE_URL=http://azure-sim:8082 that names a Service uses one of its ports. */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void addressesThatNameAServiceUseItsPorts(String overlay) {
        List<String> problems = new Connections(Deploy.overlay(overlay)).problems;
        Deploy.assertNone(overlay, problems);
    }

    /**
     * Failback to an alternate host needs two hosts that are really two: each its own provider id and switches, and
     * each advertising a URL that reaches its own pod, since sync-service calls the host at that URL.
     */
    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everySimulatedHostIsItsOwnWorkloadAndAdvertisesItsOwnPod(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<Workload> hosts = rendered.workloadsRunning(Connections.HOST_MODULE);
        List<String> problems = new ArrayList<>();
        if (hosts.size() < 2) {
            problems.add("only " + hosts.size() + " host-agent workloads: failback to an alternate host needs two");
        }
        Set<String> providerIds = new HashSet<>();
        for (Workload host : hosts) {
            Map<String, String> environment = rendered.literalEnvironment(host.containers().get(0));
            String providerId = environment.get("HOST_AGENT_PROVIDER_ID");
            if (providerId == null || !providerIds.add(providerId)) {
                problems.add(host + ": provider id " + providerId + " is missing or not its own");
            }
            if (environment.getOrDefault("HOST_AGENT_VIRTUAL_SWITCHES", "").isBlank()) {
                problems.add(host + ": no virtual switches");
            }
            String advertised = environment.get(Connections.HOST_ADVERTISED_URL);
            List<Address> addresses = advertised == null ? List.of() : Address.in(advertised);
            String namespace = rendered.namespace().getMetadata().getName();
            Optional<Service> service = addresses.size() != 1 ? Optional.empty()
                    : Optional.ofNullable(addresses.get(0).serviceName(namespace)).flatMap(name -> rendered.named(Service.class, name));
            List<Workload> reached = service.map(s -> rendered.workloads().stream()
                    .filter(workload -> Selectors.matches(s.getSpec().getSelector(), workload.podLabels())).toList()).orElse(List.of());
            if (!reached.equals(List.of(host))) {
                problems.add(host + ": advertises " + advertised + ", which reaches " + reached + " instead of this host alone");
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    private static Optional<IntOrString> probePort(Probe probe) {
        if (probe == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(probe.getHttpGet()).map(HTTPGetAction::getPort)
                .or(() -> Optional.ofNullable(probe.getTcpSocket()).map(TCPSocketAction::getPort));
    }
}
