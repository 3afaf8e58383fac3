package io.failback.system.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespaced;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Renders a Kustomize tree without Kustomize, for machines without kubectl. It implements exactly what deploy/ uses:
 * {@code resources} (files and folders), {@code components}, {@code configMapGenerator} (from files, without the name
 * hash), {@code namespace}, {@code patches} (JSON 6902, targeted by kind and name), {@code replicas} and
 * {@code images}, applied in Kustomize's order. Anything else fails loudly
 * instead of rendering something Kustomize would not; where kubectl exists, the tests compare the two renders.
 */
final class KustomizeRenderer {
    private static final Set<String> SUPPORTED_FIELDS = Set.of("apiVersion", "kind", "resources", "components", "configMapGenerator",
            "namespace", "patches", "replicas", "images");
    private static final Set<String> SUPPORTED_GENERATOR_FIELDS = Set.of("name", "files", "options");
    private static final Set<String> SUPPORTED_GENERATOR_OPTIONS = Set.of("disableNameSuffixHash", "labels", "annotations");
    private static final String KUSTOMIZATION = "Kustomization";
    /** A kustomization applied to what the one listing it has so far: its resources join, its transformations apply to all. */
    private static final String COMPONENT = "Component";
    private static final Set<String> SUPPORTED_TARGET_FIELDS = Set.of("kind", "name");
    private static final Set<String> SUPPORTED_IMAGE_FIELDS = Set.of("name", "newName", "newTag", "digest");
    private static final Set<String> SCALABLE_KINDS = Set.of("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController");
    /** Kinds whose namespace transformation also rewrites references inside them, which this renderer does not. */
    private static final Set<String> NAMESPACE_REFERENCING_KINDS = Set.of("RoleBinding", "ClusterRoleBinding",
            "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "CustomResourceDefinition");

    List<ObjectNode> render(Path dir) {
        return build(dir, KUSTOMIZATION, new ArrayList<>());
    }

    /**
     * Kustomize's order: the resources, then each component in turn on everything gathered so far, then this
     * kustomization's generators, then its own transformations on the lot.
     */
    private List<ObjectNode> build(Path dir, String kind, List<ObjectNode> resources) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " has no kustomization.yaml");
        }
        ObjectNode kustomization = Yaml.document(file);
        kustomization.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED_FIELDS.contains(field)) {
                throw unsupported(file, "the field '" + field + "'");
            }
        });
        // Kustomize takes a file without a kind for a Kustomization, and refuses either kind where the other belongs.
        String actualKind = kustomization.path("kind").asText(KUSTOMIZATION);
        if (!actualKind.equals(kind)) {
            throw new IllegalArgumentException(file + " is a " + actualKind + " where a " + kind + " is expected"
                    + (kind.equals(COMPONENT) ? " (listed under components)" : " (listed under resources)"));
        }
        for (JsonNode entry : kustomization.path("resources")) {
            Path resource = dir.resolve(entry.asText()).normalize();
            resources.addAll(Files.isDirectory(resource) ? build(resource, KUSTOMIZATION, new ArrayList<>()) : Yaml.documents(resource));
        }
        for (JsonNode entry : kustomization.path("components")) {
            build(dir.resolve(entry.asText()).normalize(), COMPONENT, resources);
        }
        for (JsonNode generator : kustomization.path("configMapGenerator")) {
            resources.add(generateConfigMap(generator, file, dir));
        }
        requireUniqueIds(resources, file);
        for (JsonNode patch : kustomization.path("patches")) {
            applyPatch(patch, resources, file, dir);
        }
        if (kustomization.has("namespace")) {
            setNamespace(kustomization.get("namespace").asText(), resources, file);
        }
        for (JsonNode replicas : kustomization.path("replicas")) {
            setReplicas(replicas, resources, file);
        }
        for (JsonNode image : kustomization.path("images")) {
            setImage(image, resources, file);
        }
        return resources;
    }

    private static void requireUniqueIds(List<ObjectNode> resources, Path file) {
        Set<String> ids = new HashSet<>();
        for (ObjectNode resource : resources) {
            if (!ids.add(id(resource))) {
                throw new IllegalArgumentException(file + ": " + id(resource) + " is defined twice");
            }
        }
    }

    static String id(JsonNode resource) {
        JsonNode metadata = resource.path("metadata");
        return resource.path("kind").asText() + " " + metadata.path("namespace").asText("") + "/" + metadata.path("name").asText();
    }

    private static void applyPatch(JsonNode patch, List<ObjectNode> resources, Path file, Path dir) {
        JsonNode target = patch.path("target");
        target.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED_TARGET_FIELDS.contains(field)) {
                throw unsupported(file, "a patch target by '" + field + "'");
            }
        });
        if (!target.has("kind") || !target.has("name")) {
            throw unsupported(file, "a patch without a target kind and name");
        }
        String text;
        try {
            text = patch.has("path") ? Files.readString(dir.resolve(patch.get("path").asText())) : patch.path("patch").asText();
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read patch " + patch.get("path"), e);
        }
        JsonNode operations;
        try {
            operations = Yaml.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": a patch is not YAML", e);
        }
        if (!operations.isArray()) {
            throw unsupported(file, "a strategic-merge patch (only JSON 6902 operation lists are implemented)");
        }
        List<ObjectNode> matches = resources.stream()
                .filter(resource -> resource.path("kind").asText().equals(target.get("kind").asText())
                        && resource.path("metadata").path("name").asText().equals(target.get("name").asText()))
                .toList();
        if (matches.isEmpty()) {
            throw new IllegalArgumentException(file + ": the patch for " + target + " matches no resource");
        }
        for (ObjectNode resource : matches) {
            for (JsonNode operation : operations) {
                JsonPatch.apply(operation, resource, file);
            }
        }
    }

    /**
     * A ConfigMap whose keys are files' names ({@code file} or {@code key=file}) and values their text. Only without
     * the name's hash suffix: Kustomize's hash, and its rewriting of every reference to the name, are not implemented.
     */
    private static ObjectNode generateConfigMap(JsonNode generator, Path file, Path dir) {
        generator.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED_GENERATOR_FIELDS.contains(field)) {
                throw unsupported(file, "configMapGenerator." + field);
            }
        });
        JsonNode options = generator.path("options");
        options.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED_GENERATOR_OPTIONS.contains(field)) {
                throw unsupported(file, "configMapGenerator.options." + field);
            }
        });
        if (!options.path("disableNameSuffixHash").asBoolean(false)) {
            throw unsupported(file, "a configMapGenerator with a hash suffix (set options.disableNameSuffixHash: true)");
        }
        ObjectNode configMap = Yaml.MAPPER.createObjectNode();
        configMap.put("apiVersion", "v1");
        configMap.put("kind", "ConfigMap");
        ObjectNode metadata = configMap.putObject("metadata");
        metadata.put("name", generator.path("name").asText());
        for (String field : List.of("labels", "annotations")) {
            if (options.has(field)) {
                metadata.set(field, options.get(field).deepCopy());
            }
        }
        ObjectNode data = configMap.putObject("data");
        for (JsonNode entry : generator.path("files")) {
            String source = entry.asText();
            int equals = source.indexOf('=');
            String key = equals < 0 ? Path.of(source).getFileName().toString() : source.substring(0, equals);
            Path path = dir.resolve(equals < 0 ? source : source.substring(equals + 1));
            try {
                data.put(key, Files.readString(path));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot read " + path + " for ConfigMap " + generator.path("name").asText(), e);
            }
        }
        return configMap;
    }

    private static void setNamespace(String namespace, List<ObjectNode> resources, Path file) {
        for (ObjectNode resource : resources) {
            String kind = resource.path("kind").asText();
            if (NAMESPACE_REFERENCING_KINDS.contains(kind)) {
                throw unsupported(file, "a namespace with a " + kind);
            }
            ObjectNode metadata = resource.with("metadata");
            if (kind.equals("Namespace")) {
                metadata.put("name", namespace);
            } else if (isNamespaced(resource, file)) {
                metadata.put("namespace", namespace);
            }
        }
    }

    /** Scope as the model of its kind knows it (an operator's for a custom resource); an unknown kind cannot be placed. */
    private static boolean isNamespaced(ObjectNode resource, Path file) {
        KubernetesResource typed;
        try {
            typed = KubernetesModel.read(resource);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": " + id(resource) + " does not fit the Kubernetes model", e);
        }
        if (typed instanceof GenericKubernetesResource) {
            throw unsupported(file, "the kind " + resource.path("apiVersion").asText() + "/" + resource.path("kind").asText());
        }
        return typed instanceof Namespaced;
    }

    private static void setReplicas(JsonNode replicas, List<ObjectNode> resources, Path file) {
        String name = replicas.path("name").asText();
        List<ObjectNode> matches = resources.stream()
                .filter(resource -> SCALABLE_KINDS.contains(resource.path("kind").asText())
                        && resource.path("metadata").path("name").asText().equals(name))
                .toList();
        if (matches.isEmpty()) {
            throw new IllegalArgumentException(file + ": replicas for " + name + " match no workload");
        }
        matches.forEach(resource -> resource.with("spec").put("replicas", replicas.path("count").asInt()));
    }

    private static void setImage(JsonNode image, List<ObjectNode> resources, Path file) {
        image.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED_IMAGE_FIELDS.contains(field)) {
                throw unsupported(file, "images." + field);
            }
        });
        for (ObjectNode resource : resources) {
            forEachContainer(resource, container -> {
                ImageName current = ImageName.parse(container.path("image").asText());
                if (current.name().equals(image.path("name").asText())) {
                    container.put("image", current.replacedBy(image.path("newName").asText(null),
                            image.path("newTag").asText(null), image.path("digest").asText(null)).toString());
                }
            });
        }
    }

    /** Every container and init container, wherever a kind keeps its pod spec. */
    private static void forEachContainer(JsonNode node, Consumer<ObjectNode> action) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            JsonNode child = node.get(name);
            if ((name.equals("containers") || name.equals("initContainers")) && child instanceof ArrayNode containers) {
                containers.forEach(container -> {
                    if (container instanceof ObjectNode object && object.has("image")) {
                        action.accept(object);
                    }
                });
            } else if (child.isContainerNode()) {
                forEachContainer(child, action);
            }
        }
        if (node.isArray()) {
            node.forEach(element -> forEachContainer(element, action));
        }
    }

    private static IllegalArgumentException unsupported(Path file, String what) {
        return new IllegalArgumentException(file + " uses " + what + ", which KustomizeRenderer does not implement:"
                + " render with kubectl, or implement it here and let the kubectl comparison prove it");
    }
}
