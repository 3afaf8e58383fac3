package io.failback.sync.sites;

/** A site answered a call with an error, or could not be reached; {@code code} names what went wrong. */
public class SiteCallException extends RuntimeException {
    private final String code;

    public SiteCallException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
