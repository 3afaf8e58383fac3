package io.failback.sitedisk.blockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The response body a worker produces chunk by chunk, against a reader that stops reading. */
class ChunkedSenderTest {
    private static final int CHUNKS = 4000;
    private static final int CHUNK_BYTES = 16 << 10;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aReaderThatStopsReadingHoldsAFewChunksNotAWriteQueueFullOfSmallOnes() throws Exception {
        AtomicInteger produced = new AtomicInteger();
        AtomicInteger written = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        HttpServer server = vertx.createHttpServer().requestHandler(request -> ChunkedSender.send(vertx, request.response(),
                "application/octet-stream", () -> {
                    if (produced.get() == CHUNKS) {
                        return null;
                    }
                    produced.incrementAndGet();
                    mostHeld.accumulateAndGet(produced.get() - written.get(), Math::max);
                    // Small on the wire, as a batch of scattered pages is; its memory is what must stay bounded.
                    return new ChunkedSender.Chunk(ChunkedSender.wrap(ByteBuffer.allocate(CHUNK_BYTES)), written::incrementAndGet);
                })).listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        HttpClientResponse response = vertx.createHttpClient()
                .request(new RequestOptions().setMethod(HttpMethod.GET).setPort(server.actualPort()).setHost("127.0.0.1").setURI("/"))
                // Paused as the head arrives, before any chunk can be read with nobody listening (vert.x#5904).
                .compose(request -> request.send().map(HttpClientResponse::pause))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // Let the sender run until the socket's buffers are full and it has to wait.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int before;
        do {
            before = produced.get();
            Thread.sleep(300);
        } while (produced.get() != before && System.nanoTime() < until);

        assertTrue(produced.get() < CHUNKS, "the socket took everything (" + produced.get() + " chunks): make the body larger");
        assertTrue(mostHeld.get() <= ChunkedSender.MAX_CHUNKS_IN_FLIGHT + 1, "at most " + (ChunkedSender.MAX_CHUNKS_IN_FLIGHT + 1)
                + " chunks produced and not yet written, not " + mostHeld.get());

        AtomicInteger received = new AtomicInteger();
        response.handler(chunk -> received.addAndGet(chunk.length()));
        response.resume();
        response.end().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(CHUNKS * CHUNK_BYTES, received.get(), "every chunk arrived once the reader read again");
        assertEquals(CHUNKS, written.get());
    }
}
