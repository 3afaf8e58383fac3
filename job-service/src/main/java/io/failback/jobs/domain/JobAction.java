package io.failback.jobs.domain;

/** What may be done to a job after it started, as its {@code allowedActions} name them. */
public enum JobAction {
    /** Stop it: while it runs, for the scenarios that can stop half-way, and while it is suspended. */
    Cancel,
    /** "Complete Failover" of a suspended job. */
    Resume,
    /** Run its command again after it failed. */
    Restart
}
