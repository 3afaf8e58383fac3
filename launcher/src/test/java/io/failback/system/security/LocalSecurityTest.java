package io.failback.system.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local issuer's tokens and the local CA's certificates are what job-service and its clients expect. */
class LocalSecurityTest {

    private static final List<String> NAMES = List.of("localhost", "127.0.0.1", "::1", "failback-test.example");

    @TempDir
    Path dir;

    @Test
    void tokensCarryIssuerAudienceSubjectRoleAndExpiryAndVerifyWithThePublicKeyFile() throws Exception {
        LocalIssuer issuer = LocalIssuer.openOrCreate(dir.resolve("jwt"));
        String token = issuer.issue(TokenRole.OPERATOR, "alice", Duration.ofHours(2));

        JwtClaims claims = new JwtConsumerBuilder()
                .setVerificationKey(KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(
                        pemBody(issuer.publicKeyFile()))))
                .setExpectedIssuer(LocalIssuer.ISSUER)
                .setExpectedAudience(LocalIssuer.AUDIENCE)
                .setRequireExpirationTime()
                .build().processToClaims(token);
        assertEquals("alice", claims.getSubject());
        assertEquals(List.of("SiteRecovery.Operator"), claims.getStringListClaimValue("roles"));
        long lifetime = claims.getExpirationTime().getValue() - claims.getIssuedAt().getValue();
        assertEquals(Duration.ofHours(2).toSeconds(), lifetime);
        assertOwnerOnly(dir.resolve("jwt").resolve(LocalIssuer.PRIVATE_KEY_FILE));
    }

    @Test
    void theKeyPairIsKeptSoEarlierTokensStayValidAndAnotherIssuersAreRefused() throws Exception {
        String earlier = LocalIssuer.openOrCreate(dir.resolve("jwt")).issue(TokenRole.READER, "bob", Duration.ofHours(1));
        LocalIssuer reopened = LocalIssuer.openOrCreate(dir.resolve("jwt"));
        var key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(pemBody(reopened.publicKeyFile())));
        new JwtConsumerBuilder().setVerificationKey(key).setExpectedAudience(LocalIssuer.AUDIENCE).build().process(earlier);

        String foreign = LocalIssuer.openOrCreate(dir.resolve("other")).issue(TokenRole.CONTRIBUTOR, "mallory", Duration.ofHours(1));
        assertThrows(InvalidJwtException.class, () -> new JwtConsumerBuilder().setVerificationKey(key)
                .setExpectedAudience(LocalIssuer.AUDIENCE).build().process(foreign));
    }

    @Test
    void rolesAreParsedByShortOrClaimName() {
        assertEquals(TokenRole.CONTRIBUTOR, TokenRole.parse("contributor"));
        assertEquals(TokenRole.READER, TokenRole.parse("SiteRecovery.Reader"));
        assertThrows(IllegalArgumentException.class, () -> TokenRole.parse("Owner"));
    }

    @Test
    void theServerCertificateChainsToTheCaAndNamesEveryLocalAddress() throws Exception {
        Instant now = Instant.now();
        JobServiceTls tls = LocalCertificates.openOrCreate(dir.resolve("tls"), now, NAMES);

        X509Certificate server = PemFiles.readCertificates(tls.certificate()).get(0);
        X509Certificate ca = PemFiles.readCertificates(tls.trustAnchors()).get(0);
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(server)), parameters);
        assertEquals(List.of("serverAuth"), server.getExtendedKeyUsage().stream()
                .map(oid -> oid.equals("1.3.6.1.5.5.7.3.1") ? "serverAuth" : oid).toList());
        assertTrue(server.getSubjectAlternativeNames().stream().map(entry -> String.valueOf(entry.get(1))).toList()
                .containsAll(List.of("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1", "failback-test.example")));
        assertEquals(dir.resolve("tls").resolve(LocalCertificates.CA_CERTIFICATE), tls.trustAnchors());
        assertOwnerOnly(tls.privateKey());
        assertOwnerOnly(dir.resolve("tls").resolve(LocalCertificates.CA_KEY));
    }

    @Test
    void jobServiceIsNamedAsComposeHostsReachItWhenTheyRegister() throws Exception {
        JobServiceTls tls = LocalCertificates.openOrCreate(dir.resolve("tls"));

        X509Certificate server = PemFiles.readCertificates(tls.certificate()).get(0);
        assertTrue(server.getSubjectAlternativeNames().stream().map(entry -> String.valueOf(entry.get(1))).toList()
                .containsAll(List.of("localhost", "127.0.0.1", "job-service")), server.getSubjectAlternativeNames().toString());
    }

    @Test
    void aServiceIdentityServesAndCallsUnderItsOwnName() throws Exception {
        ServiceIdentity identity = LocalCertificates.service(dir.resolve("tls"), "sync-service");

        X509Certificate certificate = PemFiles.readCertificates(identity.certificate()).get(0);
        assertEquals("CN=sync-service,O=Failback", certificate.getSubjectX500Principal().getName(),
                "RFC 2253, as a broker maps it to a principal, and as cert-manager's certificates read");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), certificate.getExtendedKeyUsage(), "server and client auth");
        certificate.verify(PemFiles.readCertificates(identity.ca()).get(0).getPublicKey());
        assertOwnerOnly(identity.privateKey());
        assertEquals(identity, LocalCertificates.service(dir.resolve("tls"), "sync-service"), "kept while it is good");
        assertEquals(certificate, PemFiles.readCertificates(identity.certificate()).get(0));
    }

    @Test
    void certificatesAreReusedAndTheServerOneIsRenewedWithinThirtyDaysOfExpiry() throws Exception {
        Instant now = Instant.now();
        JobServiceTls first = LocalCertificates.openOrCreate(dir.resolve("tls"), now, NAMES);
        String certificate = Files.readString(first.certificate());
        String ca = Files.readString(first.trustAnchors());

        LocalCertificates.openOrCreate(dir.resolve("tls"), now.plus(Duration.ofDays(300)), NAMES);
        assertEquals(certificate, Files.readString(first.certificate()), "still valid for more than 30 days: kept");

        LocalCertificates.openOrCreate(dir.resolve("tls"), now.plus(Duration.ofDays(370)), NAMES);
        assertNotEquals(certificate, Files.readString(first.certificate()), "within 30 days of expiry: renewed");
        assertEquals(ca, Files.readString(first.trustAnchors()), "by the same CA, so clients keep trusting it");

        String renewed = Files.readString(first.certificate());
        LocalCertificates.openOrCreate(dir.resolve("tls"), now.plus(Duration.ofDays(370)),
                List.of("localhost", "127.0.0.1", "::1", "renamed-host.example"));
        assertNotEquals(renewed, Files.readString(first.certificate()), "a new host name: renewed");
    }

    @Test
    void theServerKeyIsP256AndAnRsaOneOfAnEarlierVersionIsReplacedUnderTheSameCa() throws Exception {
        Instant now = Instant.now();
        Path tlsDir = dir.resolve("tls");
        JobServiceTls tls = LocalCertificates.openOrCreate(tlsDir, now, NAMES);
        X509Certificate server = PemFiles.readCertificates(tls.certificate()).get(0);
        String curve = ((ECPublicKey) server.getPublicKey()).getParams().toString();
        assertTrue(curve.contains("secp256r1"), curve);
        assertTrue(PemFiles.readPrivateKey(tls.privateKey()) instanceof ECPrivateKey);
        assertArrayEquals(new boolean[] {true, false, false, false, false, false, false, false, false}, server.getKeyUsage(),
                "digitalSignature only: an EC key encrypts no key");

        // What versions before it issued: an RSA key, signed by the same CA and otherwise still good.
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair rsaKeys = rsa.generateKeyPair();
        X509Certificate ca = PemFiles.readCertificates(tls.trustAnchors()).get(0);
        X509Certificate rsaServer = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(ca,
                BigInteger.TEN, Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(300))),
                new X500Name("CN=localhost"), rsaKeys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, GeneralNames.getInstance(JcaX509ExtensionUtils.parseExtensionValue(
                        server.getExtensionValue(Extension.subjectAlternativeName.getId()))))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(PemFiles.readPrivateKey(tlsDir.resolve(LocalCertificates.CA_KEY)))));
        PemFiles.writePublic(tls.certificate(), rsaServer);
        PemFiles.writePrivateKey(tls.privateKey(), rsaKeys.getPrivate());
        String ours = Files.readString(tls.trustAnchors());

        LocalCertificates.openOrCreate(tlsDir, now, NAMES);

        assertEquals("EC", PemFiles.readCertificates(tls.certificate()).get(0).getPublicKey().getAlgorithm(), "renewed with P-256");
        assertEquals(ours, Files.readString(tls.trustAnchors()), "by the same CA, so clients keep trusting it");
    }

    /**
     * Before the subject was encoded O first, a service's certificate read {@code O=Failback,CN=<name>} in RFC 2253,
     * which no broker's principal mapping names; such a certificate, otherwise still good, is issued again.
     */
    @Test
    void aServiceCertificateWithItsSubjectTheOtherWayRoundIsIssuedAgain() throws Exception {
        Instant now = Instant.now();
        Path tlsDir = dir.resolve("tls");
        ServiceIdentity identity = LocalCertificates.service(tlsDir, "kafka");
        X509Certificate current = PemFiles.readCertificates(identity.certificate()).get(0);
        X509Certificate ca = PemFiles.readCertificates(identity.ca()).get(0);
        X509Certificate earlier = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(ca,
                BigInteger.TEN, Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(300))),
                new X500Name("CN=kafka,O=Failback"), current.getPublicKey())
                .addExtension(Extension.subjectAlternativeName, false, GeneralNames.getInstance(JcaX509ExtensionUtils.parseExtensionValue(
                        current.getExtensionValue(Extension.subjectAlternativeName.getId()))))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(PemFiles.readPrivateKey(tlsDir.resolve(LocalCertificates.CA_KEY)))));
        PemFiles.writePublic(identity.certificate(), earlier);
        assertEquals("O=Failback,CN=kafka", PemFiles.readCertificates(identity.certificate()).get(0).getSubjectX500Principal().getName());

        LocalCertificates.service(tlsDir, "kafka");

        assertEquals("CN=kafka,O=Failback", PemFiles.readCertificates(identity.certificate()).get(0).getSubjectX500Principal().getName());
    }

    @Test
    void clientsTrustExactlyTheLocalCa() throws Exception {
        JobServiceTls tls = LocalCertificates.openOrCreate(dir.resolve("tls"), Instant.now(), NAMES);
        assertEquals("TLS", tls.clientContext().getProtocol());
        assertEquals(tls.trustAnchors(), JobServiceTls.bringYourOwn(tls.certificate(), tls.privateKey(), tls.trustAnchors()).trustAnchors());
        assertEquals(tls.certificate(), JobServiceTls.bringYourOwn(tls.certificate(), tls.privateKey(), null).trustAnchors());
        assertThrows(IllegalArgumentException.class, () -> JobServiceTls.bringYourOwn(tls.privateKey(), tls.privateKey(), null));
    }

    private static byte[] pemBody(Path file) throws Exception {
        String text = Files.readString(file).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(text);
    }

    private static void assertOwnerOnly(Path file) throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
    }
}
