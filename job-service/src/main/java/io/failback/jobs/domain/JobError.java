package io.failback.jobs.domain;

/** An error on a job or task: a stable code and a message that says what to do. */
public record JobError(String errorCode, String message) {
}
