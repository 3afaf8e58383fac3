package io.failback.jobs.security;

import io.quarkus.security.identity.SecurityIdentity;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Who a request comes from, as jobs and audit records name it. */
public final class Callers {
    private Callers() {
    }

    /** The token's subject ({@code sub}), which stays the same for a user or an application; null when anonymous. */
    public static String subject(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()) {
            return null;
        }
        if (identity.getPrincipal() instanceof JsonWebToken token && token.getSubject() != null) {
            return token.getSubject();
        }
        return identity.getPrincipal().getName();
    }
}
