package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.contracts.messaging.KafkaPrincipals;
import io.failback.system.security.LocalCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The principal mapping a certificate-authenticating broker applies ({@link KafkaPrincipals#SSL_PRINCIPAL_MAPPING_RULES}),
 * run by Kafka's own mapper on the subjects the local CA, the hosts CA and cert-manager write.
 */
class KafkaPrincipalMappingTest {
    private static final SslPrincipalMapper MAPPER = SslPrincipalMapper.fromRules(KafkaPrincipals.SSL_PRINCIPAL_MAPPING_RULES);

    @TempDir
    Path dir;

    @Test
    void aServiceIdentityFromTheLocalCaIsItsCommonName() throws IOException, CertificateException {
        for (String service : new String[] {"sync-service", KafkaBroker.NAME}) {
            X509Certificate certificate;
            try (InputStream pem = Files.newInputStream(LocalCertificates.service(dir, service).certificate())) {
                certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem);
            }
            String subject = certificate.getSubjectX500Principal().getName();
            assertEquals(service, MAPPER.getName(subject), subject);
        }
    }

    @Test
    void everyHostIsTheHostAgentPrincipalWhateverItsProviderId() throws IOException {
        assertEquals(KafkaAccess.HOST_AGENT, MAPPER.getName("CN=host-a,OU=hosts,O=Failback"));
        assertEquals(KafkaAccess.HOST_AGENT, MAPPER.getName("CN=job-service,OU=hosts,O=Failback"),
                "a host registered under a service's name is still a host");
    }

    @Test
    void aSubjectOutsideFailbackIsNoPrincipalAtAll() {
        for (String subject : new String[] {"CN=job-service,O=Other", "CN=job-service", "CN=a,OU=hosts,O=Failback,C=US",
                "O=Failback,CN=job-service"}) {
            assertThrows(IOException.class, () -> MAPPER.getName(subject), subject + " must be refused, not named");
        }
    }
}
