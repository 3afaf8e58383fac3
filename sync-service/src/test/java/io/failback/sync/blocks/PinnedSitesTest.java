package io.failback.sync.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.sync.SyncConfig;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteConnections;
import io.failback.sync.sites.SitePeer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.net.impl.NetSocketInternal;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pin of TLS between services on sync-service's own clients: a host is reached, by the management calls and by
 * the block streams alike, only when its certificate names the provider the call is for; an address advertised as
 * http:// is still called over TLS.
 */
class PinnedSitesTest {
    private Vertx vertx;
    private HttpServer hostA;
    private SiteConnections sites;
    private SiteStreams streams;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        // A self-signed certificate is its own CA: the hosts CA here is host-a's certificate.
        SelfSignedCertificate hostCertificate = SelfSignedCertificate.create("host-a");
        SelfSignedCertificate ownCertificate = SelfSignedCertificate.create("sync-service");
        hostA = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(hostCertificate.keyCertOptions()))
                .requestHandler(request -> request.response().putHeader("Content-Type", "application/json").end("{\"name\": \"vm\"}"))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        SyncConfig.InternalTls tls = new SyncConfig.InternalTls() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public Optional<String> certificate() {
                return Optional.of(ownCertificate.certificatePath());
            }

            @Override
            public Optional<String> key() {
                return Optional.of(ownCertificate.privateKeyPath());
            }

            @Override
            public Optional<String> ca() {
                return Optional.of(ownCertificate.certificatePath());
            }

            @Override
            public Optional<String> hostsCa() {
                return Optional.of(hostCertificate.certificatePath());
            }

            @Override
            public String azureIdentity() {
                return "azure-sim";
            }
        };
        sites = new SiteConnections(io.vertx.mutiny.core.Vertx.newInstance(vertx), tls);
        streams = new SiteStreams(vertx, sites);
    }

    @AfterEach
    void stop() throws Exception {
        streams.close();
        sites.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void managementCallsReachAHostOnlyAsTheProviderItsCertificateNames() {
        String advertised = "http://127.0.0.1:" + hostA.actualPort();
        assertEquals("vm", sites.host("host-a", advertised).get("/api/vms/vm", Map.class).await().atMost(Duration.ofSeconds(10)).get("name"),
                "host-a at an address advertised as http:// is called over TLS and answers");
        SiteCallException refused = assertThrows(SiteCallException.class,
                () -> sites.host("host-b", advertised).get("/api/vms/vm", Map.class).await().atMost(Duration.ofSeconds(10)));
        assertEquals("SiteUnreachable", refused.code(), refused.getMessage());
    }

    @Test
    void blockStreamsReachAHostOnlyAsTheProviderItsCertificateNames() throws Exception {
        URI url = URI.create("https://127.0.0.1:" + hostA.actualPort() + "/api/vms/vm/disks/d/blocks");
        NetSocketInternal socket = streams.connect(url, new SitePeer("host-a", true)).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        socket.close();
        ExecutionException refused = assertThrows(ExecutionException.class, () -> streams.connect(url, new SitePeer("host-b", true))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertTrue(String.valueOf(refused.getCause()).contains("host-a") || refused.getCause() instanceof javax.net.ssl.SSLException,
                "the handshake refuses host-a's certificate for host-b: " + refused.getCause());
        assertThrows(ExecutionException.class, () -> streams.connect(URI.create("http://127.0.0.1:" + hostA.actualPort()),
                new SitePeer("host-a", true)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS),
                "a pinned stream is never plain");
    }
}
