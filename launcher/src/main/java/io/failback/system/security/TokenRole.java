package io.failback.system.security;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The roles job-service grants (its {@code security.Roles}), as a token's {@code roles} claim names them. Each includes
 * the ones before it: job-service maps Contributor to Operator and Reader, Operator to Reader.
 */
public enum TokenRole {
    READER("SiteRecovery.Reader"),
    OPERATOR("SiteRecovery.Operator"),
    CONTRIBUTOR("SiteRecovery.Contributor");

    private final String claimValue;

    TokenRole(String claimValue) {
        this.claimValue = claimValue;
    }

    /** What the token's {@code roles} claim carries, e.g. {@code SiteRecovery.Operator}. */
    public String claimValue() {
        return claimValue;
    }

    /**
     * {@code Reader}, {@code operator}, {@code SiteRecovery.Contributor}...: the short name in any case, or the claim value.
     *
     * @throws IllegalArgumentException naming the roles there are
     */
    public static TokenRole parse(String name) {
        for (TokenRole role : values()) {
            if (role.name().equalsIgnoreCase(name) || role.claimValue.equalsIgnoreCase(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("Unknown role " + name + "; there are " + Arrays.stream(values())
                .map(role -> role.name().charAt(0) + role.name().substring(1).toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ")));
    }
}
