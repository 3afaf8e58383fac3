package io.failback.jobs.service;

import io.failback.contracts.tls.PinnedPeer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The clients job-service reads the sites with. Without TLS between services, one plain client. With it, HTTPS with
 * job-service's certificate, azure-sim trusted by the internal CA and its CN, each host by the hosts CA and its provider
 * id (a heartbeat's address cannot make job-service read another host's VMs as this one's). One client per site,
 * made on first use and kept.
 */
@ApplicationScoped
public class SiteWebClients {
    private final Vertx vertx;
    private final JobServiceConfig.InternalTls tls;
    private final WebClient plain;
    private final Map<String, WebClient> hosts = new ConcurrentHashMap<>();
    /** Null without TLS between services. */
    private final WebClient azure;
    /**
     * The hosts CA is read once here, at start: a host's client is made on an event loop when a request first needs that
     * host, and must read no file there. Null without TLS between services.
     */
    private final KeyCertOptions identity;
    private final X509ExtendedTrustManager hostsCa;

    public SiteWebClients(Vertx vertx, JobServiceConfig config) {
        this.vertx = vertx;
        this.tls = config.internalTls();
        this.plain = WebClient.create(vertx);
        if (tls.enabled()) {
            if (tls.certificate().isEmpty() || tls.key().isEmpty() || tls.ca().isEmpty() || tls.hostsCa().isEmpty()) {
                throw new IllegalStateException("FAILBACK_INTERNAL_TLS=true needs FAILBACK_INTERNAL_TLS_CERT, FAILBACK_INTERNAL_TLS_KEY, "
                        + "FAILBACK_INTERNAL_TLS_CA and FAILBACK_HOSTS_CA");
            }
            // Vert.x reads these files when it builds a client's SSL context, off the event loop.
            this.identity = new PemKeyCertOptions().setCertPath(tls.certificate().get()).setKeyPath(tls.key().get());
            this.hostsCa = PinnedPeer.trusting(Path.of(tls.hostsCa().get()));
            this.azure = pinned(PinnedPeer.trusting(Path.of(tls.ca().get())), tls.azureIdentity(), true);
        } else {
            this.azure = null;
            this.identity = null;
            this.hostsCa = null;
        }
    }

    /** The client for azure-sim. */
    public WebClient azure() {
        return azure != null ? azure : plain;
    }

    /** The client for the host {@code providerId}. */
    public WebClient host(String providerId) {
        if (!tls.enabled()) {
            return plain;
        }
        // A host's address came from its own heartbeat: the pin to its provider id, not its name, says who it is.
        return hosts.computeIfAbsent(providerId, id -> pinned(hostsCa, id, false));
    }

    /** A site's base URL as it is called: with TLS between services always https, whatever a heartbeat advertised. */
    public String siteUrl(String baseUrl) {
        return tls.enabled() ? PinnedPeer.overHttps(baseUrl) : baseUrl;
    }

    private WebClient pinned(X509ExtendedTrustManager ca, String peer, boolean verifyHostName) {
        return WebClient.create(vertx, new WebClientOptions()
                .setKeyCertOptions(identity)
                .setTrustOptions(TrustOptions.wrap(PinnedPeer.of(ca, peer)))
                .setVerifyHost(verifyHostName));
    }

    @PreDestroy
    void close() {
        plain.close();
        if (azure != null) {
            azure.close();
        }
        hosts.values().forEach(WebClient::close);
    }
}
