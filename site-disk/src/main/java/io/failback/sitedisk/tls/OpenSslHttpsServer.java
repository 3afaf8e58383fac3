package io.failback.sitedisk.tls;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * A site's HTTPS (TLS between services, issue #16) runs on BoringSSL (netty-tcnative) instead of the JDK's TLS engine
 * whenever this platform has it: every block of a failback crosses the site's TLS, and the JDK engine's record
 * processing, not the cipher, roughly doubled the copy's CPU (docs/benchmarks.md, "Issue #16: what TLS between
 * services costs"). Where netty-tcnative has no native library the JDK engine serves, as before.
 */
@Singleton
public class OpenSslHttpsServer implements HttpServerOptionsCustomizer {
    private static final Logger LOG = Logger.getLogger(OpenSslHttpsServer.class);

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        if (OpenSSLEngineOptions.isAvailable()) {
            options.setSslEngineOptions(new OpenSSLEngineOptions());
        } else {
            LOG.info("HTTPS runs on the JDK's TLS engine: netty-tcnative has no BoringSSL for this platform");
        }
    }
}
