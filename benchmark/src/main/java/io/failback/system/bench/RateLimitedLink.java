package io.failback.system.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP link on 127.0.0.1 that forwards to one address at no more than a given rate in each direction, shared by all
 * its connections, as a WAN link between the sites would be: the benchmark puts it between sync-service and a host
 * (the host advertises the link's address instead of its own). Plain threads and blocking sockets: it carries a few
 * connections at a time.
 */
final class RateLimitedLink implements AutoCloseable {
    /** What one read may take and one pace may let through at once: a few milliseconds' worth at 1 Gbit/s. */
    private static final int CHUNK = 64 * 1024;
    private static final long BURST = 4L * CHUNK;

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final TokenBucket towardsTarget;
    private final TokenBucket fromTarget;
    private final List<Socket> sockets = new ArrayList<>();
    private final AtomicLong bytesTowardsTarget = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    private RateLimitedLink(ServerSocket server, InetSocketAddress target, double bytesPerSecond) {
        this.server = server;
        this.target = target;
        long now = System.nanoTime();
        this.towardsTarget = new TokenBucket(bytesPerSecond, BURST, now);
        this.fromTarget = new TokenBucket(bytesPerSecond, BURST, now);
        this.acceptor = new Thread(this::accept, "rate-limited-link-accept");
        this.acceptor.setDaemon(true);
    }

    /** Listens on a free port of 127.0.0.1 and forwards to {@code target}'s host and port at {@code bitsPerSecond}. */
    static RateLimitedLink start(URI target, double bitsPerSecond) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        RateLimitedLink link = new RateLimitedLink(server, new InetSocketAddress(target.getHost(), target.getPort()), bitsPerSecond / 8);
        link.acceptor.start();
        return link;
    }

    /** The URL a client uses instead of the target's. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 5000);
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                pipe(client, upstream, towardsTarget, bytesTowardsTarget, "link-to-target");
                pipe(upstream, client, fromTarget, new AtomicLong(), "link-from-target");
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("[bench] the rate-limited link stopped accepting: " + e.getMessage());
                }
                return;
            }
        }
    }

    /** Copies one direction, pacing each chunk; when either side ends, both sockets close. */
    private void pipe(Socket from, Socket to, TokenBucket bucket, AtomicLong carried, String name) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[CHUNK];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    long wait = bucket.take(n, System.nanoTime());
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    out.write(buffer, 0, n);
                    carried.addAndGet(n);
                }
            } catch (IOException e) {
                // the other direction or close() ended the connection
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                synchronized (sockets) {
                    sockets.remove(from);
                    sockets.remove(to);
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Bytes the link has carried towards its target so far: proof that the traffic took it. */
    long bytesTowardsTarget() {
        return bytesTowardsTarget.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        synchronized (sockets) {
            sockets.forEach(RateLimitedLink::closeQuietly);
            sockets.clear();
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
