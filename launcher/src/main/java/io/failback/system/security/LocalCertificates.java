package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates of a local installation, in {@code .failback/tls/}: a CA made for this checkout ({@code ca.pem},
 * its key {@code ca-key.pem}) and job-service's server certificate signed by it ({@code job-service.pem},
 * {@code job-service-key.pem}) for {@code localhost}, {@code 127.0.0.1}, {@code ::1}, this machine's host name and
 * {@code job-service} (its name in Docker Compose).
 * Clients trust {@code ca.pem} ({@code curl --cacert .failback/tls/ca.pem}) and nothing else changes for them when
 * the server certificate is renewed: that happens on a start that finds it expired, within 30 days of expiry, not
 * signed by the current CA, not naming this host, or with an RSA key. The CA lives ten years, the server certificate 397
 * days (the most browsers accept). Key files are mode 600.
 * <p>
 * The server's key is ECDSA P-256: job-service signs every TLS handshake with it, and it compiles with C1 only (no
 * intrinsics for big-number arithmetic), where an RSA-2048 signature takes 9 ms of CPU and a P-256 one 0.7 ms. A client
 * that connects for each call (curl, scripts) made job-service spend a quarter of its CPU on handshakes.
 */
public final class LocalCertificates {

    public static final String CA_CERTIFICATE = "ca.pem";
    static final String CA_KEY = "ca-key.pem";
    static final String SERVER_CERTIFICATE = "job-service.pem";
    /** job-service's name in Docker Compose and Kubernetes, which its certificate names besides this machine's. */
    static final String JOB_SERVICE_NAME = "job-service";
    static final String SERVER_KEY = "job-service-key.pem";
    static final Duration RENEW_BEFORE_EXPIRY = Duration.ofDays(30);
    private static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final Duration SERVER_LIFETIME = Duration.ofDays(397);
    /** Certificates start to be valid a little before they are made, for clocks a little apart. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SERVER_KEY_ALGORITHM = "EC";

    private LocalCertificates() {
    }

    /** The CA and job-service's certificate in {@code dir}, made or renewed as needed, as of now. */
    public static JobServiceTls openOrCreate(Path dir) {
        return openOrCreate(dir, Instant.now(), jobServiceNames());
    }

    /**
     * This machine's names and {@code job-service}, the name the hosts of {@code deploy/docker-compose.yml} reach it by
     * when they register (they check job-service's certificate for it).
     */
    static List<String> jobServiceNames() {
        List<String> names = new java.util.ArrayList<>(localNames());
        names.add(JOB_SERVICE_NAME);
        return List.copyOf(names);
    }

    static JobServiceTls openOrCreate(Path dir, Instant now, List<String> serverNames) {
        ServiceIdentity identity = issue(dir, now, serverNames.get(0), SERVER_CERTIFICATE, SERVER_KEY, serverNames,
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth});
        return new JobServiceTls(identity.certificate(), identity.privateKey(), identity.ca());
    }

    /**
     * The identity of one service for TLS between services ({@code ./failback up --tls-internal}), signed by the same
     * local CA: subject {@code CN=<service>,O=Failback}, good for both ends of a connection (server and client
     * authentication) and for this machine's names. Files {@code <service>.pem} and {@code <service>-key.pem} in
     * {@code dir}, made or renewed as job-service's certificate is.
     */
    public static ServiceIdentity service(Path dir, String service) {
        return issue(dir, Instant.now(), service, service + ".pem", service + "-key.pem", localNames(),
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
    }

    private static ServiceIdentity issue(Path dir, Instant now, String commonName, String certificateFile, String keyFile,
                                         List<String> serverNames, KeyPurposeId[] purposes) {
        try {
            Files.createDirectories(dir);
            Issued ca = existingCa(dir, now).orElseGet(() -> newCa(dir, now));
            Path certificate = dir.resolve(certificateFile);
            Path key = dir.resolve(keyFile);
            if (!certificateStillGood(certificate, key, ca.certificate(), now, commonName, serverNames)) {
                issueCertificate(ca, certificate, key, now, commonName, serverNames, purposes);
            }
            return new ServiceIdentity(commonName, certificate, key, dir.resolve(CA_CERTIFICATE));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write the local certificates in " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("Cannot make the local certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A certificate with its private key. */
    private record Issued(X509Certificate certificate, PrivateKey key) {
    }

    private static Optional<Issued> existingCa(Path dir, Instant now) throws IOException {
        Path certificate = dir.resolve(CA_CERTIFICATE);
        Path key = dir.resolve(CA_KEY);
        if (!Files.isRegularFile(certificate) || !Files.isRegularFile(key)) {
            return Optional.empty();
        }
        X509Certificate ca = PemFiles.readCertificates(certificate).get(0);
        if (!validLongEnough(ca, now)) {
            return Optional.empty();
        }
        return Optional.of(new Issued(ca, PemFiles.readPrivateKey(key)));
    }

    private static Issued newCa(Path dir, Instant now) {
        try {
            KeyPair keys = rsaKeyPair();
            X500Name name = new X500Name("CN=Failback local CA " + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE)
                    + ",O=Failback");
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(CA_LIFETIME)), name, keys.getPublic())
                    // pathLen 0: it signs server certificates, never another CA.
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate certificate = sign(builder, keys.getPrivate());
            PemFiles.writePrivateKey(dir.resolve(CA_KEY), keys.getPrivate());
            PemFiles.writePublic(dir.resolve(CA_CERTIFICATE), certificate);
            return new Issued(certificate, keys.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("Cannot make the local CA: " + e.getMessage(), e);
        }
    }

    private static boolean certificateStillGood(Path certificateFile, Path keyFile, X509Certificate ca, Instant now,
                                                String commonName, List<String> serverNames) throws IOException {
        if (!Files.isRegularFile(certificateFile) || !Files.isRegularFile(keyFile)) {
            return false;
        }
        X509Certificate certificate = PemFiles.readCertificates(certificateFile).get(0);
        try {
            certificate.verify(ca.getPublicKey());
        } catch (GeneralSecurityException notSignedByThisCa) {
            return false;
        }
        if (!SERVER_KEY_ALGORITHM.equals(certificate.getPublicKey().getAlgorithm())) {
            return false; // an RSA key of an earlier version: each handshake cost job-service 13 times as much
        }
        return validLongEnough(certificate, now) && subjectAlternativeNames(certificate).containsAll(canonical(serverNames))
                // The encodings, not X500Name.equals, which takes a subject in the reverse order for the same.
                && Arrays.equals(certificate.getSubjectX500Principal().getEncoded(), subject(commonName).getEncoded());
    }

    private static void issueCertificate(Issued ca, Path certificateFile, Path keyFile, Instant now, String commonName,
                                         List<String> serverNames, KeyPurposeId[] purposes)
            throws GeneralSecurityException, OperatorCreationException, CertIOException {
        KeyPair keys = serverKeyPair();
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        Instant notAfter = now.plus(SERVER_LIFETIME);
        if (notAfter.isAfter(ca.certificate().getNotAfter().toInstant())) {
            notAfter = ca.certificate().getNotAfter().toInstant();
        }
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject(commonName),
                keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
                .addExtension(Extension.subjectAlternativeName, false, generalNames(serverNames))
                .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(ca.certificate()));
        X509Certificate certificate = sign(builder, ca.key());
        PemFiles.writePrivateKey(keyFile, keys.getPrivate());
        PemFiles.writePublic(certificateFile, certificate);
    }

    /**
     * Encoded O first, as cert-manager and the hosts CA encode theirs, so that the subject reads
     * {@code CN=<name>,O=Failback} in RFC 2253 (last RDN first): the string a broker's principal mapping matches
     * ({@link io.failback.contracts.messaging.KafkaPrincipals#SSL_PRINCIPAL_MAPPING_RULES}). A certificate of an earlier
     * version, encoded the other way round, is issued again.
     */
    private static X500Name subject(String commonName) {
        return new X500Name("O=Failback,CN=" + commonName);
    }

    private static boolean validLongEnough(X509Certificate certificate, Instant now) {
        return !now.isBefore(certificate.getNotBefore().toInstant())
                && now.plus(RENEW_BEFORE_EXPIRY).isBefore(certificate.getNotAfter().toInstant());
    }

    /** {@code localhost}, {@code 127.0.0.1}, {@code ::1} and, when it has one, this machine's host name. */
    static List<String> localNames() {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            String hostName = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            if (hostName.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?") && !isIpAddress(hostName)) {
                names.add(hostName);
            }
        } catch (UnknownHostException noHostName) {
            // the loopback names are enough for this machine's own clients
        }
        return List.copyOf(names);
    }

    private static GeneralNames generalNames(List<String> names) {
        return new GeneralNames(names.stream()
                .map(name -> new GeneralName(isIpAddress(name) ? GeneralName.iPAddress : GeneralName.dNSName, name))
                .toArray(GeneralName[]::new));
    }

    /** Names as the JDK reports a certificate's SANs: {@code dns:localhost}, {@code ip:0:0:0:0:0:0:0:1}. */
    private static Set<String> canonical(List<String> names) {
        Set<String> canonical = new LinkedHashSet<>();
        for (String name : names) {
            canonical.add(isIpAddress(name) ? "ip:" + ipAddress(name) : "dns:" + name.toLowerCase(Locale.ROOT));
        }
        return canonical;
    }

    private static Set<String> subjectAlternativeNames(X509Certificate certificate) {
        Set<String> names = new LinkedHashSet<>();
        try {
            Collection<List<?>> entries = certificate.getSubjectAlternativeNames();
            for (List<?> entry : entries == null ? List.<List<?>>of() : entries) {
                int type = (Integer) entry.get(0);
                String value = String.valueOf(entry.get(1));
                if (type == GeneralName.dNSName) {
                    names.add("dns:" + value.toLowerCase(Locale.ROOT));
                } else if (type == GeneralName.iPAddress) {
                    names.add("ip:" + ipAddress(value));
                }
            }
        } catch (GeneralSecurityException unreadable) {
            return Set.of();
        }
        return names;
    }

    private static boolean isIpAddress(String name) {
        return name.contains(":") || name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** The JDK's spelling of an address literal; no lookup happens for a literal. */
    private static String ipAddress(String literal) {
        try {
            return InetAddress.getByName(literal).getHostAddress();
        } catch (UnknownHostException e) {
            return literal;
        }
    }

    private static KeyPair rsaKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static KeyPair serverKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(SERVER_KEY_ALGORITHM);
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    }
}
