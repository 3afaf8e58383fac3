package io.failback.sync.runs;

import io.failback.sync.metrics.SyncMetrics;

import io.failback.sync.blocks.BlockRelay;
import io.failback.sync.blocks.HashComparer;
import io.failback.sync.blocks.SelectedBlocks;
import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteAnswers;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.SiteVm;
import io.failback.contracts.site.VmSnapshot;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One replication of an on-premises VM into its replica storage in Azure, read from a consistent snapshot of the
 * running VM: every block when the replica has no recovery point yet (initial replication), otherwise only the blocks
 * the host's change tracking reports since the replica's recovery point. Only once every disk arrived does the
 * replica record the snapshot's moment as its new recovery point; an interrupted replication leaves the old one, and
 * the next sends the same blocks again (and more), so the replica converges.
 * <p>
 * A planned failover to Azure (PrimaryToRecovery) is the same replication, verified, between shutting the
 * on-premises VM down and starting the Azure VM from the replica: nothing written on-premises is left behind.
 */
public final class ReplicationRun extends DataRun {
    private static final Logger LOG = Logger.getLogger(ReplicationRun.class);

    private final SyncCommand.OnPremisesVm source;
    private final SiteClient azure;
    private final SiteClient host;
    private final HashComparer hashes;

    ReplicationRun(SyncCommand command, SyncCommand.OnPremisesVm source, SiteClient azure, SiteClient host, BlockRelay relay,
            HashComparer hashes, SyncEventPublisher publisher, Patience patience, Duration progressInterval, CopySlots slots,
            SyncMetrics metrics) {
        super(command, publisher, patience, relay, progressInterval, slots, metrics);
        this.source = source;
        this.azure = azure;
        this.host = host;
        this.hashes = hashes;
    }

    @Override
    protected Uni<Outcome> tasks() {
        if (command.replicate() != null) {
            return replicateOnce(command.replicate().verify(), command.replicate().resynchronize());
        }
        String azureVmName = command.plannedFailover().azureVm().vmName();
        return task(SyncTask.ShutdownOnPremisesVm, () -> host.post("/api/vms/" + source.vmName() + "/stop"))
                .chain(() -> replicateOnce(true, false))
                .call(() -> task(SyncTask.FailoverToAzure, () -> RecoveryInAzureRun.failoverToAzure(azure, command.itemName(), azureVmName)));
    }

    private Uni<Outcome> replicateOnce(boolean verify, boolean resynchronize) {
        String vmName = source.vmName();
        return task(SyncTask.ReplicateToAzure, () -> host.findVm(vmName)
                .onItem().ifNull().failWith(() -> new SiteCallException("OnPremisesVmNotFound", "host '"
                        + source.providerId() + "' has no virtual machine '" + vmName + "'"))
                .chain(vm -> replica(vm).chain(replica -> host.snapshot(vmName)
                        .chain(snapshot -> replicate(vm, replica, snapshot, verify, resynchronize)
                                // A host that restarted after a crash has dropped its snapshots: the cycle is done again
                                // from a new one, as after any outage of the host.
                                .onFailure(SiteCallException.class).transform(failure -> lostSnapshot((SiteCallException) failure))
                                .eventually(() -> host.delete("/api/vms/" + vmName + "/snapshots/" + snapshot.snapshotId())
                                        .onFailure().invoke(e -> LOG.infof("snapshot %s not deleted: %s", snapshot.snapshotId(), e.getMessage()))
                                        .onFailure().recoverWithNull())))));
    }

    private Throwable lostSnapshot(SiteCallException failure) {
        return "SnapshotNotFound".equals(failure.code()) && !failure.isTransient()
                ? SiteCallException.partAway("SnapshotLost", failure.getMessage() + " (the host restarted since it took it)", host.url("/"))
                : failure;
    }

    private Uni<Outcome> replicate(SiteVm vm, SiteAnswers.Replica replica, VmSnapshot snapshot, boolean verify, boolean resynchronize) {
        SiteAnswers.RecoveryPoint recoveryPoint = replica.recoveryPoint();
        Map<String, Long> since = recoveryPoint == null ? null : recoveryPoint.sourceTrackingPoints();
        if (since == null) {
            LOG.infof("%s: initial replication of %s", command.itemName(), vm.disks());
        }
        return copyDisks(SyncTask.ReplicateToAzure, vm.disks(), disk -> resynchronize ? differingBlocks(snapshot)
                : since == null ? everyBlock(snapshot) : changedSince(snapshot, since.get(disk.diskId())))
                .chain(() -> verify ? verify(vm.disks(), snapshot) : Uni.createFrom().item(List.<DiskVerification>of()))
                .call(() -> azure.postJson("/api/replicas/" + command.itemName() + "/recoveryPoints",
                        Map.of("consistentAt", snapshot.createdAt().toString(), "sourceTrackingPoints", snapshot.trackingPoints()),
                        200))
                .map(verifications -> Outcome.replicated(verifications, snapshot.createdAt()));
    }

    /** The item's replica storage; created empty, with the VM's disk layout, the first time. */
    private Uni<SiteAnswers.Replica> replica(SiteVm vm) {
        String path = "/api/replicas/" + command.itemName();
        return azure.getOrNull(path, SiteAnswers.Replica.class).chain(existing -> {
            if (existing == null) {
                List<Map<String, Object>> disks = vm.disks().stream()
                        .map(d -> Map.<String, Object>of("diskId", d.diskId(), "sizeBytes", d.sizeBytes())).toList();
                return azure.putJson(path, Map.of("disks", disks), 201, SiteAnswers.Replica.class);
            }
            List<DiskSpec> replicaDisks = existing.disks();
            if (!(replicaDisks.size() == vm.disks().size() && replicaDisks.containsAll(vm.disks()))) {
                return Uni.createFrom().failure(new SiteCallException("ReplicaLayoutMismatch", "the replica of '" + command.itemName()
                        + "' has disks " + replicaDisks + ", the on-premises VM has " + vm.disks()
                        + "; disable protection and enable it again"));
            }
            return Uni.createFrom().item(existing);
        });
    }

    private DiskCopy everyBlock(VmSnapshot snapshot) {
        return (disk, progress) -> {
            progress.scanned.addAndGet(disk.sizeBytes());
            progress.toSend.addAndGet(disk.sizeBytes());
            return relayed(progress, counters -> relay.relay(
                    host, host.url(diskPath(source.vmName(), disk) + "/blocks?snapshot=" + snapshot.snapshotId()),
                    azure, azure.url(replicaDiskPath(disk) + "/blocks?fullCopy=true"), counters));
        };
    }

    private DiskCopy changedSince(VmSnapshot snapshot, Long trackingPoint) {
        return (disk, progress) -> {
            if (trackingPoint == null) {
                return Uni.createFrom().failure(new SiteCallException("RecoveryPointIncomplete", "the replica's recovery point has "
                        + "no tracking point for disk " + disk.diskId() + "; repair replication"));
            }
            return host.changedBlocks(diskPath(source.vmName(), disk), trackingPoint).chain(changed -> {
                SelectedBlocks written = SelectedBlocks.of(changed);
                // Read (the pages out of their blocks) on the host, and hashed again whole for the proof in Azure.
                progress.scanned.addAndGet(written.blockCount() * disk.blockSize());
                progress.toSend.addAndGet(written.bytes());
                return sendSelected(snapshot, disk, written, progress);
            });
        };
    }

    /**
     * Repair replication: change tracking is not trusted; both sites hash every block at once (the host its snapshot,
     * Azure the replica) and only the blocks whose hashes differ travel, of those differing only in some 4 KiB pages
     * only those pages.
     */
    private DiskCopy differingBlocks(VmSnapshot snapshot) {
        return (disk, progress) -> {
            String snapshotDisk = diskPath(source.vmName(), disk);
            return hashes.differingPages(
                            new HashComparer.Side(host, host.url(snapshotDisk + "/hashes?snapshot=" + snapshot.snapshotId()),
                                    host.url(snapshotDisk + "/hashes/select?snapshot=" + snapshot.snapshotId()), "the host"),
                            new HashComparer.Side(azure, azure.url(replicaDiskPath(disk) + "/hashes"),
                                    azure.url(replicaDiskPath(disk) + "/hashes/select"), "the replica"),
                            // Repair: a replica changed behind its back keeps hashes of what it wrote, not of what it holds.
                            disk.blockSize(), disk.blockCount(), false, blocks -> progress.scanned.addAndGet(blocks * disk.blockSize()))
                    .chain(differing -> {
                        LOG.infof("%s: resynchronizing disk %s: %d of %d blocks differ (%d of them in only some pages)", command.itemName(),
                                disk.diskId(), differing.blockCount(), disk.blockCount(), differing.pages().size());
                        progress.toSend.addAndGet(differing.bytes());
                        return sendSelected(snapshot, disk, differing, progress);
                    });
        };
    }

    private Uni<io.failback.contracts.site.BlockWriteSummary> sendSelected(VmSnapshot snapshot, DiskSpec disk, SelectedBlocks selected,
            Progress progress) {
        return relayed(progress, counters -> relay.relaySelected(
                host, host.url(diskPath(source.vmName(), disk) + "/blocks/select?snapshot=" + snapshot.snapshotId()), selected.body(),
                azure, azure.url(replicaDiskPath(disk) + "/blocks"), counters));
    }

    /** The replica must now read exactly as the snapshot: both sides hash their disk at the same time. */
    private Uni<List<DiskVerification>> verify(List<DiskSpec> disks, VmSnapshot snapshot) {
        long started = System.nanoTime();
        return Multi.createFrom().iterable(disks)
                .onItem().transformToUniAndConcatenate(disk -> Uni.combine().all()
                        .unis(host.digest(diskPath(source.vmName(), disk), snapshot.snapshotId()),
                                azure.digest(replicaDiskPath(disk), null))
                        .asTuple()
                        .chain(digests -> {
                            String source = digests.getItem1().digest();
                            String target = digests.getItem2().digest();
                            if (!source.equals(target)) {
                                return Uni.createFrom().failure(new SiteCallException("ReplicaDigestMismatch", "the replica of disk "
                                        + disk.diskId() + " has SHA-256 " + target + ", the on-premises snapshot has " + source
                                        + "; repair replication"));
                            }
                            return Uni.createFrom().item(new DiskVerification(disk.diskId(), disk.sizeBytes(),
                                    digests.getItem1().algorithm(), source, target));
                        }))
                .collect().asList()
                .onItemOrFailure().invoke((verified, failure) -> metrics.proof(SyncMetrics.ProofTarget.Azure,
                        Duration.ofNanos(System.nanoTime() - started), failure == null));
    }

    private String replicaDiskPath(DiskSpec disk) {
        return "/api/replicas/" + command.itemName() + "/disks/" + disk.diskId();
    }
}
