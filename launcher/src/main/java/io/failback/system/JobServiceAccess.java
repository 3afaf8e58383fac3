package io.failback.system;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * What a client needs to call job-service: its HTTPS base URL, an SSL context that trusts its certificate (the local
 * CA, or what the user brought), and bearer tokens. {@link #toString()} leaves the tokens out.
 *
 * @param url          base URL, like {@code https://127.0.0.1:8443}
 * @param trustedCertificates the PEM file {@code trust} is made from, what {@code curl --cacert} takes
 * @param trust        trusts job-service's certificate and nothing more; with TLS between services also the sites'
 *                     CAs, presenting the launcher's identity to them ({@link LocalSystem.Builder#tlsInternal})
 * @param bearerTokens a valid token on each call (see {@link io.failback.system.security.BearerTokens})
 */
public record JobServiceAccess(URI url, Path trustedCertificates, SSLContext trust, Supplier<String> bearerTokens) {

    public JobServiceAccess {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(trustedCertificates, "trustedCertificates");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(bearerTokens, "bearerTokens");
    }

    /** Whether {@code uri} goes to job-service: only those requests carry the token. */
    public boolean serves(URI uri) {
        return url.getScheme().equalsIgnoreCase(uri.getScheme()) && url.getAuthority().equalsIgnoreCase(uri.getAuthority());
    }

    @Override
    public String toString() {
        return "JobServiceAccess[" + url + "]";
    }
}
