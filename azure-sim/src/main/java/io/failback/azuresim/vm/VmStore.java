package io.failback.azuresim.vm;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.azuresim.AzureSimConfig;
import io.failback.azuresim.LocalBlockCopy;
import io.failback.azuresim.replica.Replica;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.VmSnapshot;
import io.failback.contracts.site.WorkloadSettings;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.GeneratedContent;
import io.failback.sitedisk.PageStamps;
import io.failback.sitedisk.SiteFiles;
import io.failback.sitedisk.VirtualDisk;
import io.failback.sitedisk.VmDiskRegistry;
import io.failback.sitedisk.VmDisks;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Azure VMs and their disks under the storage folder. Every state change is written to disk (atomically) before it
 * is answered, and the disks' tracking state is saved on shutdown, so a restart loses nothing. Blocking: used from
 * worker threads.
 */
@ApplicationScoped
public class VmStore {
    private static final Logger LOG = Logger.getLogger(VmStore.class);
    private static final int MIB = 1 << 20;

    private final AzureSimConfig config;
    private final ObjectMapper json;
    private final VmDiskRegistry disks;
    private final Map<String, AzureVm> vms = new ConcurrentHashMap<>();
    /**
     * One lock per VM name, kept for the store's life: operations on one VM run one at a time, those on different VMs
     * at once (a plan's 50 shutdowns no longer wait for each other's durable saves).
     */
    private final Map<String, Object> vmLocks = new ConcurrentHashMap<>();

    public VmStore(AzureSimConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        this.disks = new VmDiskRegistry(json);
    }

    @PostConstruct
    public void load() {
        for (AzureVm vm : SiteFiles.readAll(json, vmsDir(), "vm.json", AzureVm.class)) {
            if (vm.state() == AzureVmState.Deleted) {
                vms.put(vm.name(), vm);
                continue;
            }
            VmDisks open = disks.open(vm.name(), vmDir(vm.name()), vm.disks());
            // Snapshots a crash dropped from the disks are dropped from the VM too.
            Set<String> surviving = open.disks().stream().map(d -> Set.copyOf(d.snapshotIds()))
                    .reduce((a, b) -> a.stream().filter(b::contains).collect(Collectors.toSet())).orElse(Set.of());
            AzureVm loaded = vm.withSnapshots(vm.snapshots().stream().filter(s -> surviving.contains(s.snapshotId())).toList());
            save(loaded);
            if (loaded.state() == AzureVmState.Stopping) {
                save(loaded.withShutdown(open.trackingPoints()));
            } else if (loaded.state() == AzureVmState.Running) {
                disks.startWorkload(loaded.name(), loaded.workload());
            }
        }
    }

    @PreDestroy
    public void close() {
        disks.close();
    }

    public List<AzureVm> list() {
        return vms.values().stream().sorted(Comparator.comparing(AzureVm::name)).toList();
    }

    public AzureVm get(String name) {
        AzureVm vm = vms.get(name);
        if (vm == null || vm.state() == AzureVmState.Deleted) {
            throw ProblemException.notFound("AzureVmNotFound", "no virtual machine named '" + name + "' in Azure");
        }
        return vm;
    }

    public AzureVm create(CreateAzureVm request) {
        synchronized (lockOf(request.name())) {
            AzureVm existing = vms.get(request.name());
            if (existing != null && existing.state() != AzureVmState.Deleted) {
                throw ProblemException.conflict("AzureVmExists", "a virtual machine named '" + request.name() + "' already exists");
            }
            List<DiskSpec> specs = request.disks().stream()
                    .map(d -> {
                        if (d.sizeBytes() % MIB != 0) {
                            throw ProblemException.badRequest("InvalidDiskSize", "disk '" + d.diskId()
                                    + "' size must be a whole number of MiB, got " + d.sizeBytes());
                        }
                        AzureSimConfig.requireWithinMaximum(config, d.diskId(), d.sizeBytes());
                        return new DiskSpec(d.diskId(), d.sizeBytes(), config.blockSize());
                    })
                    .toList();
            if (specs.stream().map(DiskSpec::diskId).distinct().count() != specs.size()) {
                throw ProblemException.badRequest("DuplicateDiskId", "disk ids must be unique within a VM");
            }
            Path dir = vmDir(request.name());
            boolean dirExisted = Files.isDirectory(dir);
            disks.delete(request.name(), dir);
            try {
                VmDisks created = disks.create(request.name(), dir, specs);
                Random content = new Random(request.contentSeed() == null ? System.nanoTime() : request.contentSeed());
                int zeroPercent = request.zeroPercent() == null ? 40 : request.zeroPercent();
                int textPercent = request.textPercent() == null ? 0 : request.textPercent();
                for (VirtualDisk disk : created.disks()) {
                    GeneratedContent.write(disk, content, zeroPercent, textPercent);
                }
                Instant now = Instant.now();
                WorkloadSettings workload = request.workload() == null ? WorkloadSettings.DEFAULT : request.workload();
                AzureVm vm = save(new AzureVm(request.name(), AzureVmState.Running, specs, workload, Map.of(), List.of(), null, now, now));
                disks.startWorkload(vm.name(), workload);
                LOG.infof("Azure VM %s created with %d disk(s), running", vm.name(), specs.size());
                return vm;
            } catch (RuntimeException | Error e) {
                discardHalfCreated(request.name(), dir, dirExisted, existing, e);
                throw e;
            }
        }
    }

    /**
     * Undoes a create that failed half-way: its disks and files go, and the name is as it was before (free, or the
     * record of the VM deleted under it, whose folder is then kept).
     */
    private void discardHalfCreated(String name, Path dir, boolean dirExisted, AzureVm before, Throwable failure) {
        try {
            disks.delete(name, dir);
            if (before == null) {
                vms.remove(name);
            } else {
                save(before);
            }
            if (!dirExisted) {
                SiteFiles.deleteTree(dir);
            }
        } catch (RuntimeException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    /** Refuses a name an existing VM has (a deleted VM's name is free again). */
    public void requireNameFree(String name) {
        AzureVm existing = vms.get(name);
        if (existing != null && existing.state() != AzureVmState.Deleted) {
            throw ProblemException.conflict("AzureVmExists", "a virtual machine named '" + name + "' already exists");
        }
    }

    /**
     * A failover to Azure: a running VM whose disks start as a copy of {@code replicaDisks} (zero blocks skipped): the
     * replica's disks as they were at its recovery point.
     */
    public AzureVm createFromReplica(String name, Replica replica, Map<String, BlockDevice> replicaDisks,
            WorkloadSettings workload) {
        synchronized (lockOf(name)) {
            requireNameFree(name);
            AzureVm existing = vms.get(name);
            Path dir = vmDir(name);
            boolean dirExisted = Files.isDirectory(dir);
            disks.delete(name, dir);
            try {
                VmDisks created = disks.create(name, dir, replica.disks());
                for (VirtualDisk disk : created.disks()) {
                    LocalBlockCopy.copyNonZero(replicaDisks.get(disk.diskId()), disk);
                }
                Instant now = Instant.now();
                WorkloadSettings settings = workload == null ? WorkloadSettings.DEFAULT : workload;
                AzureVm vm = save(new AzureVm(name, AzureVmState.Running, replica.disks(), settings, Map.of(), List.of(),
                        new AzureVm.ReplicaOrigin(replica.itemName(), created.trackingPoints()), now, now));
                disks.startWorkload(name, settings);
                return vm;
            } catch (RuntimeException | Error e) {
                discardHalfCreated(name, dir, dirExisted, existing, e);
                throw e;
            }
        }
    }

    /**
     * Shuts the VM down and deallocates it: the workload stops, then each disk's tracking point is recorded, so
     * that "changed since the snapshot" read after this is final. Shutting down a stopped VM is a no-op.
     */
    public AzureVm shutdown(String name) {
        synchronized (lockOf(name)) {
            AzureVm vm = get(name);
            if (vm.state() == AzureVmState.Stopped) {
                return vm;
            }
            save(vm.withState(AzureVmState.Stopping));
            disks.stopWorkload(name);
            AzureVm stopped = save(vm.withShutdown(disks.get(name).trackingPoints()));
            LOG.infof("Azure VM %s shut down and deallocated", name);
            return stopped;
        }
    }

    public AzureVm start(String name) {
        synchronized (lockOf(name)) {
            AzureVm vm = get(name);
            if (vm.state() == AzureVmState.Running) {
                return vm;
            }
            AzureVm running = save(vm.withState(AzureVmState.Running));
            disks.startWorkload(name, running.workload());
            LOG.infof("Azure VM %s started", name);
            return running;
        }
    }

    public AzureVm setWorkload(String name, WorkloadSettings settings) {
        synchronized (lockOf(name)) {
            AzureVm vm = save(get(name).withWorkload(settings));
            if (vm.state() == AzureVmState.Running) {
                disks.startWorkload(name, settings);
            }
            return vm;
        }
    }

    /** A consistent snapshot of all the VM's disks, taken while it keeps running. */
    public VmSnapshot snapshot(String name) {
        synchronized (lockOf(name)) {
            AzureVm vm = get(name);
            String id = UUID.randomUUID().toString();
            VmSnapshot snapshot = new VmSnapshot(id, Instant.now(), disks.get(name).snapshot(id));
            save(vm.plusSnapshot(snapshot));
            LOG.infof("snapshot %s of Azure VM %s taken", id, name);
            return snapshot;
        }
    }

    public void deleteSnapshot(String name, String snapshotId) {
        synchronized (lockOf(name)) {
            AzureVm vm = get(name);
            if (vm.snapshots().stream().noneMatch(s -> s.snapshotId().equals(snapshotId))) {
                throw ProblemException.notFound("SnapshotNotFound", "virtual machine '" + name + "' has no snapshot '" + snapshotId + "'");
            }
            disks.get(name).deleteSnapshot(snapshotId);
            save(vm.withSnapshots(vm.snapshots().stream().filter(s -> !s.snapshotId().equals(snapshotId)).toList()));
        }
    }

    /** Deletes the VM and its disks (what Commit after failback does). */
    public AzureVm delete(String name) {
        synchronized (lockOf(name)) {
            AzureVm vm = get(name);
            disks.delete(name, vmDir(name));
            AzureVm deleted = save(vm.withState(AzureVmState.Deleted).withSnapshots(List.of()));
            LOG.infof("Azure VM %s and its disks deleted", name);
            return deleted;
        }
    }

    /**
     * What Azure Monitor would tell about the VM's disks: how fast it writes now, and how many blocks it wrote since
     * a failover created it from replica storage (where its disks and the on-premises copy can differ).
     */
    private static Long blocks(PageStamps.Changes changes) {
        return changes == null ? null : changes.blocks().blockCount();
    }

    private static Long bytes(PageStamps.Changes changes, int blockSize) {
        return changes == null ? null : changes.partial().bytesOf(changes.blocks().ranges(), blockSize);
    }

    public VmMetrics metrics(String name) {
        AzureVm vm = get(name);
        boolean writing = vm.state() == AzureVmState.Running && vm.workload().writesPerSecond() > 0;
        List<VmMetrics.DiskMetrics> diskMetrics = vm.disks().stream().map(spec -> {
            VirtualDisk disk = disks.get(name).disk(spec.diskId());
            PageStamps.Changes sinceFailover = vm.replicaOrigin() == null ? null
                    : disk.changedPagesSince(vm.replicaOrigin().trackingPoints().get(spec.diskId()));
            Long shutdownPoint = vm.shutdownTrackingPoints().get(spec.diskId());
            PageStamps.Changes sinceShutdown = shutdownPoint == null ? null : disk.changedPagesSince(shutdownPoint);
            return new VmMetrics.DiskMetrics(spec.diskId(), spec.sizeBytes(), spec.blockSize(), blocks(sinceFailover),
                    blocks(sinceShutdown), dataBytes(disk), bytes(sinceFailover, spec.blockSize()), bytes(sinceShutdown, spec.blockSize()));
        }).toList();
        return new VmMetrics(name, vm.state(), writing ? vm.workload().writesPerSecond() : 0,
                writing ? vm.workload().writeSizeBytes() : 0, diskMetrics);
    }

    /** How many blocks {@link #dataBytes} reads at most. */
    static final int DATA_SAMPLE_BLOCKS = 1024;

    /**
     * The bytes in blocks that are not all zeros (what the failback estimate needs to tell a full download's data from
     * its zeros): every block of a small disk, else {@link #DATA_SAMPLE_BLOCKS} blocks at even steps, scaled up. Even
     * steps suit real disks and the generated content, whose zeros come in 1 MiB extents, far shorter than a step.
     * The disk answers from the hashes it keeps; it reads only blocks it has no hash for. Reading every sample cost
     * a 64 MiB read per failback's start, which a plan of 50 such VMs paid for all of its bytes before copying them.
     */
    static long dataBytes(VirtualDisk disk) {
        long blocks = disk.blockCount();
        long samples = Math.min(blocks, DATA_SAMPLE_BLOCKS);
        ByteBuffer scratch = ByteBuffer.allocate(disk.blockSize());
        long withData = 0;
        for (long i = 0; i < samples; i++) {
            if (disk.holdsData(i * blocks / samples, scratch)) {
                withData++;
            }
        }
        return samples == 0 ? 0 : Math.round((double) withData / samples * blocks) * disk.blockSize();
    }

    public VirtualDisk disk(String vmName, String diskId) {
        get(vmName);
        return disks.get(vmName).disk(diskId);
    }

    private Path vmsDir() {
        return config.storageDir().resolve("vms");
    }

    Path vmDir(String vmName) {
        return vmsDir().resolve(vmName);
    }

    private AzureVm save(AzureVm vm) {
        SiteFiles.writeAtomically(json, vmDir(vm.name()).resolve("vm.json"), vm);
        vms.put(vm.name(), vm);
        return vm;
    }

    private Object lockOf(String vmName) {
        return vmLocks.computeIfAbsent(vmName, name -> new Object());
    }
}
