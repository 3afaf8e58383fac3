package io.failback.system.security;

import java.nio.file.Path;

/**
 * A service's identity for TLS between services: its certificate (PEM, {@code CN=<service>}) and private key, and the CA
 * it and its peers' certificates chain to. The values are paths: key material is handed to a service as a file, never
 * on a command line or in an environment variable.
 *
 * @param service     the name in the certificate's subject, which the services it calls authorize
 * @param certificate the certificate, PEM
 * @param privateKey  its private key, PEM (PKCS#8, unencrypted, mode 600)
 * @param ca          the CA certificate, PEM, that the service trusts for its peers
 */
public record ServiceIdentity(String service, Path certificate, Path privateKey, Path ca) {

    public ServiceIdentity {
        certificate = certificate.toAbsolutePath().normalize();
        privateKey = privateKey.toAbsolutePath().normalize();
        ca = ca.toAbsolutePath().normalize();
    }
}
