package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The CA that signs the on-premises hosts' certificates when they register ({@code hosts-ca.pem}, its key
 * {@code hosts-ca-key.pem}, mode 600, in {@code .failback/tls/}), given to job-service as files. It is separate from
 * the local CA of the services: sync-service trusts only it when it connects to a host, so no service can pose as a
 * host, and a host's certificate names no service. Self-signed, ten years, EC P-256 (job-service signs with it at
 * each registration). Made once and kept: the hosts' certificates chain to it, so a new one would unregister them all.
 *
 * @param certificate the CA certificate, PEM: what sync-service trusts for hosts
 * @param privateKey  its key, PEM (PKCS#8), for job-service only
 */
public record HostsCa(Path certificate, Path privateKey) {
    public static final String CERTIFICATE = "hosts-ca.pem";
    public static final String KEY = "hosts-ca-key.pem";
    private static final Duration LIFETIME = Duration.ofDays(3650);
    private static final SecureRandom RANDOM = new SecureRandom();

    public HostsCa {
        certificate = certificate.toAbsolutePath().normalize();
        privateKey = privateKey.toAbsolutePath().normalize();
    }

    /** The hosts CA in {@code dir}, made when it is not there (or its files are not whole). */
    public static HostsCa openOrCreate(Path dir) {
        HostsCa ca = new HostsCa(dir.resolve(CERTIFICATE), dir.resolve(KEY));
        if (Files.isRegularFile(ca.certificate()) && Files.isRegularFile(ca.privateKey())) {
            return ca;
        }
        try {
            Files.createDirectories(dir);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=Failback hosts CA " + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE)
                    + ",OU=hosts,O=Failback");
            var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(127, RANDOM), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(LIFETIME)), name, keys.getPublic())
                    // pathLen 0: it signs hosts' certificates, never another CA.
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            PemFiles.writePrivateKey(ca.privateKey(), keys.getPrivate());
            PemFiles.writePublic(ca.certificate(), certificate);
            return ca;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the hosts CA in " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("Cannot make the hosts CA: " + e.getMessage(), e);
        }
    }
}
