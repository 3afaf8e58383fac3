package io.failback.contracts.site;

/**
 * An RFC 9457 problem detail ({@code application/problem+json}), the body of every 4xx and 5xx answer.
 *
 * @param type a stable name for the kind of problem, e.g. {@code VirtualSwitchNotFound}
 */
public record Problem(String type, String title, int status, String detail) {
    public static final String MEDIA_TYPE = "application/problem+json";
    /**
     * A site's answer (503, with Retry-After) to a block stream beyond the ones it serves at once: the caller waits
     * and tries again, without counting it as an outage (docs/contracts.md).
     */
    public static final String SITE_BUSY = "SiteBusy";
}
