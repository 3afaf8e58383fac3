package io.failback.contracts.blockstream;

import io.failback.contracts.site.DiskDigest;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;

/**
 * The block API that both sites serve, on plain Vert.x routes so that a disk streams without being buffered:
 * <ul>
 * <li>{@code GET  /api/vms/{vm}/disks/{disk}/blocks?first=&count=}: a block stream of that range (all by default)</li>
 * <li>{@code POST /api/vms/{vm}/disks/{disk}/blocks?fullCopy=}: write a block stream; answers a
 * {@link io.failback.contracts.site.BlockWriteSummary} once the blocks are durable. With {@code fullCopy=true} the
 * disk is reset to zeros first, so zero runs cost nothing.</li>
 * <li>{@code GET  /api/vms/{vm}/disks/{disk}/digest}: the whole disk's SHA-256</li>
 * </ul>
 * The site decides which disk a name means and what writing into it implies (see {@link Disks}).
 */
public final class BlockApi {

    /** The site's side: blocking calls, run on worker threads. */
    public interface Disks {
        DiskFile openForRead(String vmName, String diskId);

        /** Opens a disk that a block stream is about to change; a site marks it inconsistent here. */
        DiskFile openForWrite(String vmName, String diskId, boolean fullCopy);
    }

    private BlockApi() {
    }

    public static void register(Vertx vertx, Router router, Disks disks) {
        String disk = "/api/vms/:vm/disks/:disk";
        router.get(disk + "/blocks").handler(ctx -> blocking(vertx, () -> disks.openForRead(vm(ctx), diskId(ctx)))
                .onSuccess(file -> {
                    StreamHeader header;
                    try {
                        long first = longParam(ctx, "first", 0);
                        header = new StreamHeader(file.blockSize(), file.sizeBytes(), first,
                                longParam(ctx, "count", file.blockCount() - first));
                    } catch (RuntimeException e) {
                        file.close();
                        answerProblem(ctx, e);
                        return;
                    }
                    BlockStreamSender.send(vertx, file::read, header, ctx.response())
                            .onComplete(done -> file.close());
                })
                .onFailure(e -> answerProblem(ctx, e)));

        router.post(disk + "/blocks").handler(ctx -> {
            ctx.request().pause();
            boolean fullCopy = Boolean.parseBoolean(ctx.request().getParam("fullCopy", "false"));
            blocking(vertx, () -> disks.openForWrite(vm(ctx), diskId(ctx), fullCopy))
                    .onSuccess(file -> BlockStreamReceiver.receive(vertx, file, diskId(ctx), fullCopy, ctx.request())
                            .onComplete(result -> {
                                file.close();
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

        router.get(disk + "/digest").handler(ctx -> blocking(vertx, () -> {
            try (DiskFile file = disks.openForRead(vm(ctx), diskId(ctx))) {
                return new DiskDigest(diskId(ctx), file.sizeBytes(), DiskFile.DIGEST_ALGORITHM, file.digest());
            }
        }).onSuccess(digest -> answerJson(ctx.response(), 200, digest)).onFailure(e -> answerProblem(ctx, e)));
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

    private static void answerProblem(RoutingContext ctx, Throwable failure) {
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
