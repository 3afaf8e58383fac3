package io.failback.system;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A whole system (Kafka, PostgreSQL, the services) for one end-to-end test class, in its own folder under target/it.
 * Registered as {@code @RegisterExtension static final RunningSystem running = new RunningSystem("name", options)}, it
 * starts the system before the class's {@code @BeforeAll} methods, puts it and its authorized API client into the
 * class's static {@link LocalSystem} and {@link FailbackApi} fields, and stops it after the class. When every test
 * passed it also deletes its data: the disk images, which are what is big (hundreds of MiB to GiB a class), and the
 * broker's and the database's files; a class that failed keeps them, with the logs, for a look.
 */
final class RunningSystem implements BeforeAllCallback, AfterAllCallback, TestWatcher {
    private final String name;
    private final UnaryOperator<LocalSystem.Builder> options;
    private LocalSystem system;
    private boolean aTestFailed;

    /** A system as {@link LocalSystem.Builder} makes it by default: one host. */
    RunningSystem(String name) {
        this(name, UnaryOperator.identity());
    }

    /**
     * @param name    the start of its folder's name under target/it
     * @param options what this class needs besides the defaults: hosts, shorter timeouts
     */
    RunningSystem(String name, UnaryOperator<LocalSystem.Builder> options) {
        this.name = name;
        this.options = options;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Path workDir = Files.createDirectories(Path.of("target", "it")).resolve(name + "-" + System.currentTimeMillis());
        system = options.apply(LocalSystem.builder().workDir(workDir)).start();
        FailbackApi api = system.api();
        for (Field field : context.getRequiredTestClass().getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && !Modifier.isFinal(field.getModifiers())) {
                if (field.getType() == LocalSystem.class) {
                    set(field, system);
                } else if (field.getType() == FailbackApi.class) {
                    set(field, api);
                }
            }
        }
    }

    private static void set(Field field, Object value) throws IllegalAccessException {
        field.setAccessible(true);
        field.set(null, value);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        aTestFailed = true;
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (system == null) {
            return;
        }
        system.close();
        // A failed @BeforeAll is no test, but its disks are as worth a look.
        if (!aTestFailed && context.getExecutionException().isEmpty()) {
            // The sites' disks, and Kafka's and PostgreSQL's data (about 50 MiB a class) beside them; the logs stay.
            deleteTree(system.azureStorageDir().getParent());
        }
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
