package io.failback.system.bench;

import io.failback.system.ProjectLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A frozen view of the build the benchmark runs. Other people rebuild the services while a benchmark may run for
 * many minutes, and a Quarkus build replaces {@code target/quarkus-app} under a running JVM that still loads classes
 * from it. Hard links ({@code cp -al}) cost no space and no time, and keep the files of this moment alive whatever
 * the build does next, since it writes new files rather than rewriting these.
 */
final class BuildSnapshot {
    private static final List<String> SERVICES = List.of(ProjectLayout.AZURE_SIM, ProjectLayout.HOST_AGENT,
            ProjectLayout.SYNC_SERVICE, ProjectLayout.JOB_SERVICE);

    private BuildSnapshot() {
    }

    /** A layout rooted at {@code into} whose service jars and launcher classpath are links to the current build's. */
    static ProjectLayout freeze(ProjectLayout build, Path into) throws java.io.IOException {
        for (String service : SERVICES) {
            if (!Files.isRegularFile(build.serviceJar(service))) {
                throw new IllegalStateException(build.serviceJar(service) + " is missing: is a build under way? Run"
                        + " ./failback build, or wait for the other build to finish.");
            }
            link(build.root().resolve(service).resolve("target/quarkus-app"), into.resolve(service).resolve("target"));
        }
        link(build.launcherTarget().resolve("classes"), into.resolve("launcher/target"));
        link(build.launcherTarget().resolve("lib"), into.resolve("launcher/target"));
        return new ProjectLayout(into);
    }

    /** The version of the code measured, e.g. {@code 59e1f51-dirty}; "unknown" outside a git checkout. */
    static String codeVersion(Path root) {
        try {
            return Shell.check(Duration.ofSeconds(20), "git", "-C", root.toString(), "describe", "--always", "--dirty").trim();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static void link(Path dir, Path intoParent) throws java.io.IOException {
        Files.createDirectories(intoParent);
        Shell.check(Duration.ofMinutes(2), "cp", "-al", dir.toString(), intoParent.toString());
    }
}
