package io.failback.jobs.hosts;

import io.failback.contracts.site.ProblemException;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jboss.logging.Logger;

/**
 * The CA that gives registering hosts their identity: {@code CN=<providerId>,OU=hosts,O=Failback}, for server and
 * client authentication, naming the host of the address it advertised. It is a CA of its own, not the one that signs
 * the services' certificates, so that sync-service, trusting only it when it connects to a host, cannot be sent to a
 * service posing as a host, nor a host to another service. Its certificate and key come from files
 * ({@code FAILBACK_HOSTS_CA_CERT_FILE}, {@code FAILBACK_HOSTS_CA_KEY_FILE}), read once at start; without them hosts
 * cannot register (503).
 */
@Startup
@ApplicationScoped
public class HostsCa {
    private static final Logger LOG = Logger.getLogger(HostsCa.class);
    static final Duration HOST_CERTIFICATE_LIFETIME = Duration.ofDays(397);
    /** Valid a little before it is made, for a host whose clock is a little behind. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;

    public HostsCa(HostsConfig config) {
        Optional<Path> certificateFile = config.caCertificateFile();
        Optional<Path> keyFile = config.caKeyFile();
        if (certificateFile.isEmpty() || keyFile.isEmpty()) {
            LOG.warn("no hosts CA (FAILBACK_HOSTS_CA_CERT_FILE, FAILBACK_HOSTS_CA_KEY_FILE): hosts cannot register");
            certificate = null;
            key = null;
            return;
        }
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(certificateFile.get()));
            key = readPrivateKey(keyFile.get());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the hosts CA from " + certificateFile.get() + " and its key file", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the hosts CA in " + certificateFile.get() + " is not a readable certificate: " + e.getMessage(), e);
        }
    }

    /** The host's certificate then the CA's, PEM: what the host presents as its identity. */
    public String issue(String providerId, PublicKey hostKey, URI advertisedUrl) {
        if (certificate == null) {
            throw new ProblemException(503, "HostsCaNotConfigured",
                    "job-service has no hosts CA (FAILBACK_HOSTS_CA_CERT_FILE, FAILBACK_HOSTS_CA_KEY_FILE): no host can register");
        }
        try {
            Instant now = Instant.now();
            Instant notAfter = now.plus(HOST_CERTIFICATE_LIFETIME);
            if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
                notAfter = certificate.getNotAfter().toInstant();
            }
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Failback").addRDN(BCStyle.OU, "hosts")
                    .addRDN(BCStyle.CN, providerId).build();
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            String host = advertisedUrl.getHost();
            boolean ipAddress = host.startsWith("[") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
            GeneralName name = ipAddress
                    ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(host.replace("[", "").replace("]", "")).getHostAddress())
                    : new GeneralName(GeneralName.dNSName, host);
            var builder = new JcaX509v3CertificateBuilder(certificate, new BigInteger(127, RANDOM), Date.from(now.minus(BACKDATE)),
                    Date.from(notAfter), subject, hostKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(name))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(hostKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(certificate));
            String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
            X509Certificate issued = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(key)));
            return pem(issued, certificate);
        } catch (Exception e) {
            throw new IllegalStateException("the hosts CA could not sign " + providerId + "'s certificate: " + e.getMessage(), e);
        }
    }

    private static String pem(Object... objects) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        }
        return text.toString();
    }

    private static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new IOException(file + " holds no unencrypted private key");
        }
    }
}
