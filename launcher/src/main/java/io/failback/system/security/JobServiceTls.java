package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How job-service serves HTTPS and how its clients trust it: its certificate (PEM, possibly followed by its chain) and
 * private key, and the certificates a client trusts for it, the local CA's or those a user brings.
 *
 * @param certificate  the server certificate, PEM
 * @param privateKey   its private key, PEM (PKCS#8 or PKCS#1, unencrypted)
 * @param trustAnchors PEM certificates a client trusts for this server: the CA that signed it, or the certificate
 *                     itself when a user brings one without naming its CA
 */
public record JobServiceTls(Path certificate, Path privateKey, Path trustAnchors) implements ServerTls {

    public JobServiceTls {
        certificate = certificate.toAbsolutePath().normalize();
        privateKey = privateKey.toAbsolutePath().normalize();
        trustAnchors = trustAnchors.toAbsolutePath().normalize();
    }

    /**
     * A certificate and key the user brings ({@code --tls-cert}/{@code --tls-key}); clients trust {@code ca}, or, without
     * one, the certificate file itself.
     *
     * @throws IllegalArgumentException if a file is missing or is not what it should be
     */
    public static JobServiceTls bringYourOwn(Path certificate, Path privateKey, Path ca) {
        for (Path file : ca == null ? List.of(certificate, privateKey) : List.of(certificate, privateKey, ca)) {
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("Cannot read " + file);
            }
        }
        JobServiceTls tls = new JobServiceTls(certificate, privateKey, ca == null ? certificate : ca);
        try {
            PemFiles.readCertificates(tls.certificate());
            PemFiles.readCertificates(tls.trustAnchors());
            PemFiles.readPrivateKey(tls.privateKey());
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return tls;
    }

    /**
     * What makes job-service serve HTTPS only, on {@code httpsPort}, with this certificate: Quarkus's TLS registry
     * (the default configuration's PEM key store, {@code quarkus.tls.key-store.pem.<name>.cert|key}) and its HTTP
     * server options, as environment variables. The values are file paths, never key material. The pair is named
     * {@code server}, not {@code 0}: in an environment variable SmallRye Config reads {@code _0_} as a list index, so
     * {@code QUARKUS_TLS_KEY_STORE_PEM_0_CERT} configures nothing (Quarkus 3.33 then refuses to start: "Cannot set
     * quarkus.http.insecure-requests without enabling SSL").
     */
    @Override
    public Map<String, String> quarkusEnvironment(int httpsPort) {
        return Map.of(
                "QUARKUS_HTTP_SSL_PORT", String.valueOf(httpsPort),
                "QUARKUS_TLS_KEY_STORE_PEM_SERVER_CERT", certificate.toString(),
                "QUARKUS_TLS_KEY_STORE_PEM_SERVER_KEY", privateKey.toString(),
                // Nothing in plain HTTP: not even a redirect that would carry a token in the clear.
                "QUARKUS_HTTP_INSECURE_REQUESTS", "disabled");
    }

    /**
     * An SSL context that trusts exactly {@link #trustAnchors()} (not the JDK's public CAs, which never sign a local
     * server): what the launcher's own clients connect to job-service with. Host names are still checked by the client.
     */
    @Override
    public SSLContext clientContext() {
        return trusting(trustAnchors);
    }

    /** An SSL context that trusts exactly the certificates in a PEM file. */
    public static SSLContext trusting(Path trustAnchors) {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            List<X509Certificate> anchors = PemFiles.readCertificates(trustAnchors);
            for (int i = 0; i < anchors.size(); i++) {
                trusted.setCertificateEntry("trusted-" + i, anchors.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the certificates to trust in " + trustAnchors, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot make an SSL context trusting " + trustAnchors + ": " + e.getMessage(), e);
        }
    }
}
