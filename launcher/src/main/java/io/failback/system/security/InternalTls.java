package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS between services on this machine ({@code ./failback up --tls-internal}): every service gets an identity from
 * the local CA in {@code .failback/tls/} ({@link LocalCertificates#service}, {@code CN=<service>,O=Failback}); the
 * sites (azure-sim, the host agents) serve HTTPS only and authorize {@code /api/*} by the caller's certificate; their
 * clients (sync-service, job-service) present their identity and verify the site's, a host's pinned to its provider id.
 * What each process gets is file paths in its environment, never key material (docs/security.md).
 */
public final class InternalTls {
    /**
     * The launcher's own clients (the demo, the benchmark, the end-to-end tests) drive the simulated sites as their
     * operator would, with this identity; the sites grant it what sync-service has.
     */
    public static final String LAUNCHER = "failback-launcher";

    private final Path dir;
    private final Map<String, ServiceIdentity> identities = new ConcurrentHashMap<>();

    private InternalTls(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The identities in {@code tlsDir}, issued by its local CA as they are first asked for. */
    public static InternalTls openOrCreate(Path tlsDir) {
        InternalTls tls = new InternalTls(tlsDir);
        tls.identity(LAUNCHER);
        return tls;
    }

    /** {@code service}'s certificate and key, made or renewed as needed. */
    public ServiceIdentity identity(String service) {
        return identities.computeIfAbsent(service, name -> LocalCertificates.service(dir, name));
    }

    /** The CA of the services' identities, which the sites trust for their callers and the callers for azure-sim. */
    public Path internalCa() {
        return dir.resolve(LocalCertificates.CA_CERTIFICATE);
    }

    /**
     * STAND-IN until host registration (issue #16 part 2) merges: the CA clients trust for a host. Registration issues
     * host identities from a hosts CA of job-service's ({@code .failback/tls/hosts-ca.pem}); until then the hosts'
     * identities come from {@link #standInHostIdentity}, signed by the local CA, so that is what clients trust for hosts.
     */
    public Path hostsCa() {
        return internalCa();
    }

    /**
     * STAND-IN until host registration (issue #16 part 2) merges: writes the identity a registered host would hold,
     * {@code identity/certificate.pem} (leaf, then its CA) and {@code identity/key.pem} (mode 600) under the host's
     * storage directory, where the host agent serves its HTTPS from. Its subject is {@code CN=<providerId>,O=Failback},
     * the CN its clients pin.
     */
    public Path standInHostIdentity(Path hostStorageDir, String providerId) {
        ServiceIdentity issued = identity(providerId);
        Path identityDir = hostStorageDir.resolve("identity");
        try {
            Files.createDirectories(identityDir);
            List<Object> chain = new ArrayList<>(PemFiles.readCertificates(issued.certificate()));
            chain.addAll(PemFiles.readCertificates(issued.ca()));
            PemFiles.writePublic(identityDir.resolve("certificate.pem"), chain.toArray());
            PemFiles.writePrivateKey(identityDir.resolve("key.pem"), PemFiles.readPrivateKey(issued.privateKey()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the identity of host " + providerId + " in " + identityDir, e);
        }
        return identityDir;
    }

    /**
     * A site's HTTPS: its certificate and key, the internal CA for its callers' certificates, and what a probe without a
     * certificate trusts for it ({@code serverTrust}).
     */
    public ServerTls site(Path certificate, Path privateKey, Path serverTrust) {
        Path clientCa = internalCa();
        return new ServerTls() {
            @Override
            public Map<String, String> quarkusEnvironment(int httpsPort) {
                return Map.of(
                        "FAILBACK_INTERNAL_TLS", "true",
                        "QUARKUS_HTTP_SSL_PORT", String.valueOf(httpsPort),
                        "QUARKUS_TLS_KEY_STORE_PEM_SERVER_CERT", certificate.toString(),
                        "QUARKUS_TLS_KEY_STORE_PEM_SERVER_KEY", privateKey.toString(),
                        "QUARKUS_TLS_TRUST_STORE_PEM_CERTS", clientCa.toString(),
                        "QUARKUS_HTTP_INSECURE_REQUESTS", "disabled");
            }

            @Override
            public SSLContext clientContext() {
                return JobServiceTls.trusting(serverTrust);
            }
        };
    }

    /** azure-sim's HTTPS, with its own identity. */
    public ServerTls azureSim(String service) {
        ServiceIdentity identity = identity(service);
        return site(identity.certificate(), identity.privateKey(), internalCa());
    }

    /**
     * What a caller of the sites (sync-service, job-service) needs: its identity, the CA it trusts for azure-sim and
     * the one it trusts for hosts.
     */
    public Map<String, String> clientEnvironment(String service) {
        ServiceIdentity identity = identity(service);
        Map<String, String> environment = new HashMap<>();
        environment.put("FAILBACK_INTERNAL_TLS", "true");
        environment.put("FAILBACK_INTERNAL_TLS_CERT", identity.certificate().toString());
        environment.put("FAILBACK_INTERNAL_TLS_KEY", identity.privateKey().toString());
        environment.put("FAILBACK_INTERNAL_TLS_CA", internalCa().toString());
        environment.put("FAILBACK_HOSTS_CA", hostsCa().toString());
        return environment;
    }

    /**
     * An SSL context that presents {@code identity}'s certificate (none when null) and trusts exactly the certificates
     * in the {@code trusted} PEM files: what a test calls a site with, as that service or as nobody.
     */
    public SSLContext clientContext(String identity, Path... trusted) {
        try {
            KeyStore trustedCertificates = KeyStore.getInstance("PKCS12");
            trustedCertificates.load(null, null);
            int index = 0;
            for (Path file : trusted) {
                for (X509Certificate certificate : PemFiles.readCertificates(file)) {
                    trustedCertificates.setCertificateEntry("trusted-" + index++, certificate);
                }
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trustedCertificates);
            KeyManagerFactory keys = null;
            if (identity != null) {
                ServiceIdentity own = identity(identity);
                KeyStore keyStore = KeyStore.getInstance("PKCS12");
                keyStore.load(null, null);
                keyStore.setKeyEntry("identity", PemFiles.readPrivateKey(own.privateKey()), new char[0],
                        PemFiles.readCertificates(own.certificate()).toArray(X509Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(keyStore, new char[0]);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the certificates for a client of the sites", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot make an SSL context for a client of the sites: " + e.getMessage(), e);
        }
    }
}
