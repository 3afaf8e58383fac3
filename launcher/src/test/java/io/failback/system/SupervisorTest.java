package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervisor on real child processes: {@code sh} scripts that run, or die, as a service would. */
class SupervisorTest {

    private static final String RUNS = "touch ready; exec sleep 60";

    @TempDir
    Path dir;

    private final Map<String, Component> components = new ConcurrentHashMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private Supervisor supervisor;

    private final ProcessListener recordAndSupervise = new ProcessListener() {
        @Override
        public void exitedUnexpectedly(String name, int exitCode, Path logFile) {
            events.add(name + " exited " + exitCode);
            supervisor.restartAfterExit(name);
        }

        @Override
        public void restarting(String name, int restarts, Duration pause) {
            events.add(name + " restart " + restarts + " in " + pause.toMillis() + " ms");
        }
    };

    @AfterEach
    void stopAll() {
        if (supervisor != null) {
            supervisor.close();
        }
        components.values().forEach(Component::kill);
    }

    private Supervisor supervisor(Duration first, Duration cap) {
        return new Supervisor(components, component -> {
            component.launch();
            supervisor.started(component.name());
            component.awaitReady(Instant.now().plusSeconds(20));
        }, recordAndSupervise, first, cap, Duration.ofMinutes(1));
    }

    private ScriptComponent started(String name, String script) throws Exception {
        ScriptComponent component = new ScriptComponent(name, Files.createDirectories(dir.resolve(name)), script,
                recordAndSupervise);
        components.put(name, component);
        component.launch();
        supervisor.started(name);
        component.awaitReady(Instant.now().plusSeconds(20));
        return component;
    }

    @Test
    void aKilledPartIsStartedAgain() throws Exception {
        supervisor = supervisor(Duration.ofMillis(100), Duration.ofSeconds(1));
        ScriptComponent service = started("service", RUNS);
        supervisor.watch(List.of("service"));
        long firstPid = service.process().orElseThrow().pid();

        service.process().orElseThrow().destroyForcibly(); // a crash, not a stop

        awaitUntil(() -> service.process().map(process -> process.pid() != firstPid).orElse(false));
        assertNotEquals(firstPid, service.process().orElseThrow().pid());
        assertEquals(1, supervisor.restarts("service"));
        assertEquals("service restart 1 in 100 ms", events.get(1));
    }

    @Test
    void aPartThatKeepsDyingIsRestartedWithGrowingPauses() throws Exception {
        supervisor = supervisor(Duration.ofMillis(50), Duration.ofMillis(200));
        // Ready at once, then dies a moment later, every time.
        started("crashing", "touch ready; sleep 0.1; exit 5");
        supervisor.watch(List.of("crashing"));

        awaitUntil(() -> supervisor.restarts("crashing") >= 4);
        supervisor.close();
        List<String> pauses = events.stream().filter(event -> event.contains(" restart ")).limit(4).toList();
        assertEquals(List.of("crashing restart 1 in 50 ms", "crashing restart 2 in 100 ms",
                "crashing restart 3 in 200 ms", "crashing restart 4 in 200 ms"), pauses);
        assertTrue(events.contains("crashing exited 5"), events.toString());
    }

    @Test
    void aPartStoppedOnPurposeStaysStopped() throws Exception {
        supervisor = supervisor(Duration.ofMillis(50), Duration.ofSeconds(1));
        ScriptComponent service = started("service", RUNS);
        supervisor.watch(List.of("service"));

        service.stop();
        Thread.sleep(500);

        assertFalse(service.isRunning());
        assertEquals(0, supervisor.restarts("service"));
        assertEquals(List.of(), events);
    }

    @Test
    void nothingIsRestartedAfterClose() throws Exception {
        supervisor = supervisor(Duration.ofMillis(200), Duration.ofSeconds(1));
        ScriptComponent service = started("service", RUNS);
        supervisor.watch(List.of("service"));
        long firstPid = service.process().orElseThrow().pid();

        service.process().orElseThrow().destroyForcibly();
        awaitUntil(() -> supervisor.restarts("service") == 1);
        supervisor.close();
        Thread.sleep(600);

        assertFalse(service.isRunning(), "restarted after close, pid " + service.process().map(ProcessHandle::pid)
                + " (first " + firstPid + ")");
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not reached within 20 s");
            }
            Thread.sleep(20);
        }
    }
}
