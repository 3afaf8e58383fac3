package io.failback.azuresim;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.disk.BlockDevice;
import io.failback.contracts.disk.BlockRanges;
import io.failback.contracts.disk.CloudKey;
import io.failback.contracts.disk.EncryptedReplicaDisk;
import io.failback.contracts.disk.VirtualDisk;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.SiteFiles;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Replica storage: per protected item, disks that replicated blocks are written into (through the block API under
 * {@code /api/replicas}), sealed under the cloud's key when data encryption is on. Blocking.
 */
@ApplicationScoped
public class ReplicaStore {
    private final AzureSimConfig config;
    private final ObjectMapper json;
    private final CloudEncryption encryption;
    private final Map<String, Replica> replicas = new ConcurrentHashMap<>();
    private final Map<String, Map<String, BlockDevice>> devices = new ConcurrentHashMap<>();

    public ReplicaStore(AzureSimConfig config, ObjectMapper json, CloudEncryption encryption) {
        this.config = config;
        this.json = json;
        this.encryption = encryption;
    }

    @PostConstruct
    void load() {
        for (Replica replica : SiteFiles.readAll(json, root(), "replica.json", Replica.class)) {
            replicas.put(replica.itemName(), replica);
            devices.put(replica.itemName(), open(replica, false));
        }
    }

    @PreDestroy
    void close() {
        devices.values().forEach(ReplicaStore::closeAll);
    }

    public List<Replica> list() {
        return replicas.values().stream().sorted(Comparator.comparing(Replica::itemName)).toList();
    }

    public Replica get(String itemName) {
        Replica replica = replicas.get(itemName);
        if (replica == null) {
            throw ProblemException.notFound("ReplicaNotFound", "no replica storage for protected item '" + itemName + "'");
        }
        return replica;
    }

    /** Creates empty replica disks, sealed under the cloud's current key if it encrypts. */
    public synchronized Replica create(String itemName, List<DiskSpec> disks) {
        if (replicas.containsKey(itemName)) {
            throw ProblemException.conflict("ReplicaExists", "protected item '" + itemName + "' already has replica storage");
        }
        CloudKey key = encryption.currentKey();
        Replica replica = new Replica(itemName, List.copyOf(disks), key == null ? null : key.certificateId(), null, null, Instant.now());
        devices.put(itemName, open(replica, true));
        return save(replica);
    }

    public synchronized Replica recordRecoveryPoint(String itemName, Replica.RecoveryPoint point) {
        return save(get(itemName).withRecoveryPoint(point));
    }

    /**
     * Commit after failback: the replica takes the final content of the stopped Azure VM's disks, so that it holds
     * exactly what the on-premises VM started from. When the VM was created from this replica only the blocks it
     * wrote since are copied; otherwise the replica is rebuilt from the VM's disks.
     *
     * @param sourceTrackingPoints the on-premises disks' tracking points when the VM started there: Reverse
     *            Replicate sends what changed since
     */
    public synchronized Replica retain(String itemName, AzureVm vm, Map<String, VirtualDisk> vmDisks,
            Map<String, Long> sourceTrackingPoints) {
        if (vm.state() != AzureVmState.Stopped) {
            throw ProblemException.conflict("AzureVmRunning", "virtual machine '" + vm.name() + "' is " + vm.state()
                    + "; its disks can be kept as replica storage only once it is shut down");
        }
        if (!sourceTrackingPoints.keySet().equals(vmDisks.keySet())) {
            throw ProblemException.badRequest("TrackingPointsMismatch", "tracking points are needed for exactly the disks "
                    + vmDisks.keySet() + ", got " + sourceTrackingPoints.keySet());
        }
        Replica existing = replicas.get(itemName);
        boolean vmCameFromIt = existing != null && vm.replicaOrigin() != null && itemName.equals(vm.replicaOrigin().itemName())
                && existing.disks().equals(vm.disks());
        if (vmCameFromIt) {
            for (DiskSpec disk : vm.disks()) {
                VirtualDisk from = vmDisks.get(disk.diskId());
                BlockRanges written = from.changedSince(vm.replicaOrigin().trackingPoints().get(disk.diskId()));
                LocalBlockCopy.copy(from, device(itemName, disk.diskId()), written.ranges(), false);
            }
        } else {
            if (existing != null) {
                delete(itemName);
            }
            create(itemName, vm.disks());
            for (DiskSpec disk : vm.disks()) {
                LocalBlockCopy.copyNonZero(vmDisks.get(disk.diskId()), device(itemName, disk.diskId()));
            }
        }
        return recordRecoveryPoint(itemName, new Replica.RecoveryPoint(vm.stateChangedAt(), Map.copyOf(sourceTrackingPoints)));
    }

    /** Removes the replica storage and its disks (disable protection, or a replica rebuilt from scratch). */
    public synchronized void delete(String itemName) {
        get(itemName);
        Map<String, BlockDevice> opened = devices.remove(itemName);
        replicas.remove(itemName);
        if (opened != null) {
            closeAll(opened);
        }
        SiteFiles.deleteTree(root().resolve(itemName));
    }

    synchronized Replica markFailedOver(String itemName, String vmName) {
        return save(get(itemName).withFailover(vmName));
    }

    public BlockDevice device(String itemName, String diskId) {
        get(itemName);
        BlockDevice device = devices.get(itemName).get(diskId);
        if (device == null) {
            throw ProblemException.notFound("DiskNotFound", "replica of '" + itemName + "' has no disk '" + diskId + "'");
        }
        return device;
    }

    private Map<String, BlockDevice> open(Replica replica, boolean create) {
        Path dir = root().resolve(replica.itemName());
        CloudKey key = replica.encryptionCertificateId() == null ? null : encryption.key(replica.encryptionCertificateId());
        Map<String, BlockDevice> opened = new LinkedHashMap<>();
        for (DiskSpec disk : replica.disks()) {
            BlockDevice device;
            if (key != null) {
                device = create ? EncryptedReplicaDisk.create(dir, disk.diskId(), disk.sizeBytes(), disk.blockSize(), key)
                        : EncryptedReplicaDisk.open(dir, disk.diskId(), disk.blockSize(), key);
            } else {
                device = create ? VirtualDisk.create(json, dir, disk.diskId(), disk.sizeBytes(), disk.blockSize())
                        : VirtualDisk.open(json, dir, disk.diskId(), disk.blockSize());
            }
            opened.put(disk.diskId(), device);
        }
        return opened;
    }

    private static void closeAll(Map<String, BlockDevice> opened) {
        for (BlockDevice device : opened.values()) {
            try {
                ((Closeable) device).close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private Path root() {
        return config.storageDir().resolve("replicas");
    }

    private Replica save(Replica replica) {
        SiteFiles.writeAtomically(json, root().resolve(replica.itemName()).resolve("replica.json"), replica);
        replicas.put(replica.itemName(), replica);
        return replica;
    }
}
