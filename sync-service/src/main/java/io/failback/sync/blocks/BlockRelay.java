package io.failback.sync.blocks;

import io.failback.sync.metrics.SyncMetrics;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;
import io.failback.sync.sites.SitePeer;

import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.Compression;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.blockstream.BlockStreamScanner;
import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.BlockWriteSummary;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.Json;
import io.vertx.core.net.impl.NetSocketInternal;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * Pipes one block stream from a source site's block API into a target site's, piece by piece: the buffers the source's
 * socket filled are written to the target's socket as they are ({@link SiteStreams}), and when the target cannot take
 * more, the source is no longer read (back-pressure end to end), so nothing is held beyond a few MiB. On the way
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
    /** How much of a site's error answer is kept for the failure's message. */
    private static final int MAX_ANSWER_BYTES = 64 << 10;

    /** What the relay asks sources for: version 2 first, version 1 when the source knows no better. */
    static final String ACCEPT = BlockStreamFormat.MEDIA_TYPE_V2 + ", " + BlockStreamFormat.MEDIA_TYPE;

    private final SiteStreams streams;
    /** The codec sources are asked to compress frames with (setting {@code failback.compression}); null: none. */
    private final Compression compression;
    private final SyncMetrics metrics;

    /** A relay whose streams count in {@code metrics} by the task that moves them. */
    public BlockRelay(SiteStreams streams, Compression compression, SyncMetrics metrics) {
        this.streams = streams;
        this.compression = compression;
        this.metrics = metrics;
    }

    /** Fresh counters for one relay of {@code task}'s. */
    public Counters counters(SyncTask task) {
        return new Counters(metrics.stream(task));
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
        /** The meters this relay's bytes count in, besides the fields here. */
        final SyncMetrics.StreamMeters meters;

        Counters(SyncMetrics.StreamMeters meters) {
            this.meters = meters;
        }

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
        return relay(null, sourceUrl, HttpMethod.GET, null, null, targetUrl, counters);
    }

    /** Relays a disk's blocks from {@code sourceUrl} of {@code source} to {@code targetUrl} of {@code target}, each the peer its client pins. */
    public Future<BlockWriteSummary> relay(SiteClient source, String sourceUrl, SiteClient target, String targetUrl, Counters counters) {
        return relay(source.peer(), sourceUrl, HttpMethod.GET, null, target.peer(), targetUrl, counters);
    }

    /**
     * Relays the blocks a JSON selection ({@code {"ranges": [[first, count], ...], "pages": [[block, mask], ...]}})
     * asks the source for.
     */
    public Future<BlockWriteSummary> relaySelected(String sourceSelectUrl, BlockSelection selection, String targetUrl, Counters counters) {
        return relay(null, sourceSelectUrl, HttpMethod.POST, Json.encode(selection).getBytes(StandardCharsets.UTF_8), null, targetUrl,
                counters);
    }

    /** {@link #relaySelected(String, BlockSelection, String, Counters)} between the peers the two clients pin. */
    public Future<BlockWriteSummary> relaySelected(SiteClient source, String sourceSelectUrl, BlockSelection selection, SiteClient target,
            String targetUrl, Counters counters) {
        return relay(source.peer(), sourceSelectUrl, HttpMethod.POST, Json.encode(selection).getBytes(StandardCharsets.UTF_8),
                target.peer(), targetUrl, counters);
    }

    private Future<BlockWriteSummary> relay(SitePeer sourcePeer, String sourceUrl, HttpMethod method, byte[] sourceBody,
            SitePeer targetPeer, String targetUrl, Counters counters) {
        return attempt(sourcePeer, sourceUrl, method, sourceBody, targetPeer, targetUrl, counters, true)
                .recover(failure -> {
                    if (!(failure instanceof Version2Refused)) {
                        return Future.failedFuture(failure);
                    }
                    // On the next turn of the event loop, once the refused streams are closed.
                    Promise<Void> nextTurn = Promise.promise();
                    io.vertx.core.Vertx.currentContext().runOnContext(v -> nextTurn.complete());
                    return nextTurn.future().compose(v -> attempt(sourcePeer, sourceUrl, method, sourceBody, targetPeer, targetUrl, counters, false));
                });
    }

    /** One relay of the stream, asking the source for version 2 (and compression, when on) or for version 1 only. */
    private Future<BlockWriteSummary> attempt(SitePeer sourcePeer, String sourceUrl, HttpMethod method, byte[] sourceBody,
            SitePeer targetPeer, String targetUrl, Counters counters, boolean version2) {
        URI source;
        URI target;
        try {
            source = URI.create(sourceUrl);
            target = URI.create(targetUrl);
        } catch (IllegalArgumentException notAUrl) {
            return Future.failedFuture(new SiteCallException("SiteCallFailed", "not a site URL: " + notAUrl.getMessage()));
        }
        ByteBuf content = sourceBody == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(sourceBody);
        HttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, SiteStreams.requestTarget(source), content);
        request.headers().set(HttpHeaderNames.HOST, SiteStreams.hostHeader(source))
                .set(HttpHeaderNames.ACCEPT, version2 ? ACCEPT : BlockStreamFormat.MEDIA_TYPE)
                .set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (sourceBody != null) {
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        }
        if (version2 && compression != null) {
            request.headers().set(BlockStreamFormat.COMPRESSION_HEADER, compression.headerValue());
        }
        Pipe pipe = new Pipe(sourceUrl, target, targetPeer, targetUrl, version2, counters);
        counters.abort = () -> pipe.fail(new SiteCallException("Cancelled", "the block stream was stopped: the job was cancelled"));
        streams.connect(source, sourcePeer)
                .onFailure(e -> pipe.fail(SiteCallException.partAway("SiteUnreachable", "cannot read blocks from " + sourceUrl + ": "
                        + e.getMessage(), sourceUrl)))
                .onSuccess(socket -> pipe.start(socket, request));
        return pipe.done.future();
    }

    /**
     * One relay under way, on one event loop: the source's answer arrives as HTTP messages, its body pieces go to the
     * target as chunks of a chunked request, and the target's answer ends it. Every message taken from a socket is
     * either written on or released.
     */
    private final class Pipe {
        final Promise<BlockWriteSummary> done = Promise.promise();
        private final String sourceUrl;
        private final URI target;
        private final SitePeer targetPeer;
        private final String targetUrl;
        private final boolean askedVersion2;
        private final Counters counters;
        private final BlockStreamScanner scanner = new BlockStreamScanner();
        private NetSocketInternal sourceSocket;
        /** Null until the target's connection is open and its request head written. */
        private NetSocketInternal targetSocket;
        /** Body pieces that arrived before the target's connection was open. */
        private final ArrayDeque<HttpContent> early = new ArrayDeque<>();
        private boolean sentVersion2;
        /** The source's status, once its answer's head arrived; the target's likewise. */
        private int sourceStatus;
        private int targetStatus;
        private boolean sourceEnded;
        /** An error answer's body, kept for the failure's message. */
        private final StringBuilder sourceAnswer = new StringBuilder();
        private final StringBuilder targetAnswer = new StringBuilder();

        Pipe(String sourceUrl, URI target, SitePeer targetPeer, String targetUrl, boolean askedVersion2, Counters counters) {
            this.targetPeer = targetPeer;
            this.sourceUrl = sourceUrl;
            this.target = target;
            this.targetUrl = targetUrl;
            this.askedVersion2 = askedVersion2;
            this.counters = counters;
        }

        void start(NetSocketInternal socket, HttpRequest request) {
            sourceSocket = socket;
            if (done.future().isComplete()) {
                socket.close();
                return;
            }
            socket.messageHandler(this::fromSource);
            socket.exceptionHandler(e -> fail(SiteCallException.partAway("BlockStreamInterrupted",
                    "reading the source failed: " + e.getMessage(), sourceUrl)));
            socket.closeHandler(v -> {
                if (!sourceEnded) {
                    fail(SiteCallException.partAway("BlockStreamInterrupted", "reading the source failed: the connection closed",
                            sourceUrl));
                }
            });
            socket.writeMessage(request);
        }

        private void fromSource(Object message) {
            if (done.future().isComplete()) {
                ReferenceCountUtil.release(message);
                return;
            }
            if (unparsable(message, "the source", sourceUrl)) {
                return;
            }
            if (message instanceof HttpResponse head) {
                sourceStatus = head.status().code();
                if (sourceStatus == 200) {
                    String contentType = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
                    sentVersion2 = contentType != null && contentType.contains(BlockStreamFormat.MEDIA_TYPE_V2);
                    // Nothing more is read until the target's connection is open.
                    reading(sourceSocket, false);
                    streams.connect(target, targetPeer)
                            .onFailure(e -> fail(SiteCallException.partAway("SiteUnreachable", "cannot write blocks to " + targetUrl
                                    + ": " + e.getMessage(), targetUrl)))
                            .onSuccess(this::openTarget);
                }
            }
            if (!(message instanceof HttpContent piece)) {
                return;
            }
            boolean last = piece instanceof LastHttpContent;
            if (sourceStatus != 200) {
                keep(sourceAnswer, piece);
                if (last) {
                    fail(SiteClient.failureOf("the source", sourceUrl, sourceStatus, sourceAnswer.toString()));
                }
                return;
            }
            if (last) {
                sourceEnded = true;
            }
            if (targetSocket == null) {
                early.add(piece);
                return;
            }
            forward(piece);
        }

        private void openTarget(NetSocketInternal socket) {
            if (done.future().isComplete()) {
                socket.close();
                return;
            }
            socket.messageHandler(this::fromTarget);
            socket.exceptionHandler(e -> fail(SiteCallException.partAway("BlockStreamInterrupted", "the target's answer was lost: "
                    + e.getMessage(), targetUrl)));
            socket.closeHandler(v -> fail(SiteCallException.partAway("BlockStreamInterrupted",
                    "the target's answer was lost: the connection closed", targetUrl)));
            // Room for a few MiB in flight: stopping the source for every network-sized piece costs more than the copy.
            socket.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
            socket.drainHandler(v -> reading(sourceSocket, true));
            HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, SiteStreams.requestTarget(target));
            // The header's version field is what the target trusts; the Content-Type tells it up front.
            request.headers().set(HttpHeaderNames.HOST, SiteStreams.hostHeader(target))
                    .set(HttpHeaderNames.CONTENT_TYPE, sentVersion2 ? BlockStreamFormat.MEDIA_TYPE_V2 : BlockStreamFormat.MEDIA_TYPE)
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            socket.writeMessage(request);
            targetSocket = socket;
            while (!early.isEmpty() && !done.future().isComplete()) {
                forward(early.poll());
            }
            if (!done.future().isComplete() && !socket.writeQueueFull()) {
                reading(sourceSocket, true);
            }
        }

        /** Counts what {@code piece} covers and hands its buffer to the target's socket, which releases it once sent. */
        private void forward(HttpContent piece) {
            ByteBuf bytes = piece.content();
            for (ByteBuffer part : bytes.nioBuffers()) {
                scanner.scan(part);
            }
            counters.meters.covered(scanner.bytesCovered() - counters.bytesCovered);
            counters.bytesCovered = scanner.bytesCovered();
            counters.meters.sent(bytes.readableBytes());
            if (bytes.isReadable()) {
                targetSocket.writeMessage(new DefaultHttpContent(bytes));
            } else {
                piece.release();
            }
            if (piece instanceof LastHttpContent) {
                targetSocket.writeMessage(LastHttpContent.EMPTY_LAST_CONTENT);
            } else if (targetSocket.writeQueueFull()) {
                reading(sourceSocket, false);
            }
        }

        private void fromTarget(Object message) {
            if (unparsable(message, "the target", targetUrl)) {
                return;
            }
            if (message instanceof HttpResponse head) {
                targetStatus = head.status().code();
            }
            if (!(message instanceof HttpContent piece)) {
                return;
            }
            if (done.future().isComplete()) {
                piece.release();
                return;
            }
            keep(targetAnswer, piece);
            if (piece instanceof LastHttpContent) {
                answered(targetAnswer.toString());
            }
        }

        private void answered(String text) {
            // A 200 means the target read the stream's END frame and made what it wrote durable: the source's
            // closing chunk may still be on its way.
            if (targetStatus == 200) {
                try {
                    BlockWriteSummary summary = Json.decodeValue(text, BlockWriteSummary.class);
                    if (done.tryComplete(summary)) {
                        close();
                    }
                } catch (RuntimeException unreadable) {
                    fail(new SiteCallException("SiteCallFailed", "the target answered an unreadable write summary: "
                            + unreadable.getMessage()));
                }
            } else if (askedVersion2 && targetStatus == 422 && text.contains("version 2 is not supported")) {
                fail(new Version2Refused(text));
            } else {
                // The target refused or failed the stream early: the source is no longer read.
                fail(SiteClient.failureOf("the target", targetUrl, targetStatus, text));
            }
        }

        /**
         * Whether Netty's codec could not parse {@code message} (it reports that on the message instead of throwing): the
         * message is released and the relay fails as interrupted, the site counting as away.
         */
        private boolean unparsable(Object message, String site, String url) {
            if (!(message instanceof HttpObject http) || !http.decoderResult().isFailure()) {
                return false;
            }
            ReferenceCountUtil.release(message);
            fail(SiteCallException.partAway("BlockStreamInterrupted", site + "'s answer is not valid HTTP: "
                    + http.decoderResult().cause().getMessage(), url));
            return true;
        }

        /** Fails the relay (the first failure is its cause) and closes both connections; later failures change nothing. */
        void fail(Throwable cause) {
            if (done.tryFail(cause)) {
                close();
            }
        }

        private void close() {
            early.forEach(HttpContent::release);
            early.clear();
            if (sourceSocket != null) {
                sourceSocket.close();
            }
            if (targetSocket != null) {
                targetSocket.close();
            }
        }

        private static void keep(StringBuilder answer, HttpContent piece) {
            try {
                int room = MAX_ANSWER_BYTES - answer.length();
                if (room > 0) {
                    ByteBuf bytes = piece.content();
                    answer.append(bytes.toString(bytes.readerIndex(), Math.min(room, bytes.readableBytes()), StandardCharsets.UTF_8));
                }
            } finally {
                piece.release();
            }
        }

        /** Starts or stops reading a socket: its buffers are not taken from the kernel while it is stopped. */
        private static void reading(NetSocketInternal socket, boolean on) {
            socket.channelHandlerContext().channel().config().setAutoRead(on);
        }
    }
}
