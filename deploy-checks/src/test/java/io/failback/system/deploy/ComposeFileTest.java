package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * deploy/docker-compose.yml runs the same images with the same variable names as Kubernetes, sets what every
 * service reads, and runs the services as locked down as the pods.
 */
class ComposeFileTest {
    private static final Path COMPOSE_FILE = Deploy.PROJECT.deploy().resolve("docker-compose.yml");
    private static final ObjectNode SERVICES = (ObjectNode) Yaml.document(COMPOSE_FILE).path("services");

    @Test
    void everyServiceModuleIsBuiltFromItsDockerfileAndTaggedWithTheProjectVersion() {
        List<String> problems = new ArrayList<>();
        Set<String> composed = new TreeSet<>();
        SERVICES.properties().forEach(entry -> {
            String name = entry.getKey();
            JsonNode service = entry.getValue();
            ImageName image = ImageName.parse(service.path("image").asText());
            String module = moduleOf(service);
            if (module == null) {
                if (!ImagesTest.isPinned(image)) {
                    problems.add(name + ": " + image + " has no pinned version");
                }
                return;
            }
            composed.add(module);
            if (!Deploy.SERVICES.containsKey(module)) {
                problems.add(name + ": " + image + ", which no service module builds");
                return;
            }
            if (!Deploy.PROJECT.version().equals(image.tag())) {
                problems.add(name + ": " + image + " is not the project's version " + Deploy.PROJECT.version());
            }
            Path context = COMPOSE_FILE.getParent().resolve(service.path("build").path("context").asText("")).normalize();
            String dockerfile = service.path("build").path("dockerfile").asText();
            if (!context.equals(Deploy.PROJECT.root().resolve(module)) || !dockerfile.equals(ImagesTest.DOCKERFILE)
                    || !Files.isRegularFile(context.resolve(dockerfile))) {
                problems.add(name + ": not built from " + module + "/" + ImagesTest.DOCKERFILE + " (build: " + service.path("build") + ")");
            }
        });
        if (!composed.containsAll(Deploy.PROJECT.serviceModules())) {
            problems.add("runs " + composed + ", not every service module " + Deploy.PROJECT.serviceModules());
        }
        Deploy.assertNone(COMPOSE_FILE, problems);
    }

    @Test
    void everyServiceGetsEveryVariableItReadsAndNoneItDoesNot() {
        List<String> problems = new ArrayList<>();
        SERVICES.properties().forEach(entry -> {
            String module = moduleOf(entry.getValue());
            if (module == null || !Deploy.SERVICES.containsKey(module)) {
                return;
            }
            ServiceConfiguration configuration = Deploy.service(module);
            Set<String> set = environment(entry.getValue()).keySet();
            Set<String> missing = new TreeSet<>(configuration.requiredEnvironment());
            missing.removeAll(set);
            if (!missing.isEmpty()) {
                problems.add(entry.getKey() + ": " + module + " reads " + missing + ", which nothing sets");
            }
            set.stream().filter(name -> !configuration.reads(name)).forEach(name ->
                    problems.add(entry.getKey() + ": sets " + name + ", which " + module + " does not read"));
        });
        Deploy.assertNone(COMPOSE_FILE, problems);
    }

    /**
     * The same names as Kubernetes, but for one difference: a site run without TLS between services has no server
     * certificate nor client CA, and Quarkus refuses their paths set empty (the key store's: "SRCFG00040 ... defined as
     * the empty String"; the trust store's: "No PEM certificates configured"), so compose leaves those three out where
     * FAILBACK_INTERNAL_TLS is not true.
     */
    @Test
    void everyServiceUsesTheSameVariableNamesAsInKubernetes() {
        Map<String, Set<String>> compose = new TreeMap<>();
        SERVICES.properties().forEach(entry -> {
            String module = moduleOf(entry.getValue());
            if (module != null) {
                Map<String, String> environment = environment(entry.getValue());
                Set<String> names = compose.computeIfAbsent(module, key -> new TreeSet<>());
                names.addAll(environment.keySet());
                if (!"true".equals(environment.get(InternalTlsTest.SWITCH)) && InternalTlsTest.isSite(module)) {
                    names.addAll(InternalTlsTest.SERVER_FILES);
                }
            }
        });
        for (String overlay : Deploy.PROJECT.overlays()) {
            RenderedOverlay rendered = Deploy.overlay(overlay);
            Map<String, Set<String>> kubernetes = new TreeMap<>();
            WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
                String module = Workload.moduleOf(container);
                if (module != null) {
                    kubernetes.computeIfAbsent(module, key -> new TreeSet<>()).addAll(rendered.environment(container, new ArrayList<>()).keySet());
                }
            });
            assertEquals(kubernetes, compose, "variables per service: Kubernetes overlay " + overlay + " against " + COMPOSE_FILE);
        }
    }

    @Test
    void infrastructureImagesAreTheOnesTheKubernetesOverlaysRun() {
        Set<String> compose = new TreeSet<>();
        SERVICES.properties().forEach(entry -> {
            if (moduleOf(entry.getValue()) == null) {
                compose.add(entry.getValue().path("image").asText());
            }
        });
        Set<String> kubernetes = new TreeSet<>();
        for (String overlay : Deploy.PROJECT.overlays()) {
            WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
                if (Workload.moduleOf(container) == null) {
                    kubernetes.add(container.getImage());
                }
            });
        }
        assertEquals(kubernetes, compose, "third-party images");
    }

    /**
     * The same restrictions as the pods, and every folder the service keeps state in on a named volume. Docker gives
     * a new named volume the owner of the image's folder, so the Dockerfile must create that folder for its user.
     */
    @Test
    void servicesRunLockedDownWithTheirStateOnNamedVolumes() {
        Set<String> namedVolumes = new TreeSet<>();
        Yaml.document(COMPOSE_FILE).path("volumes").fieldNames().forEachRemaining(namedVolumes::add);
        List<String> problems = new ArrayList<>();
        SERVICES.properties().forEach(entry -> {
            String name = entry.getKey();
            JsonNode service = entry.getValue();
            String module = moduleOf(service);
            if (module == null || !Deploy.SERVICES.containsKey(module)) {
                return;
            }
            Dockerfile dockerfile = Dockerfile.read(Deploy.PROJECT.root().resolve(module).resolve(ImagesTest.DOCKERFILE));
            if (!service.path("user").asText().equals(dockerfile.last("USER"))) {
                problems.add(name + ": user " + service.path("user") + " is not the image's USER " + dockerfile.last("USER"));
            }
            if (!service.path("read_only").asBoolean(false)) {
                problems.add(name + ": the root filesystem is not read_only");
            }
            if (!texts(service.path("tmpfs")).contains("/tmp")) {
                problems.add(name + ": /tmp is not a tmpfs");
            }
            if (!texts(service.path("cap_drop")).contains("ALL")) {
                problems.add(name + ": capabilities are not all dropped");
            }
            if (!texts(service.path("security_opt")).contains("no-new-privileges:true")) {
                problems.add(name + ": may gain privileges (security_opt no-new-privileges:true)");
            }
            Map<String, String> environment = environment(service);
            for (String variable : Deploy.service(module).storageEnvironment()) {
                String folder = environment.get(variable);
                boolean onNamedVolume = folder != null && texts(service.path("volumes")).stream().map(volume -> volume.split(":"))
                        .anyMatch(parts -> parts.length >= 2 && namedVolumes.contains(parts[0]) && Path.of(folder).startsWith(parts[1]));
                if (!onNamedVolume) {
                    problems.add(name + ": " + variable + "=" + folder + " is not on a named volume");
                }
                boolean createdForUser = folder != null && dockerfile.all("RUN").stream()
                        .anyMatch(run -> run.contains(folder) && run.contains("-o " + dockerfile.uid()));
                if (!createdForUser) {
                    problems.add(name + ": the image does not create " + folder + " for uid " + dockerfile.uid());
                }
            }
        });
        Deploy.assertNone(COMPOSE_FILE, problems);
    }

    private static String moduleOf(JsonNode service) {
        String name = ImageName.parse(service.path("image").asText()).name();
        return name.startsWith(Project.IMAGE_REPOSITORY) ? name.substring(Project.IMAGE_REPOSITORY.length()) : null;
    }

    /** Compose takes environment as a mapping or as a list of NAME=value. */
    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> environment = new LinkedHashMap<>();
        JsonNode node = service.path("environment");
        if (node.isObject()) {
            node.properties().forEach(entry -> environment.put(entry.getKey(), entry.getValue().asText()));
        } else {
            for (String item : texts(node)) {
                int equals = item.indexOf('=');
                environment.put(equals < 0 ? item : item.substring(0, equals), equals < 0 ? "" : item.substring(equals + 1));
            }
        }
        return environment;
    }

    private static List<String> texts(JsonNode node) {
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        List<String> texts = new ArrayList<>();
        node.forEach(element -> texts.add(element.asText()));
        return texts;
    }
}
