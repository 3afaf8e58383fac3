package io.failback.system.security;

import java.util.Map;
import javax.net.ssl.SSLContext;

/** How a service serves HTTPS only: job-service's API ({@link JobServiceTls}) or a site between services ({@link InternalTls}). */
public interface ServerTls {

    /** The environment that makes the service serve HTTPS only on {@code httpsPort}; file paths, never key material. */
    Map<String, String> quarkusEnvironment(int httpsPort);

    /** What a client without a certificate of its own (a readiness probe) trusts for the server. */
    SSLContext clientContext();
}
