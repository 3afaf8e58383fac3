package io.failback.sync.sites;

import java.net.URI;

/**
 * A site answered a call with an error, or could not be reached; {@code code} names what went wrong.
 * <p>
 * When the fault is the kind that passes by itself — the site does not answer, answers "unavailable" (502, 503, 504),
 * or a block stream was cut half-way — {@link #awayPart()} names the site's base URL, and the task waits for it to
 * come back instead of failing. Every other failure (a refusal, a missing VM, a wrong key) is final.
 */
public class SiteCallException extends RuntimeException {
    private final String code;
    private final String awayPart;

    public SiteCallException(String code, String message) {
        this(code, message, null);
    }

    private SiteCallException(String code, String message, String awayPart) {
        super(message);
        this.code = code;
        this.awayPart = awayPart;
    }

    /** A fault that passes when the site at {@code url} (any URL of it) is back. */
    public static SiteCallException partAway(String code, String message, String url) {
        return new SiteCallException(code, message, baseOf(url));
    }

    public String code() {
        return code;
    }

    /** The base URL of the site that is away, or null when the failure is final. */
    public String awayPart() {
        return awayPart;
    }

    public boolean isTransient() {
        return awayPart != null;
    }

    private static String baseOf(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getRawAuthority();
    }
}
