package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Images are pinned, and each service's image is built the Quarkus fast-jar way to run as a non-root user. */
class ImagesTest {
    static final String DOCKERFILE = "src/main/docker/Dockerfile.jvm";
    private static final List<String> FAST_JAR_PARTS = List.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar",
            "target/quarkus-app/app/", "target/quarkus-app/quarkus/");

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void projectImagesCarryTheProjectVersionAndOthersAPinnedTag(String overlay) {
        List<String> problems = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            ImageName image = ImageName.parse(container.getImage());
            if (Workload.moduleOf(container) != null) {
                if (!Deploy.PROJECT.version().equals(image.tag())) {
                    problems.add(workload + ": " + container.getImage() + " is not the project's version " + Deploy.PROJECT.version());
                }
            } else if (!isPinned(image)) {
                problems.add(workload + ": " + container.getImage() + " has no pinned version");
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    /** Whatever runs Kafka or PostgreSQL in a cluster runs what the build's own tests run against. */
    @Test
    void inClusterKafkaAndPostgresAreTheVersionsTheBuildTestsAgainst() {
        List<String> found = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String overlay : Deploy.PROJECT.overlays()) {
            WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
                ImageName image = ImageName.parse(container.getImage());
                String expected = switch (image.name()) {
                    case "apache/kafka" -> Deploy.PROJECT.kafkaVersion();
                    case "postgres" -> Deploy.PROJECT.postgresBinariesVersion().split("\\.")[0];
                    default -> null;
                };
                if (expected == null) {
                    return;
                }
                found.add(overlay + " " + container.getImage());
                String actual = image.name().equals("postgres") ? String.valueOf(image.tag()).split("\\.")[0] : image.tag();
                if (!expected.equals(actual)) {
                    problems.add(overlay + " " + workload + ": " + container.getImage() + ", the build tests against " + expected);
                }
            });
        }
        assertFalse(found.isEmpty(), "no overlay runs Kafka or PostgreSQL in the cluster");
        Deploy.assertNone("Kafka and PostgreSQL in " + Deploy.PROJECT.overlays(), problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#services")
    void everyServiceImageIsItsFastJarOnAPinnedBaseRunAsANonRootUid(String module) {
        Path file = Deploy.PROJECT.root().resolve(module).resolve(DOCKERFILE);
        assertTrue(Files.isRegularFile(file), module + " has no " + DOCKERFILE);
        Dockerfile dockerfile = Dockerfile.read(file);
        List<String> problems = new ArrayList<>();
        for (String from : dockerfile.all("FROM")) {
            if (!isPinned(ImageName.parse(from.split("\\s+")[0]))) {
                problems.add("FROM " + from + " is not pinned to a version");
            }
        }
        List<String> copied = dockerfile.all("COPY");
        for (String part : FAST_JAR_PARTS) {
            if (copied.stream().noneMatch(copy -> copy.startsWith(part + " ") || copy.contains(" " + part + " "))) {
                problems.add("no COPY of " + part);
            }
        }
        Long uid = dockerfile.uid();
        if (uid == null || uid == 0) {
            problems.add("USER " + dockerfile.last("USER") + " is not a numeric non-root uid");
        }
        String exposed = String.valueOf(Deploy.service(module).httpPort());
        if (!dockerfile.all("EXPOSE").contains(exposed)) {
            problems.add("EXPOSE " + dockerfile.all("EXPOSE") + " is not quarkus.http.port " + exposed);
        }
        String entrypoint = String.valueOf(dockerfile.last("ENTRYPOINT"));
        if (!entrypoint.contains("quarkus-run.jar")) {
            problems.add("ENTRYPOINT " + entrypoint + " does not run quarkus-run.jar");
        }
        Deploy.assertNone(file, problems);
    }

    @ParameterizedTest
    @MethodSource("io.failback.system.deploy.Deploy#overlays")
    void manifestsRunEveryProjectImageAsTheUidItWasBuiltFor(String overlay) {
        List<String> problems = new ArrayList<>();
        WorkloadHardeningTest.forEachContainer(overlay, (workload, container) -> {
            String module = Workload.moduleOf(container);
            if (module == null) {
                return;
            }
            Long built = Dockerfile.read(Deploy.PROJECT.root().resolve(module).resolve(DOCKERFILE)).uid();
            Long run = runAsUser(workload, container);
            if (built == null || !built.equals(run)) {
                problems.add(workload + " " + container.getName() + ": runs as " + run + ", the image's USER is " + built);
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    static boolean isPinned(ImageName image) {
        return image.digest() != null || image.tag() != null && !image.tag().equals("latest") && image.tag().matches(".*\\d.*");
    }

    private static Long runAsUser(Workload workload, Container container) {
        return Optional.ofNullable(container.getSecurityContext()).map(SecurityContext::getRunAsUser)
                .orElse(Optional.ofNullable(workload.template().getSpec().getSecurityContext()).map(PodSecurityContext::getRunAsUser).orElse(null));
    }
}
