package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The link carries every byte both ways, unchanged, over real sockets (how fast is the benchmark's to say). */
class RateLimitedLinkTest {

    @Test
    void bytesCrossTheLinkBothWaysUnchanged() throws Exception {
        byte[] request = new byte[300_000];
        new Random(2).nextBytes(request);
        try (ServerSocket target = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             RateLimitedLink link = RateLimitedLink.start(URI.create("http://127.0.0.1:" + target.getLocalPort()), 800e6)) {
            // The target answers each byte with its complement, then closes.
            CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
                try (Socket peer = target.accept(); InputStream in = peer.getInputStream(); OutputStream out = peer.getOutputStream()) {
                    byte[] received = in.readNBytes(request.length);
                    for (int i = 0; i < received.length; i++) {
                        received[i] = (byte) ~received[i];
                    }
                    out.write(received);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] response;
            try (Socket client = new Socket(link.url().getHost(), link.url().getPort())) {
                client.getOutputStream().write(request);
                response = client.getInputStream().readAllBytes();
            }
            answered.join();
            byte[] expected = request.clone();
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (byte) ~expected[i];
            }
            assertArrayEquals(expected, response);
            assertEquals(request.length, link.bytesTowardsTarget(), "every byte towards the target is counted");
        }
    }
}
