package io.failback.system;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Starts a group of components at once and waits until all are ready. One that fails to start (dies while starting,
 * or is not ready in time) is killed and started again after a pause, up to {@code attempts} tries in all: a start
 * on a busy machine can fail once for reasons the next try does not meet. Each failed try is told to the listener.
 */
record StartRetries(int attempts, Duration firstPause, Duration readyTimeout, ProcessListener listener) {

    /** How often a part may try to start before the start fails. */
    static final int ATTEMPTS = 3;
    /** The pause before the second try; each later try waits one more of it. */
    static final Duration FIRST_PAUSE = Duration.ofSeconds(2);

    /** Starts one component's process; see {@link Component#launch()}. */
    @FunctionalInterface
    interface Launch {
        void launch(Component component) throws Exception;
    }

    /**
     * Throws the last try's failure of the first component that does not start; the components in the group that
     * did start keep running, for the caller to stop. No more tries once {@code stopping} says so.
     */
    void startTogether(List<Component> group, Launch launch, BooleanSupplier stopping) throws Exception {
        Map<Component, Exception> launchFailures = new LinkedHashMap<>();
        for (Component component : group) {
            try {
                launch.launch(component);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                launchFailures.put(component, e);
            }
        }
        Instant deadline = Instant.now().plus(readyTimeout);
        for (Component component : group) {
            Exception failure = launchFailures.get(component);
            if (failure == null) {
                failure = awaitReadyOrFailure(component, deadline);
            }
            for (int attempt = 2; failure != null; attempt++) {
                if (attempt > attempts || stopping.getAsBoolean()) {
                    throw failure;
                }
                Duration pause = firstPause.multipliedBy(attempt - 1);
                listener.retryingStart(component.name(), attempt, pause, firstLine(failure));
                component.kill();
                Thread.sleep(pause.toMillis());
                failure = launchAndAwaitReady(component, launch);
            }
        }
    }

    private Exception launchAndAwaitReady(Component component, Launch launch) throws InterruptedException {
        try {
            launch.launch(component);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return e;
        }
        return awaitReadyOrFailure(component, Instant.now().plus(readyTimeout));
    }

    private static Exception awaitReadyOrFailure(Component component, Instant deadline) throws InterruptedException {
        try {
            component.awaitReady(deadline);
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** The whole message, with the tail of the part's log, comes with the last failure; a retry says only why. */
    private static String firstLine(Exception failure) {
        String message = String.valueOf(failure.getMessage());
        int lineEnd = message.indexOf('\n');
        return lineEnd < 0 ? message : message.substring(0, lineEnd);
    }
}
