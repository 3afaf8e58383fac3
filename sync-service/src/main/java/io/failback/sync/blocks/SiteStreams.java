package io.failback.sync.blocks;

import io.netty.handler.codec.http.HttpClientCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.impl.NetSocketInternal;
import io.failback.sync.sites.SiteConnections;
import io.failback.sync.sites.SitePeer;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connections block streams travel on: one HTTP/1.1 exchange per connection, spoken through Netty's HTTP codec
 * on a Vert.x socket, so that the relay receives the body as the pooled buffers the socket filled and hands the same
 * buffers to the other site's socket.
 * <p>
 * Vert.x 4's HTTP client copies every piece of a response body from those buffers into a new heap buffer before the
 * application sees it, and Netty copies it back into direct memory to send it: two copies of every relayed byte, about
 * a third of the relay's CPU. A socket whose messages the application takes itself ({@link NetSocketInternal}, the
 * interface Vert.x's own database clients are built on) gets them as they are.
 */
public final class SiteStreams implements AutoCloseable {
    /**
     * The largest piece of a body the HTTP decoder hands on at once: the relay forwards whatever one socket read
     * brought, rather than Netty's 8 KiB default pieces (a piece per 8 KiB cost about a third more CPU per GB).
     */
    private static final int MAX_PIECE_BYTES = 256 << 10;
    private static final int MAX_HEADER_BYTES = 16 << 10;

    private final Vertx vertx;
    private final NetClientOptions options;
    private final NetClient plain;
    private final NetClient tls;
    /** Null without TLS between services. */
    private final SiteConnections connections;
    /**
     * With TLS between services, one client per site peer: its SSL context (certificate, trust pinned to the peer) is
     * made once and serves every stream to that peer.
     */
    private final Map<SitePeer, NetClient> byPeer = new ConcurrentHashMap<>();

    public SiteStreams(Vertx vertx) {
        this(vertx, null);
    }

    public SiteStreams(Vertx vertx, SiteConnections connections) {
        this.vertx = vertx;
        this.connections = connections;
        // Block streams are long-lived: no timeout for the exchange, but a stalled connection is dropped after a minute.
        options = new NetClientOptions().setIdleTimeout(60).setTcpNoDelay(true).setConnectTimeout(30_000);
        this.plain = vertx.createNetClient(options);
        this.tls = vertx.createNetClient(new NetClientOptions(options).setSsl(true).setHostnameVerificationAlgorithm("HTTPS"));
    }

    /**
     * Opens a connection to the site of {@code url} (http or https) that speaks HTTP/1.1 messages: requests are
     * written with {@link NetSocketInternal#writeMessage}, and the response arrives at its
     * {@link NetSocketInternal#messageHandler} as Netty's {@code HttpResponse} and {@code HttpContent}s, which the
     * handler must release.
     */
    Future<NetSocketInternal> connect(URI url, SitePeer peer) {
        boolean secure = "https".equalsIgnoreCase(url.getScheme());
        if (peer != null && (!secure || connections == null)) {
            // A pinned site is reached over TLS only; SiteConnections made its URLs https.
            return Future.failedFuture(new IllegalStateException("a block stream to " + peer.identity() + " must be https, not " + url));
        }
        int port = url.getPort() > 0 ? url.getPort() : secure ? 443 : 80;
        NetClient client = peer != null ? byPeer.computeIfAbsent(peer, p -> vertx.createNetClient(connections.streamOptions(p, options)))
                : secure ? tls : plain;
        return client.connect(port, url.getHost(), url.getHost()).map(socket -> {
            NetSocketInternal http = (NetSocketInternal) socket;
            http.channelHandlerContext().pipeline().addBefore("handler", "http-codec",
                    new HttpClientCodec(4096, MAX_HEADER_BYTES, MAX_PIECE_BYTES));
            return http;
        });
    }

    /** What a request's Host header says for {@code url}. */
    static String hostHeader(URI url) {
        return url.getPort() > 0 ? url.getHost() + ":" + url.getPort() : url.getHost();
    }

    /** The request target of {@code url}: its path and query. */
    static String requestTarget(URI url) {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }

    @Override
    public void close() {
        plain.close();
        tls.close();
        byPeer.values().forEach(NetClient::close);
    }
}
