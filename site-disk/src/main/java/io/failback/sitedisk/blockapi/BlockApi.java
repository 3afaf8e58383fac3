package io.failback.sitedisk.blockapi;

import io.failback.contracts.blockstream.BlockStreamDecoder;
import io.failback.contracts.blockstream.BlockStreamException;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.ChangedBlocks;
import io.failback.contracts.site.DiskDigest;
import io.failback.contracts.site.PageMasks;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.BlockReader;
import io.failback.sitedisk.DiskFile;
import io.failback.sitedisk.PageStamps;
import io.failback.sitedisk.VirtualDisk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The block API that both sites serve, on plain Vert.x routes so that a disk streams without being buffered
 * (the reference is docs/contracts.md):
 * <ul>
 * <li>{@code GET  /api/vms/{vm}/disks/{disk}/blocks?first=&count=&snapshot=}: a block stream</li>
 * <li>{@code POST /api/vms/{vm}/disks/{disk}/blocks?fullCopy=&syncId=}: write a block stream, answered once durable;
 * with a syncId the site records how far the copy is durable, every 64 MiB or so</li>
 * <li>{@code POST /api/vms/{vm}/disks/{disk}/blocks/select?snapshot=}: a block stream of the runs of blocks the JSON
 * body lists (and, of some, only the pages it lists)</li>
 * <li>{@code GET  /api/vms/{vm}/disks/{disk}/hashes?first=&count=&snapshot=&algorithm=}: the per-block hash list
 * (XXH64 of every block read, or with {@code algorithm=sha256} the prefixes of the page-tree hashes the disk keeps)</li>
 * <li>{@code POST /api/vms/{vm}/disks/{disk}/hashes/select?snapshot=}: the per-page hash list of the blocks the JSON
 * body lists</li>
 * <li>{@code GET  /api/vms/{vm}/disks/{disk}/changed-blocks?since=}: blocks (and pages) written since a tracking point</li>
 * <li>{@code GET  /api/vms/{vm}/disks/{disk}/digest?snapshot=}: the whole disk's digest (over its blocks' page-tree
 * hashes)</li>
 * </ul>
 * The site decides which disk a name means and what writing into it implies (see {@link Disks}).
 */
public final class BlockApi {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BlockApi.class);

    /** The site's side: blocking calls, run on worker threads. */
    public interface Disks {
        BlockDevice disk(String owner, String diskId);

        /**
         * Called before a block stream changes the disk; a site refuses, or marks the disk inconsistent, here. With
         * {@code fullCopy} the device must read as zeros afterwards.
         */
        BlockDevice openForWrite(String owner, String diskId, boolean fullCopy);

        /**
         * A synchronization named {@code syncId} has made the disk durable up to {@code blocksThrough}: what an
         * interrupted copy resumes from. Blocking.
         */
        default void recordSyncProgress(String owner, String diskId, String syncId, long blocksThrough) {
        }

        /** The key this site seals outgoing blocks with (its cloud's data-encryption key), null to send them in the clear. */
        default CloudKey outgoingKey() {
            return null;
        }

        /** The keys this site holds to open incoming sealed blocks with. */
        default BlockStreamDecoder.KeyRing keys() {
            return certificateId -> null;
        }

        /** How many block streams (copies in or out) the site serves at once; {@link StreamLimit#NONE} for no limit. */
        default StreamLimit streamLimit() {
            return StreamLimit.NONE;
        }
    }

    /**
     * At most {@code max} block streams at once (0: no limit), as the setting {@code setting} says: a stream beyond
     * them waits a moment for one to end ({@link StreamGate}), else is refused with 503 and a {@link Problem#SITE_BUSY}
     * problem, and the copy is tried again after {@link #BUSY_RETRY_SECONDS}. A Hyper-V host's disks and links are shared by every copy to or from it; a few copies at
     * once use them fully, more only make each slower and the host's own VMs with them.
     */
    public record StreamLimit(int max, String setting) {
        public static final StreamLimit NONE = new StreamLimit(0, null);
    }

    /** The Retry-After of a {@link Problem#SITE_BUSY} answer. */
    public static final int BUSY_RETRY_SECONDS = 1;

    private BlockApi() {
    }

    /** The block API on VMs' disks: {@code /api/vms/{vm}/disks/{disk}/...}. */
    public static void register(Vertx vertx, Router router, Disks disks) {
        register(vertx, router, "/api/vms", disks);
    }

    /** The block API under another collection, e.g. replica storage: {@code <collection>/{owner}/disks/{disk}/...}. */
    public static void register(Vertx vertx, Router router, String collection, Disks disks) {
        String disk = collection + "/:vm/disks/:disk";
        StreamLimit limit = disks.streamLimit();
        if (limit.max() > 0) {
            StreamGate gate = new StreamGate(vertx, limit);
            for (String blocks : List.of(disk + "/blocks", disk + "/blocks/select")) {
                router.route(blocks).handler(gate::admit);
            }
        }
        router.get(disk + "/blocks").handler(ctx -> streamRange(vertx, ctx, disks,
                (device, reader, range) -> BlockStreamSender.send(vertx, reader, range, disks.outgoingKey(), wire(ctx), ctx.response())));

        router.post(disk + "/blocks/select").handler(ctx -> readBody(ctx)
                .compose(body -> blocking(vertx, () -> {
                    BlockDevice file = disks.disk(vm(ctx), diskId(ctx));
                    return selection(body.toString(), file, reader(ctx, file));
                }))
                .onSuccess(selection -> BlockStreamSender.send(vertx, selection.reader(),
                        new StreamHeader(selection.disk().blockSize(), selection.disk().sizeBytes(), 0, selection.disk().blockCount()),
                        selection.runs(), selection.pages(), disks.outgoingKey(), wire(ctx), ctx.response()))
                .onFailure(e -> answerProblem(ctx, e)));

        router.post(disk + "/hashes/select").handler(ctx -> readBody(ctx)
                .compose(body -> blocking(vertx, () -> {
                    BlockDevice file = disks.disk(vm(ctx), diskId(ctx));
                    return selection(body.toString(), file, reader(ctx, file));
                }))
                .onSuccess(selection -> PageHashSender.send(vertx, selection.reader(), selection.disk().blockSize(), selection.runs(),
                        ctx.response()))
                .onFailure(e -> answerProblem(ctx, e)));

        router.get(disk + "/hashes").handler(ctx -> {
            String algorithm = ctx.request().getParam("algorithm", "xxh64");
            if (!algorithm.equals("xxh64") && !algorithm.equals("sha256")) {
                answerProblem(ctx, ProblemException.badRequest("InvalidParameter",
                        "query parameter 'algorithm' must be 'xxh64' or 'sha256', got '" + algorithm + "'"));
                return;
            }
            streamRange(vertx, ctx, disks, (device, reader, range) -> {
                if (algorithm.equals("sha256")) {
                    BlockHashSender.sendSha256(vertx, sha256Lister(ctx, device), range, ctx.response());
                } else {
                    BlockHashSender.sendXxh64(vertx, reader, range, ctx.response());
                }
            });
        });

        router.post(disk + "/blocks").handler(ctx -> {
            ctx.request().pause();
            boolean fullCopy = Boolean.parseBoolean(ctx.request().getParam("fullCopy", "false"));
            String syncId = ctx.request().getParam("syncId");
            BlockStreamReceiver.Checkpoints checkpoints = syncId == null ? BlockStreamReceiver.Checkpoints.NONE
                    : through -> {
                        disks.recordSyncProgress(vm(ctx), diskId(ctx), syncId, through);
                        BlockStreamMeters.CHECKPOINTS.increment();
                    };
            blocking(vertx, () -> disks.openForWrite(vm(ctx), diskId(ctx), fullCopy))
                    .onSuccess(file -> BlockStreamReceiver.receive(vertx, file, fullCopy, disks.keys(), checkpoints, ctx.request())
                            .onComplete(result -> {
                                if (result.succeeded()) {
                                    answerJson(ctx.response(), 200, result.result());
                                } else {
                                    answerProblem(ctx, result.cause());
                                }
                            }))
                    .onFailure(e -> {
                        ctx.request().resume();
                        answerProblem(ctx, e);
                    });
        });

        router.get(disk + "/changed-blocks").handler(ctx -> blocking(vertx, () -> {
            VirtualDisk file = tracked(disks.disk(vm(ctx), diskId(ctx)));
            String since = ctx.request().getParam("since");
            if (since == null) {
                throw ProblemException.badRequest("MissingParameter", "query parameter 'since' (a tracking point) is required");
            }
            long point = longParam(ctx, "since", 0);
            long now = file.trackingPoint();
            PageStamps.Changes changed = file.changedPagesSince(point);
            return new ChangedBlocks(file.diskId(), point, now, file.blockSize(), changed.blocks().blockCount(), changed.blocks().ranges(),
                    changed.partial().isEmpty() ? null : changed.partial().pairs());
        }).onSuccess(changed -> answerJson(ctx.response(), 200, changed)).onFailure(e -> answerProblem(ctx, e)));

        router.get(disk + "/digest").handler(ctx -> blocking(vertx, () -> {
            BlockDevice file = disks.disk(vm(ctx), diskId(ctx));
            String snapshot = ctx.request().getParam("snapshot");
            long started = System.nanoTime();
            String digest = snapshot == null ? file.digest() : tracked(file).snapshotDigest(snapshot);
            LOG.debugf("disk %s%s: digest in %d ms", file.diskId(), snapshot == null ? "" : " (snapshot " + snapshot + ")",
                    (System.nanoTime() - started) / 1_000_000);
            return new DiskDigest(file.diskId(), file.sizeBytes(), DiskFile.DIGEST_ALGORITHM, digest);
        }).onSuccess(digest -> answerJson(ctx.response(), 200, digest)).onFailure(e -> answerProblem(ctx, e)));
    }

    /** The block stream version and compression the reader asked for (docs/contracts.md, negotiation). */
    private static BlockStreamSender.Wire wire(RoutingContext ctx) {
        return BlockStreamSender.Wire.of(ctx.request().getHeader("Accept"),
                ctx.request().getHeader(io.failback.contracts.blockstream.BlockStreamFormat.COMPRESSION_HEADER));
    }

    /** The live disk, or with {@code snapshot=id} the snapshot's view of it. */
    private static BlockReader reader(RoutingContext ctx, BlockDevice device) {
        String snapshot = ctx.request().getParam("snapshot");
        if (snapshot == null) {
            return device;
        }
        VirtualDisk disk = tracked(device);
        if (!disk.snapshotIds().contains(snapshot)) {
            throw ProblemException.notFound("SnapshotNotFound", "disk '" + disk.diskId() + "' has no snapshot '" + snapshot + "'");
        }
        return new BlockReader() {
            @Override
            public void read(long firstBlock, ByteBuffer dst) {
                disk.readSnapshot(snapshot, firstBlock, dst);
            }

            @Override
            public void readPages(long block, long mask, ByteBuffer dst) {
                disk.readSnapshotPages(snapshot, block, mask, dst);
            }
        };
    }

    /**
     * The blocks' hashes of the live disk, or with {@code snapshot=id} of the snapshot's view (whose existence {@link
     * #reader} has checked).
     */
    private static BlockHashSender.Sha256Lister sha256Lister(RoutingContext ctx, BlockDevice device) {
        String snapshot = ctx.request().getParam("snapshot");
        if (snapshot == null) {
            return device::blockHashes;
        }
        VirtualDisk disk = tracked(device);
        return (first, count) -> disk.snapshotBlockHashes(snapshot, first, count);
    }

    /** Something streamed about a range of a disk's blocks: the blocks themselves, or their hashes. */
    @FunctionalInterface
    private interface RangeStream {
        void send(BlockDevice device, BlockReader reader, StreamHeader range);
    }

    /** Finds the disk, then streams the range (and view: live or snapshot) the query asks for. */
    private static void streamRange(Vertx vertx, RoutingContext ctx, Disks disks, RangeStream stream) {
        blocking(vertx, () -> disks.disk(vm(ctx), diskId(ctx)))
                .onSuccess(file -> {
                    StreamHeader range;
                    BlockReader reader;
                    try {
                        range = range(ctx, file);
                        reader = reader(ctx, file);
                    } catch (RuntimeException e) {
                        answerProblem(ctx, e);
                        return;
                    }
                    stream.send(file, reader, range);
                })
                .onFailure(e -> answerProblem(ctx, e));
    }

    /** The (small) request body; the server may hand the request over paused. */
    private static Future<io.vertx.core.buffer.Buffer> readBody(RoutingContext ctx) {
        Future<io.vertx.core.buffer.Buffer> body = ctx.request().body();
        ctx.request().resume();
        return body;
    }

    /**
     * What a {@code .../select} asks for: runs of whole blocks, and of some of their blocks only some pages ({@link
     * PageMasks#NONE} for none).
     */
    private record Selection(BlockDevice disk, BlockReader reader, java.util.List<long[]> runs, PageMasks pages) {
    }

    /**
     * {@code {"ranges": [[first, count], ...], "pages": [[block, mask], ...]}} ({@link BlockSelection}): increasing,
     * disjoint runs inside the disk; {@code pages} (optional) only for blocks of those runs.
     */
    private static Selection selection(String body, BlockDevice disk, BlockReader reader) {
        io.vertx.core.json.JsonObject json;
        try {
            json = new io.vertx.core.json.JsonObject(body);
        } catch (RuntimeException e) {
            throw ProblemException.badRequest("UnreadableBody", "expected {\"ranges\": [[first, count], ...]}: " + e.getMessage());
        }
        java.util.List<long[]> runs = runs(json, disk);
        return new Selection(disk, reader, runs, pages(json, disk, runs));
    }

    /** The selection's {@code pages}, each for a block of its runs. */
    private static PageMasks pages(io.vertx.core.json.JsonObject body, BlockDevice disk, java.util.List<long[]> runs) {
        io.vertx.core.json.JsonArray pairs = body.getJsonArray("pages");
        if (pairs == null || pairs.isEmpty()) {
            return PageMasks.NONE;
        }
        PageMasks pages;
        try {
            java.util.List<long[]> list = new java.util.ArrayList<>(pairs.size());
            for (int i = 0; i < pairs.size(); i++) {
                io.vertx.core.json.JsonArray pair = pairs.getJsonArray(i);
                list.add(new long[] {pair.getLong(0), pair.getLong(1)});
            }
            pages = PageMasks.of(list, disk.blockSize());
        } catch (RuntimeException e) {
            throw ProblemException.badRequest("InvalidPages", "expected \"pages\": [[block, mask], ...], blocks increasing, "
                    + "each mask some but not all of a block's pages: " + e.getMessage());
        }
        if (pages.within(runs, disk.blockSize()).size() != pages.size()) {
            throw ProblemException.badRequest("InvalidPages", "\"pages\" names a block outside the selected ranges");
        }
        return pages;
    }

    /** {@code {"ranges": [[first, count], ...]}}: increasing, disjoint runs inside the disk. */
    private static java.util.List<long[]> runs(io.vertx.core.json.JsonObject body, BlockDevice disk) {
        io.vertx.core.json.JsonArray ranges;
        try {
            ranges = body.getJsonArray("ranges");
        } catch (RuntimeException e) {
            throw ProblemException.badRequest("UnreadableBody", "expected {\"ranges\": [[first, count], ...]}: " + e.getMessage());
        }
        if (ranges == null) {
            throw ProblemException.badRequest("UnreadableBody", "expected {\"ranges\": [[first, count], ...]}");
        }
        java.util.List<long[]> runs = new java.util.ArrayList<>(ranges.size());
        long next = 0;
        for (int i = 0; i < ranges.size(); i++) {
            io.vertx.core.json.JsonArray range = ranges.getJsonArray(i);
            long first = range.getLong(0);
            long count = range.getLong(1);
            if (first < next || count <= 0 || first + count > disk.blockCount()) {
                throw ProblemException.badRequest("InvalidRange", "range " + range + " is empty, overlaps or precedes the one before, "
                        + "or runs past the disk's " + disk.blockCount() + " blocks");
            }
            runs.add(new long[] {first, count});
            next = first + count;
        }
        return runs;
    }

    /** Snapshots and changed-block tracking belong to VM disks, not to replica storage. */
    private static VirtualDisk tracked(BlockDevice device) {
        if (device instanceof VirtualDisk disk) {
            return disk;
        }
        throw ProblemException.badRequest("NotTracked", "disk '" + device.diskId() + "' keeps no snapshots or changed-block tracking");
    }

    private static StreamHeader range(RoutingContext ctx, BlockDevice disk) {
        long first = longParam(ctx, "first", 0);
        long count = longParam(ctx, "count", disk.blockCount() - first);
        try {
            return new StreamHeader(disk.blockSize(), disk.sizeBytes(), first, count);
        } catch (BlockStreamException e) {
            throw ProblemException.badRequest("InvalidRange", e.getMessage());
        }
    }

    private static <T> Future<T> blocking(Vertx vertx, Callable<T> work) {
        return vertx.executeBlocking(work, false);
    }

    private static String vm(RoutingContext ctx) {
        return ctx.pathParam("vm");
    }

    private static String diskId(RoutingContext ctx) {
        return ctx.pathParam("disk");
    }

    private static long longParam(RoutingContext ctx, String name, long defaultValue) {
        String value = ctx.request().getParam(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest("InvalidParameter", "query parameter '" + name + "' must be a whole number, got '" + value + "'");
        }
    }

    private static void answerJson(HttpServerResponse response, int status, Object body) {
        if (!response.ended() && !response.closed()) {
            response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Json.encode(body));
        }
    }

    static void answerProblem(RoutingContext ctx, Throwable failure) {
        Problem problem;
        if (failure instanceof ProblemException known) {
            problem = known.toProblem();
        } else if (failure instanceof BlockStreamException stream) {
            problem = new Problem("InvalidBlockStream", "Unprocessable Content", 422, stream.getMessage());
        } else {
            problem = new Problem("BlockApiFailure", "Server Error", 500, String.valueOf(failure.getMessage()));
        }
        HttpServerResponse response = ctx.response();
        if (response.headWritten()) {
            // A stream already under way cannot change its status; closing it tells the receiver it is incomplete.
            response.reset();
            return;
        }
        response.setStatusCode(problem.status()).putHeader("Content-Type", Problem.MEDIA_TYPE).end(Json.encode(problem));
    }
}
