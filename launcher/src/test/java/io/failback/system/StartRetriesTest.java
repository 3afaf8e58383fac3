package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartRetriesTest {

    /** Dies with code 3 at its first start; runs and is ready from the second on. */
    private static final String FAILS_ONCE =
            "if [ -f tried ]; then touch ready; exec sleep 60; else touch tried; exit 3; fi";

    @TempDir
    Path dir;

    private final List<String> retries = new CopyOnWriteArrayList<>();
    private final ProcessListener recordRetries = new ProcessListener() {
        @Override
        public void retryingStart(String name, int attempt, Duration pause, String reason) {
            retries.add(name + " try " + attempt + ": " + reason);
        }
    };
    private ScriptComponent component;

    @AfterEach
    void stopChild() {
        if (component != null) {
            component.kill();
        }
    }

    private StartRetries retries(int attempts) {
        return new StartRetries(attempts, Duration.ofMillis(10), Duration.ofSeconds(20), recordRetries);
    }

    @Test
    void aPartThatDiesAtItsFirstStartIsStartedAgain() throws Exception {
        component = new ScriptComponent("flaky", dir, FAILS_ONCE, recordRetries);

        retries(3).startTogether(List.of(component), Component::launch, () -> false);

        assertTrue(component.isRunning());
        assertEquals(List.of("flaky try 2: flaky exited with code 3 while starting."), retries);
    }

    @Test
    void aPartThatNeverStartsFailsAfterTheLastTry() {
        component = new ScriptComponent("broken", dir, "exit 7", recordRetries);

        SystemStartException failure = assertThrows(SystemStartException.class,
                () -> retries(3).startTogether(List.of(component), Component::launch, () -> false));

        assertTrue(failure.getMessage().startsWith("broken exited with code 7 while starting."), failure.getMessage());
        assertEquals(2, retries.size(), retries.toString());
        assertFalse(component.isRunning());
    }

    @Test
    void noRetryOnceTheSystemIsStopping() throws Exception {
        component = new ScriptComponent("flaky", dir, FAILS_ONCE, recordRetries);

        assertThrows(SystemStartException.class,
                () -> retries(3).startTogether(List.of(component), Component::launch, () -> true));

        assertEquals(List.of(), retries);
        assertTrue(Files.exists(dir.resolve("tried")));
    }
}
