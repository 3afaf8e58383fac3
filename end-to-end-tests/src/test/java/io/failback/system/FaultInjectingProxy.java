package io.failback.system;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy in front of one site, to put faults on the link between sync-service and that site: {@link #resetAll()}
 * cuts every open connection with a TCP reset (as a dropped link or a rebooted middlebox does), {@link #stall} stops
 * moving bytes for a while without closing anything, and {@link #slowLink} paces what it forwards (both directions
 * together) to a rate, so that a small disk takes long enough to copy to be hit in the middle.
 * <p>
 * It listens before the system starts, so its URL can be given to the services, and learns where to forward once the
 * site's port is known ({@link #forwardTo}); a connection made before that is closed at once. Plain blocking sockets,
 * two daemon threads a connection: the services hold a handful of connections to a site at a time.
 */
final class FaultInjectingProxy implements AutoCloseable {
    private static final int CHUNK_BYTES = 16 * 1024;

    private final String name;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesForwarded = new AtomicLong();
    private volatile InetSocketAddress target;
    private volatile long stalledUntilNanos = System.nanoTime();
    /** Bytes a second; 0: as fast as the sockets go. */
    private volatile long bytesPerSecond;
    /** When the paced link is free to send again. */
    private long linkFreeAtNanos = System.nanoTime();

    private FaultInjectingProxy(String name) throws IOException {
        this.name = name;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptConnections, "proxy-" + name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listening on a free loopback port; forwarding nowhere yet. */
    static FaultInjectingProxy listening(String name) {
        try {
            return new FaultInjectingProxy(name);
        } catch (IOException e) {
            throw new UncheckedIOException("proxy " + name + " cannot listen", e);
        }
    }

    /** The URL to give a client instead of the site's. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** From now on connections go to {@code site}'s host and port. */
    void forwardTo(URI site) {
        target = new InetSocketAddress(site.getHost(), site.getPort());
    }

    /** Resets every connection open now: an RST to both ends. */
    void resetAll() {
        open.forEach(FaultInjectingProxy::resetQuietly);
    }

    /** No byte moves in either direction for {@code duration}; the connections stay open. */
    void stall(Duration duration) {
        stalledUntilNanos = System.nanoTime() + duration.toNanos();
    }

    /** Forwards at most {@code bytesPerSecond}, both directions together. */
    void slowLink(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    void fullSpeed() {
        this.bytesPerSecond = 0;
    }

    /** Every byte moved so far, both directions. */
    long bytesForwarded() {
        return bytesForwarded.get();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        resetAll();
    }

    @Override
    public String toString() {
        return "proxy " + name + " " + url() + " -> " + target;
    }

    private void acceptConnections() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            InetSocketAddress site = target;
            if (site == null) {
                closeQuietly(client);
                continue;
            }
            Thread connect = new Thread(() -> connect(client, site), "proxy-" + name + "-connect");
            connect.setDaemon(true);
            connect.start();
        }
    }

    private void connect(Socket client, InetSocketAddress site) {
        Socket upstream = new Socket();
        try {
            upstream.connect(site, 5000);
        } catch (IOException siteDown) {
            // The site is not there (killed): the client sees its connection closed, as it would see it refused.
            closeQuietly(upstream);
            closeQuietly(client);
            return;
        }
        open.add(client);
        open.add(upstream);
        pump(client, upstream, "up");
        pump(upstream, client, "down");
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread thread = new Thread(() -> {
            byte[] chunk = new byte[CHUNK_BYTES];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                    awaitLink(n);
                    out.write(chunk, 0, n);
                    out.flush();
                    bytesForwarded.addAndGet(n);
                }
                // One side closed: HTTP has nothing more to say on this connection in either direction.
                closeQuietly(from);
                closeQuietly(to);
            } catch (IOException | RuntimeException cutOrClosed) {
                // One side went away or was reset: the other goes with it.
                resetQuietly(from);
                resetQuietly(to);
            } finally {
                open.remove(from);
                open.remove(to);
            }
        }, "proxy-" + name + "-" + direction);
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits while the link is stalled, then for the paced link to have room for {@code bytes}. */
    private void awaitLink(int bytes) {
        for (long now = System.nanoTime(); now < stalledUntilNanos; now = System.nanoTime()) {
            LockSupport.parkNanos(Math.min(stalledUntilNanos - now, 50_000_000L));
        }
        long rate = bytesPerSecond;
        if (rate <= 0) {
            return;
        }
        long sendAt;
        synchronized (this) {
            long now = System.nanoTime();
            sendAt = Math.max(now, linkFreeAtNanos);
            linkFreeAtNanos = sendAt + bytes * 1_000_000_000L / rate;
        }
        for (long now = System.nanoTime(); now < sendAt; now = System.nanoTime()) {
            LockSupport.parkNanos(sendAt - now);
        }
    }

    private static void resetQuietly(Socket socket) {
        try {
            if (!socket.isClosed()) {
                socket.setSoLinger(true, 0);
            }
        } catch (SocketException ignored) {
            // closing anyway
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
