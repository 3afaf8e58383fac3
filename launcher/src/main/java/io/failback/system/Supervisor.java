package io.failback.system;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Starts a part again when its process ends without being asked to, after a pause from its {@link RestartBackoff},
 * and counts the restarts. A restart that fails to become ready is killed and tried again after the next pause.
 * Restarts run one at a time on one thread, so two parts never start at the same moment.
 */
final class Supervisor implements AutoCloseable {

    /** Starts one part and returns once it is ready; fails as {@link Component#awaitReady} does. */
    @FunctionalInterface
    interface Restart {
        void restart(Component component) throws Exception;
    }

    private final Map<String, Component> components;
    private final Restart restart;
    private final ProcessListener listener;
    private final Duration first;
    private final Duration cap;
    private final Duration stable;
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "failback-supervisor");
        thread.setDaemon(true);
        return thread;
    });

    private final Map<String, RestartBackoff> backoffs = new HashMap<>();
    private final Map<String, Instant> startedAt = new HashMap<>();
    private final Map<String, Integer> restartCounts = new HashMap<>();
    /** Parts with a restart scheduled, so that a second notice of the same exit does not schedule another. */
    private final Set<String> pending = new HashSet<>();
    private boolean watching;
    private boolean closed;

    Supervisor(Map<String, Component> components, Restart restart, ProcessListener listener,
               Duration first, Duration cap, Duration stable) {
        this.components = components;
        this.restart = restart;
        this.listener = listener;
        this.first = first;
        this.cap = cap;
        this.stable = stable;
    }

    /**
     * From now on an unexpected exit leads to a restart; before (while the system starts, which retries on its
     * own) it does not. A part that ended in between is restarted as if it had just exited.
     */
    void watch(Iterable<String> names) {
        synchronized (this) {
            watching = true;
        }
        for (String name : names) {
            if (!components.get(name).isRunning()) {
                restartAfterExit(name);
            }
        }
    }

    synchronized void started(String name) {
        startedAt.put(name, Instant.now());
    }

    /** {@code name}'s process ended without being asked to. */
    synchronized void restartAfterExit(String name) {
        if (!watching || closed || !pending.add(name)) {
            return;
        }
        Duration uptime = Duration.between(startedAt.getOrDefault(name, Instant.now()), Instant.now());
        Duration pause = backoffs.computeIfAbsent(name, key -> new RestartBackoff(first, cap, stable))
                .pauseAfterRunning(uptime);
        int count = restartCounts.merge(name, 1, Integer::sum);
        listener.restarting(name, count, pause);
        restarts.schedule(() -> restartNow(name), pause.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized int restarts(String name) {
        return restartCounts.getOrDefault(name, 0);
    }

    private void restartNow(String name) {
        synchronized (this) {
            pending.remove(name);
            if (closed) {
                return;
            }
        }
        Component component = components.get(name);
        try {
            restart.restart(component);
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            synchronized (this) {
                if (closed) {
                    return;
                }
            }
            listener.restartFailed(name, e);
            // A process that is up but not ready would not end on its own; one that died is already counted.
            component.kill();
            restartAfterExit(name);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        restarts.shutdownNow();
    }
}
