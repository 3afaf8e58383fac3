package io.failback.hostagent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.disk.VirtualDisk;
import io.failback.contracts.disk.VmDiskRegistry;
import io.failback.contracts.disk.WorkloadSettings;
import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.SiteFiles;
import io.failback.hostagent.HostVm.HostDisk;
import io.failback.hostagent.HostVm.HostVmState;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The VMs of this Hyper-V host and their disk images. Each state change, the consistency markers above all, is
 * durable (written, fsynced and atomically renamed) before it is answered. Blocking: used from worker threads.
 */
@ApplicationScoped
public class HostVmStore {
    private final HostAgentConfig config;
    private final ObjectMapper json;
    private final Map<String, HostVm> vms = new ConcurrentHashMap<>();
    private final VmDiskRegistry disks;

    public HostVmStore(HostAgentConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        this.disks = new VmDiskRegistry(json);
    }

    @PostConstruct
    void load() {
        for (HostVm vm : SiteFiles.readAll(json, vmsDir(), "vm.json", HostVm.class)) {
            vms.put(vm.name(), vm);
            disks.open(vm.name(), vmDir(vm.name()), vm.diskSpecs());
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
    public synchronized HostVm create(String name, CreateOnPremisesVm request) {
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
                .map(d -> new HostDisk(d.diskId(), d.sizeBytes(), d.blockSize(), false, null, 0))
                .toList();
        return save(new HostVm(name, HostVmState.Off, request.virtualSwitchName(), created, WorkloadSettings.DEFAULT, Map.of(),
                now, now));
    }

    public synchronized HostVm start(String name) {
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
        // Changed-block tracking for Reverse Replicate counts from here.
        HostVm running = save(vm.started(disks.get(name).trackingPoints()));
        disks.startWorkload(name, running.workload());
        return running;
    }

    public synchronized HostVm stop(String name) {
        HostVm vm = get(name);
        if (vm.state() == HostVmState.Off) {
            return vm;
        }
        disks.stopWorkload(name);
        return save(vm.withState(HostVmState.Off));
    }

    public synchronized HostVm setWorkload(String name, WorkloadSettings settings) {
        HostVm vm = save(get(name).withWorkload(settings));
        if (vm.state() == HostVmState.Running) {
            disks.startWorkload(name, settings);
        }
        return vm;
    }

    public synchronized HostVm delete(String name) {
        HostVm vm = get(name);
        if (vm.state() == HostVmState.Running) {
            throw ProblemException.conflict("VmRunning", "turn virtual machine '" + name + "' off before deleting it");
        }
        disks.delete(name, vmDir(name));
        try {
            Files.deleteIfExists(vmDir(name).resolve("vm.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete virtual machine " + name, e);
        }
        vms.remove(name);
        return vm;
    }

    public VirtualDisk disk(String vmName, String diskId) {
        requireDisk(get(vmName), diskId);
        return disks.get(vmName).disk(diskId);
    }

    /** Marks the disk inconsistent (durably) before anything is written into it. */
    public synchronized VirtualDisk openForSynchronization(String vmName, String diskId, boolean fullCopy) {
        HostVm vm = get(vmName);
        requireDisk(vm, diskId);
        if (vm.state() == HostVmState.Running) {
            throw ProblemException.conflict("VmRunning", "virtual machine '" + vmName
                    + "' is running on this host; turn it off before synchronizing data into its disks");
        }
        // A full copy starts over: whatever an earlier, interrupted copy recorded no longer holds.
        save(vm.withDisk(diskId, d -> fullCopy ? d.withConsistent(false).withSyncProgress(null, 0) : d.withConsistent(false)));
        VirtualDisk disk = disks.get(vmName).disk(diskId);
        if (fullCopy) {
            disk.zeroAll();
        }
        return disk;
    }

    /** Records, durably, how far synchronization {@code syncId} has made the disk durable. */
    public synchronized void recordSyncProgress(String vmName, String diskId, String syncId, long blocksThrough) {
        HostVm vm = get(vmName);
        requireDisk(vm, diskId);
        save(vm.withDisk(diskId, d -> d.withSyncProgress(syncId, blocksThrough)));
    }

    /** Clears the disk's inconsistency marker if its digest equals the source's; otherwise it stays inconsistent. */
    public synchronized HostDisk verify(String vmName, String diskId, String expectedDigest) {
        HostVm vm = get(vmName);
        requireDisk(vm, diskId);
        String actual = disk(vmName, diskId).digest();
        if (!actual.equalsIgnoreCase(expectedDigest)) {
            throw ProblemException.conflict("DigestMismatch", "disk '" + diskId + "' of '" + vmName + "' has SHA-256 "
                    + actual + ", the source has " + expectedDigest + "; it stays inconsistent");
        }
        return save(vm.withDisk(diskId, d -> d.withConsistent(true))).disk(diskId);
    }

    private HostDisk requireDisk(HostVm vm, String diskId) {
        HostDisk disk = vm.disk(diskId);
        if (disk == null) {
            throw ProblemException.notFound("DiskNotFound", "virtual machine '" + vm.name() + "' has no disk '" + diskId + "'");
        }
        return disk;
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
