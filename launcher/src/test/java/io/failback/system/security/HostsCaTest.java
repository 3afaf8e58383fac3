package io.failback.system.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosts CA is a CA of its own, made once and kept (the hosts' certificates chain to it), its key owner-only. */
class HostsCaTest {
    @TempDir
    Path dir;

    @Test
    void theHostsCaIsMadeOnceKeptAndApartFromTheLocalCa() throws Exception {
        HostsCa ca = HostsCa.openOrCreate(dir);
        byte[] first = Files.readAllBytes(ca.certificate());
        assertEquals(dir.resolve("hosts-ca.pem").toAbsolutePath(), ca.certificate());
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(ca.privateKey()));
        X509Certificate certificate = PemFiles.readCertificates(ca.certificate()).get(0);
        assertEquals(0, certificate.getBasicConstraints(), "a CA that signs hosts, never another CA");
        assertEquals("EC", certificate.getPublicKey().getAlgorithm());
        certificate.verify(certificate.getPublicKey());
        assertEquals("EC", PemFiles.readPrivateKey(ca.privateKey()).getAlgorithm());

        assertArrayEquals(first, Files.readAllBytes(HostsCa.openOrCreate(dir).certificate()), "kept on the next start");
        LocalCertificates.openOrCreate(dir);
        assertNotEquals(PemFiles.readCertificates(dir.resolve(LocalCertificates.CA_CERTIFICATE)).get(0).getPublicKey(),
                certificate.getPublicKey(), "the services' CA is another");
    }
}
