package io.failback.contracts.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust in one peer of TLS between services (issue #16): its certificate must chain to a CA of a given PEM file, as
 * usual, and its subject's CN must be the identity the call is for, e.g. the provider id of the host a command names.
 * A URL that a heartbeat advertised thus cannot send a host's data to another holder of a valid certificate.
 */
public final class PinnedPeer extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager chain;
    private final String expectedName;

    private PinnedPeer(X509ExtendedTrustManager chain, String expectedName) {
        this.chain = chain;
        this.expectedName = expectedName;
    }

    /** Trusts a server whose certificate chains to a CA in {@code caFile} (PEM) and names {@code expectedName} as its CN. */
    public static PinnedPeer of(Path caFile, String expectedName) {
        return new PinnedPeer(trusting(caFile), expectedName);
    }

    /**
     * Trusts a server that {@code chain} trusts and that names {@code expectedName} as its CN: for a client that read
     * its CA file once ({@link #trusting}) and pins each peer as it first calls it, without reading a file then.
     */
    public static PinnedPeer of(X509ExtendedTrustManager chain, String expectedName) {
        return new PinnedPeer(chain, expectedName);
    }

    /**
     * A site's base URL as a pinned call reaches it: always HTTPS, whatever scheme the address was advertised with (a
     * host's comes from its own heartbeat, and the pin, not the scheme, says who answers).
     */
    public static String overHttps(String url) {
        return "https".equalsIgnoreCase(URI.create(url).getScheme()) ? url : "https" + url.substring(url.indexOf(':'));
    }

    /** The identity the peer must have. */
    public String expectedName() {
        return expectedName;
    }

    /** The CN of a certificate's subject, or null when it has none. */
    public static String commonName(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
            return null;
        } catch (InvalidNameException unreadable) {
            return null;
        }
    }

    /** The JDK's PKIX trust in exactly the certificates of a PEM file. */
    public static X509ExtendedTrustManager trusting(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            int index = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                anchors.setCertificateEntry("ca-" + index++, certificate);
            }
            if (index == 0) {
                throw new IllegalArgumentException(caFile + " holds no certificate");
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(anchors);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("The JDK offers no X.509 trust manager");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the CA certificates in " + caFile, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot trust the CA certificates in " + caFile + ": " + e.getMessage(), e);
        }
    }

    private void requireExpectedName(X509Certificate[] presented) throws CertificateException {
        String name = presented.length == 0 ? null : commonName(presented[0]);
        if (!expectedName.equals(name)) {
            throw new CertificateException("the peer is '" + name + "', not '" + expectedName + "' whom this call is for");
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] presented, String authType, SSLEngine engine) throws CertificateException {
        chain.checkServerTrusted(presented, authType, engine);
        requireExpectedName(presented);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] presented, String authType, Socket socket) throws CertificateException {
        chain.checkServerTrusted(presented, authType, socket);
        requireExpectedName(presented);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] presented, String authType) throws CertificateException {
        chain.checkServerTrusted(presented, authType);
        requireExpectedName(presented);
    }

    /** This trust verifies servers only: a client this side were asked about is refused. */
    @Override
    public void checkClientTrusted(X509Certificate[] presented, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("a pinned peer is a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] presented, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("a pinned peer is a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] presented, String authType) throws CertificateException {
        throw new CertificateException("a pinned peer is a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return chain.getAcceptedIssuers();
    }
}
