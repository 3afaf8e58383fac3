package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every overlay renders, the Java renderer agrees with Kustomize, and the result is valid Kubernetes. */
class OverlayRenderTest {
    private static final String FABRIC8_MODEL = "io.fabric8.kubernetes.api.model";
    private static final String STRIMZI_MODEL = "io.strimzi.api";
    /** fabric8's model of the Prometheus operator's kinds (ServiceMonitor, PodMonitor, PrometheusRule). */
    private static final String PROMETHEUS_OPERATOR_MODEL = "io.fabric8.openshift.api.model.monitoring";

    @Test
    void thereAreTheDevProdAndOperatorsOverlays() {
        assertTrue(Deploy.PROJECT.overlays().containsAll(List.of("dev", "prod", "operators")), "deploy/overlays: " + Deploy.PROJECT.overlays());
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void javaRendererRendersExactlyWhatKustomizeRenders(String overlay) {
        assumeTrue(Deploy.KUBECTL.isPresent(), "kubectl is not on PATH: the checks use the Java render alone");
        Map<String, ObjectNode> kustomize = byId(Deploy.kubectlRender(overlay));
        Map<String, ObjectNode> java = byId(Deploy.javaRender(overlay));
        assertEquals(kustomize.keySet(), java.keySet(), overlay + ": the objects rendered");
        for (String id : kustomize.keySet()) {
            assertEquals(yaml(kustomize.get(id)), yaml(java.get(id)), overlay + ": " + id);
        }
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void everyObjectIsAKnownKindWithOnlyFieldsTheKubernetesModelKnows(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> unknown = new ArrayList<>();
        for (HasMetadata resource : rendered.resources) {
            String path = resource.getKind() + "/" + resource.getMetadata().getName();
            collectUnknownFields(resource, path, unknown);
            if (!isFabric8Model(resource.getClass())) {
                // An operator's resource: its metadata is fabric8's all the same.
                collectUnknownFields(resource.getMetadata(), path + ".Metadata", unknown);
            }
        }
        Deploy.assertNone(overlay + ": fields the Kubernetes model does not know (typos?)", unknown);
    }

    private static Map<String, ObjectNode> byId(List<ObjectNode> documents) {
        return documents.stream().collect(Collectors.toMap(KustomizeRenderer::id, Function.identity(), (a, b) -> {
            throw new IllegalStateException("Rendered twice: " + KustomizeRenderer.id(a));
        }, TreeMap::new));
    }

    /** Fields in name order: Kustomize sorts them, the Java renderer keeps the files' order, and order means nothing. */
    private static String yaml(ObjectNode document) {
        try {
            return Yaml.MAPPER.writeValueAsString(sorted(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (node instanceof ObjectNode object) {
            ObjectNode sorted = Yaml.MAPPER.createObjectNode();
            new TreeMap<>(object.properties().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))
                    .forEach((name, value) -> sorted.set(name, sorted(value)));
            return sorted;
        }
        if (node instanceof ArrayNode array) {
            ArrayNode sorted = Yaml.MAPPER.createArrayNode();
            array.forEach(element -> sorted.add(sorted(element)));
            return sorted;
        }
        return node;
    }

    private static boolean isFabric8Model(Class<?> type) {
        return type.getPackageName().startsWith(FABRIC8_MODEL) || type.getPackageName().startsWith(PROMETHEUS_OPERATOR_MODEL);
    }

    /**
     * The models keep fields they have no property for in additionalProperties instead of failing (fabric8's, and
     * Strimzi's, which preserves unknown properties), so a misspelt field would pass silently; walk every model
     * object and report them. {@link CnpgCluster}'s own records fail on an unknown field as they are read.
     */
    private static void collectUnknownFields(Object node, String path, List<String> unknown) {
        if (node instanceof Collection<?> elements) {
            int index = 0;
            for (Object element : elements) {
                collectUnknownFields(element, path + "[" + index++ + "]", unknown);
            }
            return;
        }
        if (node instanceof Map<?, ?> entries) {
            entries.forEach((key, value) -> collectUnknownFields(value, path + "." + key, unknown));
            return;
        }
        if (node == null || !(isFabric8Model(node.getClass()) || node.getClass().getPackageName().startsWith(STRIMZI_MODEL))) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            // fabric8's classes declare every property themselves; Strimzi's inherit some from its own base classes.
            boolean property = getter.getDeclaringClass() == node.getClass() || getter.getDeclaringClass().getPackageName().startsWith(STRIMZI_MODEL);
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")
                    || getter.isBridge() || !property) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("Cannot read " + path + " with " + getter, e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
            } else {
                collectUnknownFields(value, path + "." + getter.getName().substring(3), unknown);
            }
        }
    }
}
