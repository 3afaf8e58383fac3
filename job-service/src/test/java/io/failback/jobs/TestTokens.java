package io.failback.jobs;

import io.failback.jobs.security.Roles;
import io.smallrye.jwt.build.Jwt;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Tokens of the tests' own issuer (its key pair in {@code test-issuer/}, trusted by the test profile), as an OIDC
 * issuer would hand them to a caller with one of Site Recovery's roles.
 */
public final class TestTokens {
    public static final String ISSUER = "failback-local-issuer";
    public static final String AUDIENCE = "failback";

    private TestTokens() {
    }

    public static String reader() {
        return token("reader@test", Roles.READER);
    }

    public static String operator() {
        return token("operator@test", Roles.OPERATOR);
    }

    public static String contributor() {
        return token("contributor@test", Roles.CONTRIBUTOR);
    }

    /** A valid token for {@code subject} with these roles (none: authenticated, but allowed nothing). */
    public static String token(String subject, String... roles) {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject(subject).claim("roles", Set.of(roles))
                .expiresIn(Duration.ofHours(1)).sign();
    }

    /** Signed by the trusted key, but expired a minute ago. */
    public static String expired() {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject("late@test").claim("roles", Set.of(Roles.CONTRIBUTOR))
                .issuedAt(Instant.now().minus(Duration.ofHours(2))).expiresAt(Instant.now().minus(Duration.ofMinutes(1))).sign();
    }

    /** Signed by the trusted key, for another API. */
    public static String otherAudience() {
        return Jwt.issuer(ISSUER).audience("another-api").subject("elsewhere@test").claim("roles", Set.of(Roles.CONTRIBUTOR))
                .expiresIn(Duration.ofHours(1)).sign();
    }

    /** What a Bearer header carries: {@code "Bearer " + token}. */
    public static String bearer(String token) {
        return "Bearer " + token;
    }
}
