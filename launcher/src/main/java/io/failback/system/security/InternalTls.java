package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.HashMap;
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
    private final Path hostsCa;
    private final Map<String, ServiceIdentity> identities = new ConcurrentHashMap<>();

    private InternalTls(Path dir, Path hostsCa) {
        this.dir = dir.toAbsolutePath().normalize();
        this.hostsCa = hostsCa.toAbsolutePath().normalize();
    }

    /**
     * The identities in {@code tlsDir}, issued by its local CA as they are first asked for; hosts are trusted as
     * {@code hostsCa} signed them.
     */
    public static InternalTls openOrCreate(Path tlsDir, HostsCa hostsCa) {
        InternalTls tls = new InternalTls(tlsDir, hostsCa.certificate());
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
     * The CA clients trust for a host: the hosts CA ({@link HostsCa}) that job-service signs a host's certificate with
     * when the host registers.
     */
    public Path hostsCa() {
        return hostsCa;
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
