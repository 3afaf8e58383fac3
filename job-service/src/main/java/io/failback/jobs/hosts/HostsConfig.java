package io.failback.jobs.hosts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** How hosts register: the hosts CA's files and how long a registration key is good for. */
@ConfigMapping(prefix = "failback.hosts")
public interface HostsConfig {
    /** The hosts CA's certificate (PEM); without it and {@link #caKeyFile()} no host can register. */
    Optional<Path> caCertificateFile();

    /** The hosts CA's private key (PEM, unencrypted PKCS#8 or traditional), readable by job-service only. */
    Optional<Path> caKeyFile();

    /** A registration key is good for this long after it is made; Site Recovery's vault keys last 5 days. */
    @WithDefault("P5D")
    Duration registrationKeyLifetime();
}
