package io.failback.system;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/** One running part of the system: the broker, the database or a service. */
interface Component {

    String name();

    /** Starts its process; may return before it serves, so that several can boot at once. */
    void launch() throws Exception;

    /** Returns once it serves requests; fails, quoting its log, if it dies or {@code deadline} passes first. */
    void awaitReady(Instant deadline) throws InterruptedException;

    boolean isRunning();

    /** The OS process to record in a pid file, while it runs. */
    Optional<ProcessHandle> process();

    /** Graceful shutdown; does nothing if it is not running. */
    void stop();

    /** SIGKILL, to simulate a crash; does nothing if it is not running. */
    void kill();

    Path logFile();

    /** Where clients reach it, as the table printed by {@code up} shows it. */
    String address();
}
