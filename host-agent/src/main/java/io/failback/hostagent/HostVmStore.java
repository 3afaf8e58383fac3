package io.failback.hostagent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.DiskFile;
import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.SiteFiles;
import io.failback.hostagent.HostVm.HostDisk;
import io.failback.hostagent.HostVm.HostVmState;
import jakarta.annotation.PostConstruct;
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

    public HostVmStore(HostAgentConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
    }

    @PostConstruct
    void load() {
        for (HostVm vm : SiteFiles.readAll(json, vmsDir(), "vm.json", HostVm.class)) {
            vms.put(vm.name(), vm);
        }
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
        for (DiskSpec disk : request.disks()) {
            DiskFile.createZeroed(diskPath(name, disk.diskId()), disk.sizeBytes());
        }
        Instant now = Instant.now();
        // New disks hold no data yet: they are consistent only once a synchronization has filled and verified them.
        List<HostDisk> disks = request.disks().stream()
                .map(d -> new HostDisk(d.diskId(), d.sizeBytes(), d.blockSize(), false))
                .toList();
        return save(new HostVm(name, HostVmState.Off, request.virtualSwitchName(), disks, now, now));
    }

    public synchronized HostVm start(String name) {
        HostVm vm = get(name);
        List<String> inconsistent = vm.disks().stream().filter(d -> !d.consistent()).map(HostDisk::diskId).toList();
        if (!inconsistent.isEmpty()) {
            throw ProblemException.conflict("DiskInconsistent", "virtual machine '" + name + "' may not boot: disk(s) "
                    + inconsistent + " are inconsistent because a data synchronization into them did not complete; "
                    + "re-trigger the failover to complete the synchronization");
        }
        return vm.state() == HostVmState.Running ? vm : save(vm.withState(HostVmState.Running));
    }

    public synchronized HostVm stop(String name) {
        HostVm vm = get(name);
        return vm.state() == HostVmState.Off ? vm : save(vm.withState(HostVmState.Off));
    }

    public synchronized HostVm delete(String name) {
        HostVm vm = get(name);
        if (vm.state() == HostVmState.Running) {
            throw ProblemException.conflict("VmRunning", "turn virtual machine '" + name + "' off before deleting it");
        }
        try {
            for (HostDisk disk : vm.disks()) {
                Files.deleteIfExists(diskPath(name, disk.diskId()));
            }
            Files.deleteIfExists(vmsDir().resolve(name).resolve("vm.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete virtual machine " + name, e);
        }
        vms.remove(name);
        return vm;
    }

    public DiskFile openForRead(String vmName, String diskId) {
        HostDisk disk = requireDisk(get(vmName), diskId);
        return DiskFile.open(diskPath(vmName, diskId), disk.blockSize());
    }

    /** Marks the disk inconsistent (durably) before anything is written into it. */
    public synchronized DiskFile openForSynchronization(String vmName, String diskId, boolean fullCopy) {
        HostVm vm = get(vmName);
        HostDisk disk = requireDisk(vm, diskId);
        if (vm.state() == HostVmState.Running) {
            throw ProblemException.conflict("VmRunning", "virtual machine '" + vmName
                    + "' is running on this host; turn it off before synchronizing data into its disks");
        }
        save(vm.withDiskConsistent(diskId, false));
        Path path = diskPath(vmName, diskId);
        if (fullCopy) {
            DiskFile.createZeroed(path, disk.sizeBytes());
        }
        return DiskFile.open(path, disk.blockSize());
    }

    /** Clears the disk's inconsistency marker if its digest equals the source's; otherwise it stays inconsistent. */
    public synchronized HostDisk verify(String vmName, String diskId, String expectedDigest) {
        HostVm vm = get(vmName);
        requireDisk(vm, diskId);
        String actual;
        try (DiskFile file = openForRead(vmName, diskId)) {
            actual = file.digest();
        }
        if (!actual.equalsIgnoreCase(expectedDigest)) {
            throw ProblemException.conflict("DigestMismatch", "disk '" + diskId + "' of '" + vmName + "' has SHA-256 "
                    + actual + ", the source has " + expectedDigest + "; it stays inconsistent");
        }
        return save(vm.withDiskConsistent(diskId, true)).disk(diskId);
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

    private Path diskPath(String vmName, String diskId) {
        return vmsDir().resolve(vmName).resolve(diskId + ".vhdx.img");
    }

    private HostVm save(HostVm vm) {
        SiteFiles.writeAtomically(json, vmsDir().resolve(vm.name()).resolve("vm.json"), vm);
        vms.put(vm.name(), vm);
        return vm;
    }
}
