package io.failback.contracts.site;

/**
 * An RFC 9457 problem detail ({@code application/problem+json}), the body of every 4xx and 5xx answer.
 *
 * @param type a stable name for the kind of problem, e.g. {@code VirtualSwitchNotFound}
 */
public record Problem(String type, String title, int status, String detail) {
    public static final String MEDIA_TYPE = "application/problem+json";
}
