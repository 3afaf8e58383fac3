package io.failback.system;

/** A part of the system did not come up; the message says which and quotes its log. */
public class SystemStartException extends RuntimeException {

    public SystemStartException(String message) {
        super(message);
    }

    public SystemStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
