package io.failback.sync.sites;

import io.failback.contracts.tls.PinnedPeer;
import io.failback.sync.SyncConfig;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How sync-service reaches the sites. Without TLS between services, one plain client for all, as before. With it
 * (failback.internal-tls.enabled), every call is HTTPS presenting this service's certificate, and each site is trusted
 * as exactly who the call is for ({@link PinnedPeer}): azure-sim by the internal CA and its CN, a host by the hosts CA
 * and the provider id of the command, whatever address its heartbeat advertised. One client per peer, made on first
 * use and kept: its SSL context, and its pooled connections, serve every later call.
 */
public final class SiteConnections implements AutoCloseable {
    private final Vertx vertx;
    private final SyncConfig.InternalTls tls;
    private final WebClient plain;
    /** Null without TLS between services. */
    private final WebClient probe;
    private final Map<SitePeer, WebClient> byPeer = new ConcurrentHashMap<>();
    /**
     * The CAs are read once here, at start: a peer's client is made on an event loop when a run first calls it, and must
     * read no file there. Null without TLS between services.
     */
    private final KeyCertOptions identity;
    private final X509ExtendedTrustManager internalCa;
    private final X509ExtendedTrustManager hostsCa;

    public SiteConnections(Vertx vertx, SyncConfig.InternalTls tls) {
        this.vertx = vertx;
        this.tls = tls;
        this.plain = WebClient.create(vertx);
        if (tls.enabled()) {
            require(tls.certificate().isPresent() && tls.key().isPresent() && tls.ca().isPresent() && tls.hostsCa().isPresent(),
                    "FAILBACK_INTERNAL_TLS=true needs FAILBACK_INTERNAL_TLS_CERT, FAILBACK_INTERNAL_TLS_KEY, FAILBACK_INTERNAL_TLS_CA and FAILBACK_HOSTS_CA");
            // Vert.x reads these files when it builds a client's SSL context, off the event loop. (A KeyManagerFactory
            // read here would do too for HTTP, but Vert.x's block-stream client cannot take one: "Unsupported Key type".)
            this.identity = new PemKeyCertOptions().setCertPath(tls.certificate().get()).setKeyPath(tls.key().get());
            this.internalCa = PinnedPeer.trusting(Path.of(tls.ca().get()));
            this.hostsCa = PinnedPeer.trusting(Path.of(tls.hostsCa().get()));
            // Health probes only ask whether a site is back, and read nothing of it: either CA will do, and a host's
            // certificate need not name the address its heartbeat gave.
            this.probe = WebClient.create(vertx, new WebClientOptions().setKeyCertOptions(identity)
                    .setTrustOptions(TrustOptions.wrap(bothCas(vertx, tls)))
                    .setVerifyHost(false));
        } else {
            this.probe = null;
            this.identity = null;
            this.internalCa = null;
            this.hostsCa = null;
        }
    }

    private static javax.net.ssl.TrustManagerFactory bothCas(Vertx vertx, SyncConfig.InternalTls tls) {
        try {
            return new PemTrustOptions().addCertPath(tls.ca().get()).addCertPath(tls.hostsCa().get()).getTrustManagerFactory(vertx.getDelegate());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read FAILBACK_INTERNAL_TLS_CA or FAILBACK_HOSTS_CA: " + e.getMessage(), e);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }

    public boolean internalTls() {
        return tls.enabled();
    }

    /** azure-sim at {@code url}. */
    public SiteClient azure(String url) {
        if (!tls.enabled()) {
            return new SiteClient(plain, url, "azure-sim");
        }
        SitePeer peer = new SitePeer(tls.azureIdentity(), false);
        return new SiteClient(web(peer), PinnedPeer.overHttps(url), "azure-sim", peer);
    }

    /**
     * The host {@code providerId} at the address its heartbeat advertised. With TLS between services the call is HTTPS
     * even to an address advertised as http://, and only a certificate of that provider id is accepted there.
     */
    public SiteClient host(String providerId, String url) {
        String name = "host '" + providerId + "'";
        if (!tls.enabled()) {
            return new SiteClient(plain, url, name);
        }
        SitePeer peer = new SitePeer(providerId, true);
        return new SiteClient(web(peer), PinnedPeer.overHttps(url), name, peer);
    }

    /** The client that asks whether a site that was away answers again ({@code /q/health/started}). */
    public WebClient probe() {
        return probe != null ? probe : plain;
    }

    /** What a block stream's connection to {@code peer} is made with: this service's certificate, trust pinned to it. */
    public NetClientOptions streamOptions(SitePeer peer, NetClientOptions base) {
        NetClientOptions options = new NetClientOptions(base).setSsl(true).setKeyCertOptions(identity)
                .setTrustOptions(TrustOptions.wrap(pinned(peer))).setHostnameVerificationAlgorithm(hostnameVerification(peer));
        // Every block of a copy crosses this TLS twice (from the source, to the target): BoringSSL where the platform has
        // it, since the JDK's TLS engine doubled the copy's CPU; the JDK's elsewhere.
        return OpenSSLEngineOptions.isAvailable() ? options.setSslEngineOptions(new OpenSSLEngineOptions()) : options;
    }

    private WebClient web(SitePeer peer) {
        return byPeer.computeIfAbsent(peer, p -> WebClient.create(vertx, new WebClientOptions()
                .setKeyCertOptions(identity)
                .setTrustOptions(TrustOptions.wrap(pinned(p)))
                .setVerifyHost(!p.host())));
    }

    /**
     * azure-sim's name is checked as HTTPS would; a host's is not: the address came from its own heartbeat, and what
     * matters is that the peer is the provider the command names, which the pin checks.
     */
    private static String hostnameVerification(SitePeer peer) {
        return peer.host() ? "" : "HTTPS";
    }

    private PinnedPeer pinned(SitePeer peer) {
        return PinnedPeer.of(peer.host() ? hostsCa : internalCa, peer.identity());
    }

    @Override
    public void close() {
        plain.close();
        if (probe != null) {
            probe.close();
        }
        byPeer.values().forEach(WebClient::close);
    }
}
