package io.failback.system;

import java.nio.file.Path;
import java.time.Duration;

/** Hears about the processes a {@link LocalSystem} starts and stops, e.g. to keep pid files. */
public interface ProcessListener {

    ProcessListener NONE = new ProcessListener() {
    };

    /** {@code name} now runs as {@code process}. */
    default void started(String name, ProcessHandle process) {
    }

    /** {@code name} was stopped or killed on purpose. */
    default void stopped(String name) {
    }

    /**
     * A process ended without being asked to, e.g. it crashed or failed to start; {@code exitCode} is -1 when it is
     * not known (PostgreSQL's postmaster is no child of ours).
     */
    default void exitedUnexpectedly(String name, int exitCode, Path logFile) {
    }

    /** {@code name} failed to start for {@code reason} and is tried again, as try {@code attempt}, after {@code pause}. */
    default void retryingStart(String name, int attempt, Duration pause, String reason) {
    }

    /** {@code name} ended unexpectedly and is started again after {@code pause}; it is its restart number {@code restarts}. */
    default void restarting(String name, int restarts, Duration pause) {
    }

    /** A restart of {@code name} did not become ready; the next one follows after a longer pause. */
    default void restartFailed(String name, Exception failure) {
    }
}
