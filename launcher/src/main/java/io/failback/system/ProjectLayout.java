package io.failback.system;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the checked-out project and its build output are. Everything the launcher runs comes from the Maven build
 * of this checkout: the broker from the launcher module's copied runtime classpath, the services from their quarkus-app
 * jars.
 */
public final class ProjectLayout {

    /** The service modules, in the order they are started. */
    public static final String AZURE_SIM = "azure-sim";
    public static final String HOST_AGENT = "host-agent";
    public static final String SYNC_SERVICE = "sync-service";
    public static final String JOB_SERVICE = "job-service";

    private final Path root;

    public ProjectLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The root from {@code FAILBACK_HOME}, else the nearest folder above the current directory that holds the reactor. */
    public static ProjectLayout find() {
        String home = System.getenv("FAILBACK_HOME");
        if (home != null && !home.isBlank()) {
            return new ProjectLayout(Path.of(home));
        }
        return findAbove(Path.of("").toAbsolutePath()).orElseThrow(() -> new IllegalStateException(
                "Cannot find the Failback checkout: no folder above " + Path.of("").toAbsolutePath()
                        + " has pom.xml and job-service/. Set FAILBACK_HOME to the checkout."));
    }

    static Optional<ProjectLayout> findAbove(Path start) {
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve(JOB_SERVICE))) {
                return Optional.of(new ProjectLayout(dir));
            }
        }
        return Optional.empty();
    }

    public Path root() {
        return root;
    }

    /** The runnable jar Quarkus builds for a service module. */
    public Path serviceJar(String module) {
        return root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** The classpath the broker and storage tool run with: the launcher's classes plus its copied runtime dependencies. */
    public String launcherClasspath() {
        Path target = launcherTarget();
        Path lib = target.resolve("lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException(lib + " is missing: build the launcher module first (./failback build).");
        }
        return target.resolve("classes") + File.pathSeparator + lib + File.separator + "*";
    }

    /** The launcher module's build output: its classes and, in lib/, its copied runtime dependencies. */
    public Path launcherTarget() {
        return root.resolve("launcher/target");
    }

    /** The JVM that runs this launcher; the children use the same one. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The per-checkout state of {@code ./failback up}: data, logs and pid files. */
    public Path stateDir() {
        return root.resolve(".failback");
    }
}
