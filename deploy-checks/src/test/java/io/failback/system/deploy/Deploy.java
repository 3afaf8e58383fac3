package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the deploy/ tests share, computed once per test JVM: the project, its services' configuration, and each
 * overlay rendered. The checks read kubectl's render where kubectl is installed (the real thing) and the Java
 * renderer's otherwise; {@link OverlayRenderTest} proves the two equal.
 */
final class Deploy {
    static final Project PROJECT = Project.find();
    static final Map<String, ServiceConfiguration> SERVICES = PROJECT.serviceModules().stream()
            .collect(Collectors.toUnmodifiableMap(Function.identity(), module -> ServiceConfiguration.read(PROJECT.root().resolve(module))));
    static final Optional<Path> KUBECTL = Kubectl.onPath();

    private static final Map<String, List<ObjectNode>> JAVA_RENDERS = new ConcurrentHashMap<>();
    private static final Map<String, List<ObjectNode>> KUBECTL_RENDERS = new ConcurrentHashMap<>();
    private static final Map<String, RenderedOverlay> OVERLAYS = new ConcurrentHashMap<>();

    private Deploy() {
    }

    /** For {@code @MethodSource}: every overlay under deploy/overlays. */
    static Stream<String> overlays() {
        return PROJECT.overlays().stream();
    }

    /** For {@code @MethodSource}: every overlay with an operator's custom resource (Strimzi's, CloudNativePG's). */
    static Stream<String> operatorOverlays() {
        return overlays().filter(overlay -> !overlay(overlay).operands.workloads.isEmpty());
    }

    /** For {@code @MethodSource}: every Quarkus service module. */
    static Stream<String> services() {
        return PROJECT.serviceModules().stream();
    }

    static RenderedOverlay overlay(String name) {
        return OVERLAYS.computeIfAbsent(name, overlay ->
                new RenderedOverlay(overlay, KUBECTL.isPresent() ? kubectlRender(overlay) : javaRender(overlay)));
    }

    static List<ObjectNode> javaRender(String overlay) {
        return copy(JAVA_RENDERS.computeIfAbsent(overlay, name -> new KustomizeRenderer().render(PROJECT.overlay(name))));
    }

    static List<ObjectNode> kubectlRender(String overlay) {
        Path kubectl = KUBECTL.orElseThrow();
        return copy(KUBECTL_RENDERS.computeIfAbsent(overlay, name -> Kubectl.kustomize(kubectl, PROJECT.overlay(name))));
    }

    static ServiceConfiguration service(String module) {
        ServiceConfiguration service = SERVICES.get(module);
        if (service == null) {
            throw new IllegalArgumentException(module + " is not a service module of " + PROJECT.root());
        }
        return service;
    }

    /** Fails with every problem found, one a line, under what was checked; checks collect them all before failing. */
    static void assertNone(Object checked, List<String> problems) {
        assertTrue(problems.isEmpty(), () -> checked + ":\n" + String.join("\n", problems));
    }

    private static List<ObjectNode> copy(List<ObjectNode> documents) {
        return documents.stream().map(ObjectNode::deepCopy).toList();
    }
}
