package io.failback.sync.blocks;

import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.Compression;
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
 * <p>
 * It asks the source for block stream version 2 (4 KiB pages; LZ4-compressed frames when compression is on) and
 * posts the stream to the target with the Content-Type the source answered, never decoding or recompressing it. A
 * source that only speaks version 1 answers version 1, which every target reads. A target that only reads version 1
 * refuses a version 2 stream at its header (422, "block stream version 2 is not supported", before writing
 * anything): the relay then asks the source once more, for version 1 (docs/contracts.md, negotiation).
 */
public final class BlockRelay {
    private static final int WRITE_QUEUE_BYTES = 4 << 20;

    /** What the relay asks sources for: version 2 first, version 1 when the source knows no better. */
    static final String ACCEPT = BlockStreamFormat.MEDIA_TYPE_V2 + ", " + BlockStreamFormat.MEDIA_TYPE;

    private final HttpClient http;
    /** The codec sources are asked to compress frames with (setting {@code failback.compression}); null: none. */
    private final Compression compression;

    public BlockRelay(HttpClient http, Compression compression) {
        this.http = http;
        this.compression = compression;
    }

    /**
     * Reads the setting {@code failback.compression} ({@code FAILBACK_SYNC_COMPRESSION}): {@code zstd} or {@code lz4}
     * asks sources for frames compressed with that codec, {@code off} (null) for none.
     */
    public static Compression compressionSetting(String value) {
        String setting = value == null ? "" : value.trim();
        if (setting.equalsIgnoreCase("off")) {
            return null;
        }
        Compression codec = setting.isEmpty() || setting.contains(",") ? null : Compression.named(setting);
        if (codec == null) {
            throw new IllegalArgumentException("failback.compression (FAILBACK_SYNC_COMPRESSION) must be 'zstd', 'lz4' or 'off', not '"
                    + value + "'");
        }
        return codec;
    }

    /** The target refused a version 2 stream at its header: the relay asks the source again, for version 1. */
    private static final class Version2Refused extends RuntimeException {
        Version2Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Progress of one relay, read by the progress reporter on the same event loop. */
    public static final class Counters {
        volatile long bytesCovered;
        volatile Runnable abort = () -> { };

        /** Block content delivered so far: whole blocks, zero runs and, of partly sent blocks, their pages. */
        public long bytesCovered() {
            return bytesCovered;
        }

        /** Stops the relay under way (a cancel): both streams are reset and the relay fails. */
        public void abort() {
            abort.run();
        }
    }

    public Future<BlockWriteSummary> relay(String sourceUrl, String targetUrl, Counters counters) {
        return relay(sourceUrl, HttpMethod.GET, null, targetUrl, counters);
    }

    /**
     * Relays the blocks a JSON selection ({@code {"ranges": [[first, count], ...], "pages": [[block, mask], ...]}})
     * asks the source for.
     */
    public Future<BlockWriteSummary> relaySelected(String sourceSelectUrl, BlockSelection selection, String targetUrl, Counters counters) {
        return relay(sourceSelectUrl, HttpMethod.POST, Json.encodeToBuffer(selection), targetUrl, counters);
    }

    private Future<BlockWriteSummary> relay(String sourceUrl, HttpMethod method, io.vertx.core.buffer.Buffer sourceBody,
            String targetUrl, Counters counters) {
        return attempt(sourceUrl, method, sourceBody, targetUrl, counters, true)
                .recover(failure -> {
                    if (!(failure instanceof Version2Refused)) {
                        return Future.failedFuture(failure);
                    }
                    // On the next turn of the event loop, once the refused streams are closed.
                    Promise<Void> nextTurn = Promise.promise();
                    io.vertx.core.Vertx.currentContext().runOnContext(v -> nextTurn.complete());
                    return nextTurn.future().compose(v -> attempt(sourceUrl, method, sourceBody, targetUrl, counters, false));
                });
    }

    /** One relay of the stream, asking the source for version 2 (and compression, when on) or for version 1 only. */
    private Future<BlockWriteSummary> attempt(String sourceUrl, HttpMethod method, io.vertx.core.buffer.Buffer sourceBody,
            String targetUrl, Counters counters, boolean version2) {
        RequestOptions sourceRequest = new RequestOptions().setMethod(method).setAbsoluteURI(sourceUrl)
                .putHeader("Accept", version2 ? ACCEPT : BlockStreamFormat.MEDIA_TYPE);
        if (sourceBody != null) {
            sourceRequest.putHeader("Content-Type", "application/json");
        }
        if (version2 && compression != null) {
            sourceRequest.putHeader(BlockStreamFormat.COMPRESSION_HEADER, compression.headerValue());
        }
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
                    // The header's version field is what the target trusts; the Content-Type tells it up front.
                    String contentType = source.getHeader("Content-Type");
                    boolean sentVersion2 = contentType != null && contentType.contains(BlockStreamFormat.MEDIA_TYPE_V2);
                    http.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(targetUrl)
                            .putHeader("Content-Type", sentVersion2 ? BlockStreamFormat.MEDIA_TYPE_V2 : BlockStreamFormat.MEDIA_TYPE))
                            .onFailure(e -> {
                                // Failed first, each time below: resetting the source fails its stream at once, which
                                // must not be reported as the cause.
                                done.tryFail(SiteCallException.partAway("SiteUnreachable", "cannot write blocks to " + targetUrl + ": " + e.getMessage(),
                                        targetUrl));
                                source.request().reset();
                            })
                            .onSuccess(target -> pipe(source, sourceUrl, target, targetUrl, sentVersion2, scanner, counters, done));
                });
        return done.future();
    }

    private static void pipe(HttpClientResponse source, String sourceUrl, HttpClientRequest target, String targetUrl,
            boolean version2, BlockStreamScanner scanner, Counters counters, Promise<BlockWriteSummary> done) {
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
                } else if (version2 && response.statusCode() == 422 && text.contains("version 2 is not supported")) {
                    done.tryFail(new Version2Refused(text));
                    source.request().reset();
                    // The target answered before it read the body: its connection must not carry the next request.
                    target.reset();
                } else {
                    // The target refused or failed the stream early: stop reading the source.
                    done.tryFail(SiteClient.failureOf("the target", targetUrl, response.statusCode(), text));
                    source.request().reset();
                }
            });
        });
        source.handler(chunk -> {
            scanner.scan(chunk.getByteBuf().nioBuffer());
            counters.bytesCovered = scanner.bytesCovered();
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
