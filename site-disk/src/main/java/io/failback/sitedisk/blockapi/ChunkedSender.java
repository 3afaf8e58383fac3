package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;

/**
 * Writes a response body produced chunk by chunk on worker threads: the next chunk is produced only when the
 * response can take more (back-pressure), one at a time and in order, so a body of any size costs one chunk of
 * memory. A failure after the head was sent ends the body with the stream's ERROR frame.
 */
final class ChunkedSender {
    /** Produces the next chunk, or null at the end; blocking; never called concurrently. */
    interface Producer {
        Chunk next();
    }

    /**
     * A part of the body, and what to do once the socket has taken all of it (e.g. hand the memory it references back
     * for reuse); not run if the response fails first.
     */
    record Chunk(Buffer body, Runnable written) {
        /** A chunk that owns its bytes (in read mode): nothing to do once it is written. */
        static Chunk of(ByteBuffer bytes) {
            return new Chunk(wrap(bytes), () -> { });
        }
    }

    static final int WRITE_QUEUE_BYTES = 4 << 20;

    private final Vertx vertx;
    private final HttpServerResponse response;
    private final Producer producer;
    private final Promise<Void> done = Promise.promise();

    private ChunkedSender(Vertx vertx, HttpServerResponse response, Producer producer) {
        this.vertx = vertx;
        this.response = response;
        this.producer = producer;
    }

    static Future<Void> send(Vertx vertx, HttpServerResponse response, String contentType, Producer producer) {
        ChunkedSender sender = new ChunkedSender(vertx, response, producer);
        // Room for a few chunks, so the next one is read from disk while the last one is still going out.
        response.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
        response.setChunked(true).putHeader("Content-Type", contentType);
        response.closeHandler(v -> sender.done.tryFail("the receiver closed the connection"));
        sender.step();
        return sender.done.future();
    }

    private void step() {
        if (done.future().isComplete()) {
            return;
        }
        Callable<Chunk> next = producer::next;
        vertx.executeBlocking(next, true).onComplete(result -> {
            if (result.failed()) {
                response.end(wrap(BlockStreamEncoder.error(0, String.valueOf(result.cause().getMessage()))));
                done.tryFail(result.cause());
                return;
            }
            if (result.result() == null) {
                response.end().onComplete(v -> done.tryComplete());
                return;
            }
            Chunk chunk = result.result();
            response.write(chunk.body()).onSuccess(v -> chunk.written().run());
            if (response.writeQueueFull()) {
                // One-shot: a handler left in place would fire again at a later drain and start a second loop.
                response.drainHandler(v -> {
                    response.drainHandler(null);
                    step();
                });
            } else {
                step();
            }
        });
    }

    /** Hands a buffer in read mode to Vert.x without copying it. */
    static Buffer wrap(ByteBuffer bytes) {
        return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
    }
}
