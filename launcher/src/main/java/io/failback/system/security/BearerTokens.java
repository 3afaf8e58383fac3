package io.failback.system.security;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The token a client sends, one role for one subject: short-lived (an hour), and replaced by a new one when less than
 * five minutes of it are left, so a client that runs for hours (a benchmark, a long test) never sends an expired
 * token and never holds one valid for longer than it needs. Thread-safe.
 */
public final class BearerTokens implements Supplier<String> {

    static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration RENEW_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private final LocalIssuer issuer;
    private final TokenRole role;
    private final String subject;
    private String token;
    private Instant renewAt = Instant.MIN;

    BearerTokens(LocalIssuer issuer, TokenRole role, String subject) {
        this.issuer = issuer;
        this.role = role;
        this.subject = subject;
    }

    /** A token valid for at least five more minutes. */
    @Override
    public synchronized String get() {
        Instant now = Instant.now();
        if (!now.isBefore(renewAt)) {
            token = issuer.issue(role, subject, LIFETIME);
            renewAt = now.plus(LIFETIME).minus(RENEW_BEFORE_EXPIRY);
        }
        return token;
    }

    /** Never the token itself: this object may end up in a log line or an assertion message. */
    @Override
    public String toString() {
        return "BearerTokens[" + role.claimValue() + " for " + subject + "]";
    }
}
