package io.failback.azuresim.replica;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.azuresim.AzureSimConfig;
import io.failback.azuresim.CloudEncryption;
import io.failback.azuresim.LocalBlockCopy;
import io.failback.azuresim.vm.AzureVm;
import io.failback.azuresim.vm.AzureVmState;
import io.failback.azuresim.vm.VmStore;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.ProblemException;
import io.failback.contracts.site.WorkloadSettings;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.EncryptedReplicaDisk;
import io.failback.sitedisk.SiteFiles;
import io.failback.sitedisk.VirtualDisk;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Replica storage: per protected item, disks that replicated blocks are written into (through the block API under
 * {@code /api/replicas}), sealed under the cloud's key when data encryption is on. Every replica disk keeps an undo
 * journal ({@link JournaledReplicaDisk}), so that a failover starts from exactly the latest recovery point even when a
 * replication cycle was cut off half-way. Blocking.
 */
@ApplicationScoped
public class ReplicaStore {
    private static final Logger LOG = Logger.getLogger(ReplicaStore.class);

    private final AzureSimConfig config;
    private final ObjectMapper json;
    private final CloudEncryption encryption;
    private final VmStore vms;
    private final Map<String, Replica> replicas = new ConcurrentHashMap<>();
    private final Map<String, Map<String, JournaledReplicaDisk>> devices = new ConcurrentHashMap<>();

    public ReplicaStore(AzureSimConfig config, ObjectMapper json, CloudEncryption encryption, VmStore vms) {
        this.config = config;
        this.json = json;
        this.encryption = encryption;
        this.vms = vms;
    }

    @PostConstruct
    public void load() {
        for (Replica replica : SiteFiles.readAll(json, root(), "replica.json", Replica.class)) {
            replicas.put(replica.itemName(), replica);
            Map<String, JournaledReplicaDisk> opened = open(replica, false);
            devices.put(replica.itemName(), opened);
            opened.values().stream().filter(d -> d.journaledBlocks() > 0).forEach(d -> LOG.infof(
                    "replica of %s, disk %s: %d blocks written since the recovery point (a replication cycle that did not "
                            + "finish); a failover puts them back first", replica.itemName(), d.diskId(), d.journaledBlocks()));
        }
    }

    @PreDestroy
    public void close() {
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

    /**
     * The replica now holds the source as it was at {@code point}: its disks are forced, the point saved, and each
     * disk's undo journal starts again from it (a crash in between leaves a journal of the older point, which is
     * dropped when the store loads).
     */
    public synchronized Replica recordRecoveryPoint(String itemName, Replica.RecoveryPoint point) {
        Replica replica = get(itemName);
        Map<String, JournaledReplicaDisk> disks = devices.get(itemName);
        disks.values().forEach(BlockDevice::force);
        Replica recorded = save(replica.withRecoveryPoint(point));
        String tag = JournaledReplicaDisk.tag(point);
        disks.values().forEach(disk -> disk.recoveryPointRecorded(tag));
        return recorded;
    }

    /**
     * Failover to Azure: a running VM whose disks are a copy of the replica at exactly its latest recovery point,
     * whatever a replication cycle cut off half-way left in the replica. A failover proper first rolls the replica
     * back to the point (it then holds what the VM started from, which Commit after failback relies on) and records
     * the VM as the one the item failed over to. A test failover ({@code test}) copies the point without changing
     * the replica or the item: replication goes on into it, and the test VM's disks are a copy of their own.
     */
    public synchronized AzureVm failover(String itemName, String vmName, WorkloadSettings workload, boolean test) {
        Replica replica = get(itemName);
        if (replica.recoveryPoint() == null) {
            throw ProblemException.conflict("NoRecoveryPoint", "replica of '" + itemName
                    + "' has no recovery point yet: initial replication has not completed");
        }
        vms.requireNameFree(vmName);
        Map<String, BlockDevice> atPoint = new LinkedHashMap<>();
        for (DiskSpec disk : replica.disks()) {
            JournaledReplicaDisk journaled = journaled(itemName, disk.diskId());
            if (!test) {
                int restored = journaled.rollBack();
                if (restored > 0) {
                    LOG.infof("replica of %s, disk %s: %d blocks written after the recovery point put back before failover",
                            itemName, disk.diskId(), restored);
                }
            }
            atPoint.put(disk.diskId(), journaled.atRecoveryPoint());
        }
        AzureVm vm = vms.createFromReplica(vmName, replica, atPoint, workload);
        if (!test) {
            markFailedOver(itemName, vm.name());
        }
        return vm;
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
        // A test failover's VM came from the replica too, but the replica went on after it: only the VM of the
        // failover proper starts from what the replica holds once rolled back.
        boolean vmCameFromIt = existing != null && vm.replicaOrigin() != null && itemName.equals(vm.replicaOrigin().itemName())
                && vm.name().equals(existing.failedOverTo()) && existing.disks().equals(vm.disks());
        if (vmCameFromIt) {
            for (DiskSpec disk : vm.disks()) {
                VirtualDisk from = vmDisks.get(disk.diskId());
                JournaledReplicaDisk to = journaled(itemName, disk.diskId());
                to.rollBack();
                BlockRanges written = from.changedSince(vm.replicaOrigin().trackingPoints().get(disk.diskId()));
                LocalBlockCopy.copy(from, to, written.ranges(), false);
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
        Map<String, JournaledReplicaDisk> opened = devices.remove(itemName);
        replicas.remove(itemName);
        if (opened != null) {
            closeAll(opened);
        }
        SiteFiles.deleteTree(root().resolve(itemName));
    }

    synchronized Replica markFailedOver(String itemName, String vmName) {
        return save(get(itemName).withFailover(vmName));
    }

    /** The replica disk the block API reads and writes (its current content; writes are journaled). */
    public BlockDevice device(String itemName, String diskId) {
        return journaled(itemName, diskId);
    }

    JournaledReplicaDisk journaled(String itemName, String diskId) {
        get(itemName);
        JournaledReplicaDisk device = devices.get(itemName).get(diskId);
        if (device == null) {
            throw ProblemException.notFound("DiskNotFound", "replica of '" + itemName + "' has no disk '" + diskId + "'");
        }
        return device;
    }

    private Map<String, JournaledReplicaDisk> open(Replica replica, boolean create) {
        Path dir = root().resolve(replica.itemName());
        CloudKey key = replica.encryptionCertificateId() == null ? null : encryption.key(replica.encryptionCertificateId());
        String recoveryPoint = replica.recoveryPoint() == null ? null : JournaledReplicaDisk.tag(replica.recoveryPoint());
        Map<String, JournaledReplicaDisk> opened = new LinkedHashMap<>();
        for (DiskSpec disk : replica.disks()) {
            BlockDevice device;
            if (key != null) {
                device = create ? EncryptedReplicaDisk.create(dir, disk.diskId(), disk.sizeBytes(), disk.blockSize(), key)
                        : EncryptedReplicaDisk.open(dir, disk.diskId(), disk.blockSize(), key);
            } else {
                device = create ? VirtualDisk.create(json, dir, disk.diskId(), disk.sizeBytes(), disk.blockSize())
                        : VirtualDisk.open(json, dir, disk.diskId(), disk.blockSize());
            }
            opened.put(disk.diskId(), JournaledReplicaDisk.open(device, dir, recoveryPoint));
        }
        return opened;
    }

    private static void closeAll(Map<String, JournaledReplicaDisk> opened) {
        opened.values().forEach(JournaledReplicaDisk::close);
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
