package io.failback.hostagent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.VmSnapshot;
import io.failback.contracts.site.WorkloadSettings;
import io.failback.hostagent.HostVm.HostDisk;
import io.failback.hostagent.HostVm.HostVmState;
import io.failback.sitedisk.DiskFile;
import io.failback.sitedisk.GeneratedContent;
import io.failback.sitedisk.SiteFiles;
import io.failback.sitedisk.VirtualDisk;
import io.failback.sitedisk.VmDiskRegistry;
import io.failback.sitedisk.VmDisks;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The VMs of this Hyper-V host and their disk images. Each state change, the consistency markers above all, is
 * durable (written, fsynced and atomically renamed) before it is answered. Blocking: used from worker threads.
 */
@ApplicationScoped
public class HostVmStore {
    private static final Logger LOG = Logger.getLogger(HostVmStore.class);
    private final HostAgentConfig config;
    private final ObjectMapper json;
    private final Map<String, HostVm> vms = new ConcurrentHashMap<>();
    /**
     * One lock per VM name, kept for the store's life: operations on one VM run one at a time, those on different VMs
     * at once. One lock for the whole host made every copy's durable checkpoint, every full copy's reset of its disk and
     * every proof wait for each other and held up the creation of the next VM (0.4–1.2 s per VM in a 50-VM plan).
     */
    private final Map<String, Object> vmLocks = new ConcurrentHashMap<>();
    private final VmDiskRegistry disks;

    public HostVmStore(HostAgentConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        this.disks = new VmDiskRegistry(json);
    }

    @PostConstruct
    void load() {
        for (HostVm stored : SiteFiles.readAll(json, vmsDir(), "vm.json", HostVm.class)) {
            VmDisks open = disks.open(stored.name(), vmDir(stored.name()), stored.diskSpecs());
            // Snapshots a crash dropped from the disks are dropped from the VM too.
            List<VmSnapshot> surviving = stored.snapshots().stream()
                    .filter(s -> open.disks().stream().allMatch(d -> d.snapshotIds().contains(s.snapshotId())))
                    .toList();
            HostVm vm = surviving.size() == stored.snapshots().size() ? stored : save(stored.withSnapshots(surviving));
            vms.put(vm.name(), vm);
            if (vm.state() == HostVmState.Running) {
                disks.startWorkload(vm.name(), vm.workload());
            }
        }
    }

    @PreDestroy
    void close() {
        disks.close();
    }

    public List<HostVm> list() {
        return vms.values().stream().sorted(Comparator.comparing(HostVm::name)).toList();
    }

    public HostVm get(String name) {
        HostVm vm = vms.get(name);
        if (vm == null) {
            throw ProblemException.notFound("VmNotFound", "host '" + config.providerId() + "' has no virtual machine named '"
                    + name + "'");
        }
        return vm;
    }

    /** Creates the VM with empty disks, attached to the named switch, which this host must have. */
    public HostVm create(String name, CreateOnPremisesVm request) {
        synchronized (lockOf(name)) {
            if (vms.containsKey(name)) {
                throw ProblemException.conflict("VmExists", "host '" + config.providerId() + "' already has a virtual machine named '"
                        + name + "'");
            }
            if (!config.virtualSwitches().contains(request.virtualSwitchName())) {
                throw new ProblemException(422, "VirtualSwitchNotFound", "host '" + config.providerId()
                        + "' has no virtual switch named '" + request.virtualSwitchName() + "' (it has " + config.virtualSwitches()
                        + "); create a switch of the same name as on the original host");
            }
            for (DiskSpec disk : request.disks()) {
                if (disk.blockSize() != config.blockSize() || disk.sizeBytes() <= 0 || disk.sizeBytes() % disk.blockSize() != 0) {
                    throw ProblemException.badRequest("InvalidDisk", "disk '" + disk.diskId() + "' must have a positive size in whole "
                            + config.blockSize() + "-byte blocks");
                }
            }
            disks.create(name, vmDir(name), request.disks());
            Instant now = Instant.now();
            // New disks hold no data yet: they are consistent only once a synchronization has filled and verified them.
            List<HostDisk> created = request.disks().stream()
                    .map(d -> new HostDisk(d.diskId(), d.sizeBytes(), d.blockSize(), false, null, 0, null))
                    .toList();
            // No workload given: HostVm's own default.
            HostVm vm = save(new HostVm(name, HostVmState.Off, request.virtualSwitchName(), created, request.workload(), List.of(), now,
                    now));
            LOG.infof("virtual machine %s created on switch %s with %d disk(s)", name, request.virtualSwitchName(), created.size());
            return vm;
        }
    }

    /** A VM that already lives on this host: disks filled with generated content, consistent, ready to boot. */
    public HostVm createWithContent(String name, CreateOnPremisesVm request, long contentSeed, int zeroPercent) {
        synchronized (lockOf(name)) {
            HostVm created = create(name, request);
            Random content = new Random(contentSeed);
            for (VirtualDisk disk : disks.get(name).disks()) {
                GeneratedContent.write(disk, content, zeroPercent);
            }
            HostVm filled = created;
            for (HostDisk disk : created.disks()) {
                filled = filled.withDisk(disk.diskId(), d -> d.withConsistent(true));
            }
            return save(filled);
        }
    }

    public HostVm start(String name) {
        synchronized (lockOf(name)) {
            HostVm vm = get(name);
            List<String> inconsistent = vm.disks().stream().filter(d -> !d.consistent()).map(HostDisk::diskId).toList();
            if (!inconsistent.isEmpty()) {
                throw ProblemException.conflict("DiskInconsistent", "virtual machine '" + name + "' may not boot: disk(s) "
                        + inconsistent + " are inconsistent because a data synchronization into them did not complete; "
                        + "re-trigger the failover to complete the synchronization");
            }
            if (vm.state() == HostVmState.Running) {
                return vm;
            }
            HostVm running = save(vm.withState(HostVmState.Running));
            disks.startWorkload(name, running.workload());
            LOG.infof("virtual machine %s started", name);
            return running;
        }
    }

    public HostVm stop(String name) {
        synchronized (lockOf(name)) {
            HostVm vm = get(name);
            if (vm.state() == HostVmState.Off) {
                return vm;
            }
            disks.stopWorkload(name);
            HostVm off = save(vm.withState(HostVmState.Off));
            LOG.infof("virtual machine %s turned off", name);
            return off;
        }
    }

    public HostVm setWorkload(String name, WorkloadSettings settings) {
        synchronized (lockOf(name)) {
            HostVm vm = save(get(name).withWorkload(settings));
            if (vm.state() == HostVmState.Running) {
                disks.startWorkload(name, settings);
            }
            return vm;
        }
    }

    public HostVm delete(String name) {
        synchronized (lockOf(name)) {
            HostVm vm = get(name);
            if (vm.state() == HostVmState.Running) {
                throw ProblemException.conflict("VmRunning", "turn virtual machine '" + name + "' off before deleting it");
            }
            dropSnapshots(vm);
            disks.delete(name, vmDir(name));
            try {
                Files.deleteIfExists(vmDir(name).resolve("vm.json"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete virtual machine " + name, e);
            }
            vms.remove(name);
            LOG.infof("virtual machine %s and its disks deleted", name);
            return vm;
        }
    }

    public VirtualDisk disk(String vmName, String diskId) {
        requireDisk(get(vmName), diskId);
        return disks.get(vmName).disk(diskId);
    }

    /** Marks the disk inconsistent (durably) before anything is written into it. */
    public VirtualDisk openForSynchronization(String vmName, String diskId, boolean fullCopy) {
        synchronized (lockOf(vmName)) {
            HostVm vm = get(vmName);
            requireDisk(vm, diskId);
            if (vm.state() == HostVmState.Running) {
                throw ProblemException.conflict("VmRunning", "virtual machine '" + vmName
                        + "' is running on this host; turn it off before synchronizing data into its disks");
            }
            // Data coming back from Azure replaces what replication snapshots showed: they are dropped.
            vm = dropSnapshots(vm);
            // A full copy starts over: whatever an earlier, interrupted copy recorded no longer holds.
            save(vm.withDisk(diskId, d -> fullCopy ? d.withConsistent(false).withSyncProgress(null, 0) : d.withConsistent(false)));
            VirtualDisk disk = disks.get(vmName).disk(diskId);
            if (fullCopy) {
                disk.zeroAll();
            }
            return disk;
        }
    }

    /** Records, durably, how far synchronization {@code syncId} has made the disk durable. */
    public void recordSyncProgress(String vmName, String diskId, String syncId, long blocksThrough) {
        synchronized (lockOf(vmName)) {
            HostVm vm = get(vmName);
            requireDisk(vm, diskId);
            save(vm.withDisk(diskId, d -> d.withSyncProgress(syncId, blocksThrough)));
        }
    }

    /**
     * Clears the disk's inconsistency marker if its own digest equals the source's; otherwise it stays inconsistent.
     * The disk computes the digest itself (or reuses the one it computed when nothing was written since).
     */
    public HostVm.VerifiedDisk verify(String vmName, String diskId, String expectedDigest) {
        synchronized (lockOf(vmName)) {
            HostVm vm = get(vmName);
            requireDisk(vm, diskId);
            if (vm.state() == HostVmState.Running) {
                throw ProblemException.conflict("VmRunning", "virtual machine '" + vmName + "' is running; only a stopped disk can be verified");
            }
            VirtualDisk disk = disk(vmName, diskId);
            // The VM is off, so nothing writes between reading the point and the digest.
            long trackingPoint = disk.trackingPoint();
            String actual = disk.digest();
            if (!actual.equalsIgnoreCase(expectedDigest)) {
                throw ProblemException.conflict("DigestMismatch", "disk '" + diskId + "' of '" + vmName + "' has digest "
                        + actual + ", the source has " + expectedDigest + "; it stays inconsistent");
            }
            save(vm.withDisk(diskId, d -> d.verifiedAt(trackingPoint)));
            return new HostVm.VerifiedDisk(diskId, DiskFile.DIGEST_ALGORITHM, actual, true);
        }
    }

    /** A consistent snapshot of all the VM's disks, taken while it keeps running (what replication reads from). */
    public VmSnapshot snapshot(String name) {
        synchronized (lockOf(name)) {
            HostVm vm = get(name);
            String id = UUID.randomUUID().toString();
            VmSnapshot snapshot = new VmSnapshot(id, Instant.now(), disks.get(name).snapshot(id));
            List<VmSnapshot> all = new ArrayList<>(vm.snapshots());
            all.add(snapshot);
            save(vm.withSnapshots(all));
            return snapshot;
        }
    }

    public void deleteSnapshot(String name, String snapshotId) {
        synchronized (lockOf(name)) {
            HostVm vm = get(name);
            if (vm.snapshots().stream().noneMatch(s -> s.snapshotId().equals(snapshotId))) {
                throw ProblemException.notFound("SnapshotNotFound", "virtual machine '" + name + "' has no snapshot '" + snapshotId + "'");
            }
            disks.get(name).deleteSnapshot(snapshotId);
            save(vm.withSnapshots(vm.snapshots().stream().filter(s -> !s.snapshotId().equals(snapshotId)).toList()));
        }
    }

    private HostVm dropSnapshots(HostVm vm) {
        if (vm.snapshots().isEmpty()) {
            return vm;
        }
        vm.snapshots().forEach(s -> disks.get(vm.name()).deleteSnapshot(s.snapshotId()));
        return save(vm.withSnapshots(List.of()));
    }

    private HostDisk requireDisk(HostVm vm, String diskId) {
        HostDisk disk = vm.disk(diskId);
        if (disk == null) {
            throw ProblemException.notFound("DiskNotFound", "virtual machine '" + vm.name() + "' has no disk '" + diskId + "'");
        }
        return disk;
    }

    private Object lockOf(String vmName) {
        return vmLocks.computeIfAbsent(vmName, name -> new Object());
    }

    private Path vmsDir() {
        return config.storageDir().resolve("vms");
    }

    private Path vmDir(String vmName) {
        return vmsDir().resolve(vmName);
    }

    private HostVm save(HostVm vm) {
        SiteFiles.writeAtomically(json, vmDir(vm.name()).resolve("vm.json"), vm);
        vms.put(vm.name(), vm);
        return vm;
    }
}
