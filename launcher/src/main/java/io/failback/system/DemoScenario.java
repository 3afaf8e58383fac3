package io.failback.system;

/** What {@code ./failback up} does once everything is ready, before it waits for Ctrl-C. */
public interface DemoScenario {

    /**
     * Drives the running system. An exception is reported but leaves the system running so it can be inspected.
     */
    void run(SystemEndpoints endpoints) throws Exception;
}
