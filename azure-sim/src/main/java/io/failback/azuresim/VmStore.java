package io.failback.azuresim;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.DiskFile;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.SiteFiles;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Azure VMs and their disk images under the storage folder. Every state change is written to disk (atomically)
 * before it is answered, so a restart loses nothing. Blocking: used from worker threads.
 */
@ApplicationScoped
public class VmStore {
    private static final int MIB = 1 << 20;

    private final AzureSimConfig config;
    private final ObjectMapper json;
    private final Map<String, AzureVm> vms = new ConcurrentHashMap<>();

    public VmStore(AzureSimConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
    }

    @PostConstruct
    void load() {
        for (AzureVm vm : SiteFiles.readAll(json, vmsDir(), "vm.json", AzureVm.class)) {
            vms.put(vm.name(), vm);
        }
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

    public synchronized AzureVm create(CreateAzureVm request) {
        AzureVm existing = vms.get(request.name());
        if (existing != null && existing.state() != AzureVmState.Deleted) {
            throw ProblemException.conflict("AzureVmExists", "a virtual machine named '" + request.name() + "' already exists");
        }
        List<DiskSpec> disks = request.disks().stream()
                .map(d -> {
                    if (d.sizeBytes() % MIB != 0) {
                        throw ProblemException.badRequest("InvalidDiskSize", "disk '" + d.diskId()
                                + "' size must be a whole number of MiB, got " + d.sizeBytes());
                    }
                    return new DiskSpec(d.diskId(), d.sizeBytes(), config.blockSize());
                })
                .toList();
        if (disks.stream().map(DiskSpec::diskId).distinct().count() != disks.size()) {
            throw ProblemException.badRequest("DuplicateDiskId", "disk ids must be unique within a VM");
        }
        Random content = new Random(request.contentSeed() == null ? System.nanoTime() : request.contentSeed());
        int zeroPercent = request.zeroPercent() == null ? 40 : request.zeroPercent();
        for (DiskSpec disk : disks) {
            writeGeneratedContent(diskPath(request.name(), disk.diskId()), disk, content, zeroPercent);
        }
        Instant now = Instant.now();
        AzureVm vm = new AzureVm(request.name(), AzureVmState.Running, disks, now, now);
        save(vm);
        return vm;
    }

    /** Shuts the VM down and deallocates it; its disks stay. Shutting down a stopped VM is a no-op. */
    public synchronized AzureVm shutdown(String name) {
        AzureVm vm = get(name);
        if (vm.state() == AzureVmState.Stopped) {
            return vm;
        }
        save(vm.withState(AzureVmState.Stopping));
        return save(vm.withState(AzureVmState.Stopped));
    }

    public synchronized AzureVm start(String name) {
        AzureVm vm = get(name);
        return vm.state() == AzureVmState.Running ? vm : save(vm.withState(AzureVmState.Running));
    }

    /** Deletes the VM and its disk images (what Commit after failback does). */
    public synchronized AzureVm delete(String name) {
        AzureVm vm = get(name);
        AzureVm deleted = save(vm.withState(AzureVmState.Deleted));
        for (DiskSpec disk : vm.disks()) {
            try {
                Files.deleteIfExists(diskPath(name, disk.diskId()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete disk " + disk.diskId() + " of " + name, e);
            }
        }
        return deleted;
    }

    public DiskFile openDisk(String vmName, String diskId) {
        AzureVm vm = get(vmName);
        DiskSpec disk = vm.disk(diskId);
        if (disk == null) {
            throw ProblemException.notFound("DiskNotFound", "virtual machine '" + vmName + "' has no disk '" + diskId + "'");
        }
        return DiskFile.open(diskPath(vmName, diskId), disk.blockSize());
    }

    Path diskPath(String vmName, String diskId) {
        return vmsDir().resolve(vmName).resolve(diskId + ".img");
    }

    private Path vmsDir() {
        return config.storageDir().resolve("vms");
    }

    private AzureVm save(AzureVm vm) {
        SiteFiles.writeAtomically(json, vmsDir().resolve(vm.name()).resolve("vm.json"), vm);
        vms.put(vm.name(), vm);
        return vm;
    }

    /** Extents of 1 MiB, each either left as a hole (zeros) or filled with random bytes. */
    private static void writeGeneratedContent(Path path, DiskSpec disk, Random random, int zeroPercent) {
        DiskFile.createZeroed(path, disk.sizeBytes());
        try (DiskFile file = DiskFile.open(path, disk.blockSize())) {
            byte[] extent = new byte[MIB];
            long blocksPerExtent = MIB / disk.blockSize();
            for (long offset = 0; offset < disk.sizeBytes(); offset += MIB) {
                if (random.nextInt(100) < zeroPercent) {
                    continue;
                }
                random.nextBytes(extent);
                file.write(offset / MIB * blocksPerExtent, ByteBuffer.wrap(extent));
            }
            file.force();
        }
    }
}
