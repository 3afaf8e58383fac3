package io.failback.sync.blocks;

import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.BlockStreamScanner;
import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.BlockWriteSummary;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;

/**
 * Pipes one block stream from a source site's block API into a target site's, chunk by chunk: when the target
 * cannot take more, the source is paused (back-pressure end to end), so nothing is held beyond a few MiB. On the way
 * through, frame heads are scanned to count how much of the disk the stream has covered; verifying the stream is the
 * target's job, which checks every frame before it writes.
 */
public final class BlockRelay {
    private static final int WRITE_QUEUE_BYTES = 4 << 20;

    private final HttpClient http;

    public BlockRelay(HttpClient http) {
        this.http = http;
    }

    /** Progress of one relay, read by the progress reporter on the same event loop. */
    public static final class Counters {
        volatile long blocksCovered;
        volatile int blockSize;
        volatile Runnable abort = () -> { };

        public long bytesCovered() {
            return blocksCovered * blockSize;
        }

        /** Stops the relay under way (a cancel): both streams are reset and the relay fails. */
        public void abort() {
            abort.run();
        }
    }

    public Future<BlockWriteSummary> relay(String sourceUrl, String targetUrl, Counters counters) {
        return relay(sourceUrl, new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(sourceUrl), null, targetUrl, counters);
    }

    /**
     * Relays the blocks a JSON selection ({@code {"ranges": [[first, count], ...], "pages": [[block, mask], ...]}})
     * asks the source for.
     */
    public Future<BlockWriteSummary> relaySelected(String sourceSelectUrl, BlockSelection selection, String targetUrl, Counters counters) {
        return relay(sourceSelectUrl, new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(sourceSelectUrl)
                .putHeader("Content-Type", "application/json"), Json.encodeToBuffer(selection), targetUrl, counters);
    }

    private Future<BlockWriteSummary> relay(String sourceUrl, RequestOptions sourceRequest, io.vertx.core.buffer.Buffer sourceBody,
            String targetUrl, Counters counters) {
        Promise<BlockWriteSummary> done = Promise.promise();
        BlockStreamScanner scanner = new BlockStreamScanner();

        http.request(sourceRequest)
                .compose(request -> sourceBody == null ? request.send() : request.send(sourceBody))
                .onFailure(e -> done.tryFail(SiteCallException.partAway("SiteUnreachable", "cannot read blocks from " + sourceUrl + ": " + e.getMessage(),
                        sourceUrl)))
                .onSuccess(source -> {
                    if (source.statusCode() != 200) {
                        source.body().onComplete(body -> done.tryFail(SiteClient.failureOf("the source", sourceUrl, source.statusCode(),
                                body.succeeded() ? body.result().toString() : "")));
                        return;
                    }
                    source.pause();
                    http.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(targetUrl)
                            .putHeader("Content-Type", BlockStreamFormat.MEDIA_TYPE))
                            .onFailure(e -> {
                                // Failed first, each time below: resetting the source fails its stream at once, which
                                // must not be reported as the cause.
                                done.tryFail(SiteCallException.partAway("SiteUnreachable", "cannot write blocks to " + targetUrl + ": " + e.getMessage(),
                                        targetUrl));
                                source.request().reset();
                            })
                            .onSuccess(target -> pipe(source, sourceUrl, target, targetUrl, scanner, counters, done));
                });
        return done.future();
    }

    private static void pipe(HttpClientResponse source, String sourceUrl, HttpClientRequest target, String targetUrl,
            BlockStreamScanner scanner, Counters counters, Promise<BlockWriteSummary> done) {
        counters.abort = () -> {
            // Failed first: resetting the streams fails them at once, which must not be reported as the cause.
            done.tryFail(new SiteCallException("Cancelled", "the block stream was stopped: the job was cancelled"));
            source.request().reset();
            target.reset();
        };
        target.setChunked(true);
        // Room for a few MiB in flight: pausing the source for every network-sized chunk costs more than the copy.
        target.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
        target.response().onComplete(answer -> {
            if (answer.failed()) {
                done.tryFail(SiteCallException.partAway("BlockStreamInterrupted", "the target's answer was lost: "
                        + answer.cause().getMessage(), targetUrl));
                source.request().reset();
                return;
            }
            HttpClientResponse response = answer.result();
            response.body().onComplete(body -> {
                String text = body.succeeded() ? body.result().toString() : "";
                if (response.statusCode() == 200) {
                    try {
                        done.tryComplete(Json.decodeValue(text, BlockWriteSummary.class));
                    } catch (RuntimeException unreadable) {
                        done.tryFail(new SiteCallException("SiteCallFailed", "the target answered an unreadable write summary: "
                                + unreadable.getMessage()));
                    }
                } else {
                    // The target refused or failed the stream early: stop reading the source.
                    done.tryFail(SiteClient.failureOf("the target", targetUrl, response.statusCode(), text));
                    source.request().reset();
                }
            });
        });
        source.handler(chunk -> {
            scanner.scan(chunk.getByteBuf().nioBuffer());
            counters.blockSize = scanner.blockSize();
            counters.blocksCovered = scanner.blocksCovered();
            target.write(chunk);
            if (target.writeQueueFull()) {
                source.pause();
                target.drainHandler(v -> source.resume());
            }
        });
        source.exceptionHandler(e -> {
            // Failed first: resetting the target fails its answer at once, which must not be reported as the cause.
            done.tryFail(SiteCallException.partAway("BlockStreamInterrupted", "reading the source failed: " + e.getMessage(), sourceUrl));
            target.reset();
        });
        source.endHandler(v -> target.end());
        source.resume();
    }
}
