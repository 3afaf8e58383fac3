package io.failback.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.BlockStreamEncoder;
import io.failback.contracts.blockstream.BlockStreamFormat;
import io.failback.contracts.blockstream.StreamHeader;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.Problem;
import io.failback.contracts.site.ProblemException;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.DiskFile;
import io.failback.sitedisk.SiteFiles;
import io.failback.sitedisk.VirtualDisk;
import io.failback.sitedisk.blockapi.BlockApi;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Stand-ins for the two sites sync-service talks to, speaking their HTTP contract (docs/contracts.md): azure-sim's
 * and a host-agent's management calls, and the block API of contracts' {@link BlockApi} over real disk images. Started
 * before the application (azure-sim's URL is configuration; the host's URL travels in each command), on ports of
 * their own, with their disk images in a temporary folder removed when the tests end.
 */
public class StandInSites implements QuarkusTestResourceLifecycleManager {
    static final int BLOCK = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    static Azure azure;
    static Host host;
    private static Vertx vertx;
    private static Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("sync-service-stand-ins");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        vertx = Vertx.vertx();
        azure = new Azure();
        host = new Host();
        azure.url = listen(azure.router());
        host.url = listen(host.router());
        return Map.of("failback.azure-url", azure.url);
    }

    @Override
    public void stop() {
        azure.vms.values().forEach(vm -> vm.disk.close());
        azure.replicas.values().forEach(replica -> replica.disk.close());
        host.vms.values().forEach(vm -> vm.disk.close());
        await(vertx.close());
        SiteFiles.deleteTree(dir);
    }

    private static String listen(Router router) {
        HttpServer server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
        return "http://127.0.0.1:" + server.actualPort();
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A disk image of {@code content} (whole blocks), in a folder of its own. */
    static VirtualDisk disk(String owner, String diskId, byte[] content) {
        try {
            VirtualDisk disk = VirtualDisk.create(JSON, Files.createDirectories(dir.resolve(owner)), diskId, content.length, BLOCK);
            disk.writeBlocks(0, ByteBuffer.wrap(content));
            disk.force();
            return disk;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(BlockDevice disk) {
        ByteBuffer content = ByteBuffer.allocate((int) disk.sizeBytes());
        disk.read(0, content);
        return content.array();
    }

    /** The whole-disk digest (SHA-256 over the blocks' SHA-256) of {@code content}, computed by the test. */
    static String digest(byte[] content) {
        return DiskFile.digest((first, dst) -> dst.put(content, (int) first * BLOCK, dst.remaining()), BLOCK, content.length / BLOCK);
    }

    private static void problem(RoutingContext ctx, int status, String type, String detail) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end(new JsonObject().put("type", type).put("title", type).put("status", status).put("detail", detail).encode());
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }

    private static JsonObject diskSpec(VirtualDisk disk) {
        return new JsonObject().put("diskId", disk.diskId()).put("sizeBytes", disk.sizeBytes()).put("blockSize", disk.blockSize());
    }

    /**
     * Records the JSON body of every {@code .../select} request (a selection of blocks or of page hashes) as "path?query
     * body", then hands the request on unread: the block API reads the same body.
     */
    private static void recordSelections(Router router, List<String> selections) {
        router.post("/api/:collection/:owner/disks/:disk/:kind/select").handler(ctx -> {
            String uri = ctx.request().uri();
            ctx.request().body().onSuccess(body -> selections.add(uri + " " + body));
            ctx.next();
        });
    }

    /** azure-sim's side: a VM that runs until shut down, whose disk is the failback's source. */
    static final class Azure {
        final Map<String, AzureVm> vms = new ConcurrentHashMap<>();
        /** Every request, as "METHOD path?query", in arrival order. */
        final List<String> requests = new CopyOnWriteArrayList<>();
        /** The body of every {@code .../select} request, as "path?query body", in arrival order. */
        final List<String> selections = new CopyOnWriteArrayList<>();
        /** Replica storage by protected item. */
        final Map<String, Replica> replicas = new ConcurrentHashMap<>();
        String url;

        /** An item's replica storage: one disk, and the recovery point it holds (null: none yet). */
        static final class Replica {
            final VirtualDisk disk;
            volatile JsonObject recoveryPoint;

            Replica(VirtualDisk disk) {
                this.disk = disk;
            }
        }

        /** Replica storage holding {@code content} as of the source disk's tracking point {@code sourcePoint}. */
        Replica addReplica(String item, byte[] content, long sourcePoint) {
            Replica replica = new Replica(disk("replica-" + item, "disk0", content));
            replica.recoveryPoint = new JsonObject().put("consistentAt", java.time.Instant.now().toString())
                    .put("sourceTrackingPoints", new JsonObject().put("disk0", sourcePoint));
            replicas.put(item, replica);
            return replica;
        }

        void removeReplica(String item) {
            Replica replica = replicas.remove(item);
            if (replica != null) {
                replica.disk.close();
            }
        }

        static final class AzureVm {
            final VirtualDisk disk;
            volatile String state = "Running";
            volatile Long shutdownTrackingPoint;
            /** Reads of blocks at or after this one fail, as a site whose storage breaks half-way through a copy; -1 never. */
            volatile long failReadsFrom = -1;
            /** How many times the site dies in the middle of sending the disk: the connection drops after half the stream. */
            volatile int crashesHalfWay;
            /** The site stops sending in the middle of the disk and keeps the connection open (a stalled copy). */
            volatile boolean stallHalfWay;
            /** How long a snapshot takes to answer (a busy site). */
            volatile long snapshotMillis;

            AzureVm(VirtualDisk disk) {
                this.disk = disk;
            }
        }

        AzureVm addVm(String name, byte[] content) {
            AzureVm vm = new AzureVm(disk("azure-" + name, "disk0", content));
            vms.put(name, vm);
            return vm;
        }

        void removeVm(String name) {
            AzureVm vm = vms.remove(name);
            if (vm != null) {
                vm.disk.close();
            }
        }

        Router router() {
            Router router = Router.router(vertx);
            router.route().handler(ctx -> {
                requests.add(ctx.request().method() + " " + ctx.request().uri());
                ctx.next();
            });
            recordSelections(router, selections);
            router.get("/api/encryption").handler(ctx -> json(ctx, 200, new JsonObject().put("enabled", false)));
            router.get("/api/replicas/:item").handler(ctx -> {
                Replica replica = replicas.get(ctx.pathParam("item"));
                if (replica == null) {
                    problem(ctx, 404, "ReplicaNotFound", "no replica of '" + ctx.pathParam("item") + "'");
                    return;
                }
                json(ctx, 200, new JsonObject().put("disks", new JsonArray().add(diskSpec(replica.disk)))
                        .put("recoveryPoint", replica.recoveryPoint));
            });
            router.post("/api/replicas/:item/recoveryPoints").handler(BodyHandler.create()).handler(ctx -> {
                replicas.get(ctx.pathParam("item")).recoveryPoint = ctx.body().asJsonObject();
                json(ctx, 200, new JsonObject());
            });
            BlockApi.register(vertx, router, "/api/replicas", new BlockApi.Disks() {
                @Override
                public BlockDevice disk(String item, String diskId) {
                    Replica replica = replicas.get(item);
                    if (replica == null || !replica.disk.diskId().equals(diskId)) {
                        throw ProblemException.notFound("DiskNotFound", "no replica disk '" + diskId + "' of '" + item + "'");
                    }
                    return replica.disk;
                }

                @Override
                public BlockDevice openForWrite(String item, String diskId, boolean fullCopy) {
                    return disk(item, diskId);
                }
            });
            router.get("/api/vms/:vm").handler(ctx -> {
                AzureVm vm = vms.get(ctx.pathParam("vm"));
                if (vm == null) {
                    problem(ctx, 404, "VmNotFound", "no virtual machine named '" + ctx.pathParam("vm") + "'");
                    return;
                }
                json(ctx, 200, view(ctx.pathParam("vm"), vm));
            });
            router.post("/api/vms/:vm/shutdown").handler(ctx -> {
                AzureVm vm = vms.get(ctx.pathParam("vm"));
                if (vm == null) {
                    problem(ctx, 404, "VmNotFound", "no virtual machine named '" + ctx.pathParam("vm") + "'");
                    return;
                }
                if (!"Stopped".equals(vm.state)) {
                    vm.state = "Stopped";
                    vm.shutdownTrackingPoint = vm.disk.trackingPoint();
                }
                json(ctx, 200, view(ctx.pathParam("vm"), vm));
            });
            router.post("/api/vms/:vm/snapshots").handler(ctx -> {
                AzureVm vm = vms.get(ctx.pathParam("vm"));
                String snapshotId = java.util.UUID.randomUUID().toString();
                vertx.executeBlocking(() -> vm.disk.snapshot(snapshotId), false)
                        .compose(point -> vm.snapshotMillis == 0 ? io.vertx.core.Future.succeededFuture(point)
                                : vertx.timer(vm.snapshotMillis).map(point))
                        .onSuccess(point -> json(ctx, 201, new JsonObject()
                                .put("snapshotId", snapshotId).put("trackingPoints", new JsonObject().put(vm.disk.diskId(), point))));
            });
            router.delete("/api/vms/:vm/snapshots/:snapshot").handler(ctx -> {
                AzureVm vm = vms.get(ctx.pathParam("vm"));
                vertx.executeBlocking(() -> {
                    vm.disk.deleteSnapshot(ctx.pathParam("snapshot"));
                    return null;
                }, false).onSuccess(v -> ctx.response().setStatusCode(204).end());
            });
            router.get("/api/vms/:vm/disks/:disk/blocks").handler(ctx -> {
                AzureVm vm = vms.get(ctx.pathParam("vm"));
                if (vm == null || !(vm.crashesHalfWay > 0 || vm.stallHalfWay)) {
                    ctx.next();
                    return;
                }
                byte[] stream = encode(bytes(vm.disk));
                ctx.response().setChunked(true).putHeader("Content-Type", BlockStreamFormat.MEDIA_TYPE);
                ctx.response().write(io.vertx.core.buffer.Buffer.buffer(Arrays.copyOf(stream, stream.length / 2)))
                        .onComplete(written -> {
                            if (vm.crashesHalfWay > 0) {
                                vm.crashesHalfWay--;
                                ctx.request().connection().close();
                            }
                        });
            });
            BlockApi.register(vertx, router, new BlockApi.Disks() {
                @Override
                public BlockDevice disk(String owner, String diskId) {
                    AzureVm vm = vms.get(owner);
                    if (vm == null || !vm.disk.diskId().equals(diskId)) {
                        throw ProblemException.notFound("DiskNotFound", "no disk '" + diskId + "' on '" + owner + "'");
                    }
                    return vm.failReadsFrom < 0 ? vm.disk : new FailingReads(vm.disk, vm.failReadsFrom);
                }

                @Override
                public BlockDevice openForWrite(String owner, String diskId, boolean fullCopy) {
                    throw ProblemException.conflict("ReadOnly", "this stand-in's Azure disks are only read");
                }
            });
            return router;
        }

        private static JsonObject view(String name, AzureVm vm) {
            JsonObject points = new JsonObject();
            if (vm.shutdownTrackingPoint != null) {
                points.put(vm.disk.diskId(), vm.shutdownTrackingPoint);
            }
            return new JsonObject().put("name", name).put("state", vm.state)
                    .put("disks", new JsonArray().add(diskSpec(vm.disk))).put("shutdownTrackingPoints", points);
        }
    }

    /** A host-agent's side: VMs with consistency markers and copy checkpoints, on the switches it has. */
    static final class Host {
        final Map<String, HostVm> vms = new ConcurrentHashMap<>();
        final List<String> requests = new CopyOnWriteArrayList<>();
        /** The body of every {@code .../select} request, as "path?query body", in arrival order. */
        final List<String> selections = new CopyOnWriteArrayList<>();
        final List<String> switches = List.of("vSwitch-Prod");
        /** Plays a host-agent from before SHA-256 hash lists: it answers every hash list with XXH64. */
        volatile boolean hashListsXxh64Only;
        String url;
        /** Until then the host is away (rebooting): every connection is dropped before it is answered. */
        volatile java.time.Instant awayUntil = java.time.Instant.MIN;
        /** The host drops this many requests before it answers again (a reboot as long as that many tries). */
        final java.util.concurrent.atomic.AtomicInteger requestsToDrop = new java.util.concurrent.atomic.AtomicInteger();

        static final class HostVm {
            final VirtualDisk disk;
            final String virtualSwitchName;
            volatile String state = "Off";
            volatile boolean consistent;
            volatile String syncId;
            volatile long syncedThrough;

            HostVm(VirtualDisk disk, String virtualSwitchName) {
                this.disk = disk;
                this.virtualSwitchName = virtualSwitchName;
            }
        }

        /** A VM already on the host, e.g. left by an interrupted failback. */
        HostVm addVm(String name, byte[] content) {
            HostVm vm = new HostVm(disk("host-" + name, "disk0", content), "vSwitch-Prod");
            vms.put(name, vm);
            return vm;
        }

        void removeVm(String name) {
            HostVm vm = vms.remove(name);
            if (vm != null) {
                vm.disk.close();
            }
        }

        Router router() {
            Router router = Router.router(vertx);
            router.route().handler(ctx -> {
                if (java.time.Instant.now().isBefore(awayUntil) || requestsToDrop.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    ctx.request().connection().close();
                    return;
                }
                requests.add(ctx.request().method() + " " + ctx.request().uri());
                ctx.next();
            });
            recordSelections(router, selections);
            router.get("/api/vms/:vm/disks/:disk/hashes").handler(ctx -> {
                String query = ctx.request().query();
                if (hashListsXxh64Only && query != null && query.contains("algorithm=")) {
                    ctx.reroute(ctx.request().path() + "?" + query.replaceAll("&?algorithm=[a-z0-9]+", "").replaceFirst("^&", ""));
                } else {
                    ctx.next();
                }
            });
            router.get("/api/vms/:vm").handler(ctx -> {
                HostVm vm = vms.get(ctx.pathParam("vm"));
                if (vm == null) {
                    problem(ctx, 404, "VmNotFound", "no virtual machine named '" + ctx.pathParam("vm") + "'");
                    return;
                }
                json(ctx, 200, view(ctx.pathParam("vm"), vm));
            });
            router.put("/api/vms/:vm").handler(BodyHandler.create()).handler(ctx -> {
                String name = ctx.pathParam("vm");
                JsonObject body = ctx.body().asJsonObject();
                if (vms.containsKey(name)) {
                    problem(ctx, 409, "VmExists", "already have '" + name + "'");
                    return;
                }
                if (!switches.contains(body.getString("virtualSwitchName"))) {
                    problem(ctx, 422, "VirtualSwitchNotFound", "no virtual switch named '" + body.getString("virtualSwitchName") + "'");
                    return;
                }
                DiskSpec spec = body.getJsonArray("disks").getJsonObject(0).mapTo(DiskSpec.class);
                HostVm vm = new HostVm(disk("host-" + name, spec.diskId(), new byte[(int) spec.sizeBytes()]),
                        body.getString("virtualSwitchName"));
                vms.put(name, vm);
                json(ctx, 201, view(name, vm));
            });
            router.post("/api/vms/:vm/snapshots").handler(ctx -> {
                HostVm vm = vms.get(ctx.pathParam("vm"));
                String snapshotId = java.util.UUID.randomUUID().toString();
                vertx.executeBlocking(() -> vm.disk.snapshot(snapshotId), false).onSuccess(point -> json(ctx, 201, new JsonObject()
                        .put("snapshotId", snapshotId).put("createdAt", java.time.Instant.now().toString())
                        .put("trackingPoints", new JsonObject().put(vm.disk.diskId(), point))));
            });
            router.delete("/api/vms/:vm/snapshots/:snapshot").handler(ctx -> {
                HostVm vm = vms.get(ctx.pathParam("vm"));
                vertx.executeBlocking(() -> {
                    vm.disk.deleteSnapshot(ctx.pathParam("snapshot"));
                    return null;
                }, false).onSuccess(v -> ctx.response().setStatusCode(204).end());
            });
            router.post("/api/vms/:vm/start").handler(ctx -> {
                HostVm vm = vms.get(ctx.pathParam("vm"));
                if (!vm.consistent) {
                    problem(ctx, 409, "DiskInconsistent", "the disk is inconsistent");
                    return;
                }
                vm.state = "Running";
                json(ctx, 200, view(ctx.pathParam("vm"), vm));
            });
            router.post("/api/vms/:vm/disks/:disk/verify").handler(BodyHandler.create()).handler(ctx -> {
                HostVm vm = vms.get(ctx.pathParam("vm"));
                String expected = ctx.body().asJsonObject().getString("digest");
                vertx.executeBlocking(vm.disk::digest, false).onSuccess(actual -> {
                    if (!actual.equalsIgnoreCase(expected)) {
                        problem(ctx, 409, "DigestMismatch", "the disk has " + actual + ", the source " + expected);
                        return;
                    }
                    vm.consistent = true;
                    json(ctx, 200, new JsonObject().put("diskId", vm.disk.diskId()).put("algorithm", DiskFile.DIGEST_ALGORITHM)
                            .put("digest", actual).put("consistent", true));
                });
            });
            BlockApi.register(vertx, router, new BlockApi.Disks() {
                @Override
                public BlockDevice disk(String owner, String diskId) {
                    HostVm vm = vms.get(owner);
                    if (vm == null || !vm.disk.diskId().equals(diskId)) {
                        throw ProblemException.notFound("DiskNotFound", "no disk '" + diskId + "' on '" + owner + "'");
                    }
                    return vm.disk;
                }

                @Override
                public BlockDevice openForWrite(String owner, String diskId, boolean fullCopy) {
                    VirtualDisk disk = (VirtualDisk) disk(owner, diskId);
                    HostVm vm = vms.get(owner);
                    vm.consistent = false;
                    if (fullCopy) {
                        vm.syncId = null;
                        vm.syncedThrough = 0;
                        disk.zeroAll();
                    }
                    return disk;
                }

                @Override
                public void recordSyncProgress(String owner, String diskId, String syncId, long blocksThrough) {
                    HostVm vm = vms.get(owner);
                    vm.syncId = syncId;
                    vm.syncedThrough = blocksThrough;
                }
            });
            return router;
        }

        private static JsonObject view(String name, HostVm vm) {
            return new JsonObject().put("name", name).put("state", vm.state).put("virtualSwitchName", vm.virtualSwitchName)
                    .put("disks", new JsonArray().add(diskSpec(vm.disk).put("consistent", vm.consistent).put("syncId", vm.syncId)
                            .put("syncedThrough", vm.syncedThrough)));
        }
    }

    /** A complete block stream of every block of {@code content}: DATA frames, and ZEROS for all-zero blocks. */
    private static byte[] encode(byte[] content) {
        int blocks = content.length / BLOCK;
        BlockStreamEncoder encoder = new BlockStreamEncoder();
        ByteBuffer out = ByteBuffer.allocate(content.length + blocks * 64 + 1024);
        encoder.header(out, new StreamHeader(BLOCK, content.length, 0, blocks));
        for (int block = 0; block < blocks; block++) {
            ByteBuffer data = ByteBuffer.wrap(content, block * BLOCK, BLOCK).slice();
            if (DiskFile.isAllZero(data)) {
                encoder.zeros(out, block, 1);
            } else {
                encoder.data(out, block, data);
            }
        }
        encoder.end(out, blocks);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** A disk whose reads fail from one block on: the site's storage breaks in the middle of a copy. */
    private record FailingReads(VirtualDisk disk, long failFrom) implements BlockDevice {
        @Override
        public String diskId() {
            return disk.diskId();
        }

        @Override
        public int blockSize() {
            return disk.blockSize();
        }

        @Override
        public long sizeBytes() {
            return disk.sizeBytes();
        }

        @Override
        public void read(long firstBlock, ByteBuffer dst) {
            if (firstBlock + dst.remaining() / disk.blockSize() > failFrom) {
                throw new UncheckedIOException(new IOException("I/O error reading block " + Math.max(firstBlock, failFrom)
                        + " of " + disk.diskId()));
            }
            disk.read(firstBlock, dst);
        }

        @Override
        public void writeBlocks(long firstBlock, ByteBuffer blocks) {
            disk.writeBlocks(firstBlock, blocks);
        }

        @Override
        public void zeroAll() {
            disk.zeroAll();
        }

        @Override
        public void force() {
            disk.force();
        }

        @Override
        public String digest() {
            return disk.digest();
        }
    }
}
