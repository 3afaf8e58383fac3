package io.failback.sync.runs;

import io.failback.sync.metrics.SyncMetrics;

import io.failback.sync.blocks.BlockRelay;
import io.failback.sync.blocks.HashComparer;
import io.failback.sync.blocks.SelectedBlocks;
import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteAnswers;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.BlockWriteSummary;
import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.SiteVm;
import io.failback.contracts.site.VmSnapshot;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * One planned failover from Azure to the on-premises host, in one of its three shapes:
 * <ul>
 * <li>ForSynchronization (full download): shut the Azure VM down, stream every disk, start the VM on-premises;</li>
 * <li>ForDownTime, phase 1: snapshot the running Azure VM, hash both sides, send only the blocks that differ, then
 * suspend until "Complete Failover";</li>
 * <li>ForDownTime, phase 2: shut the Azure VM down, send only the blocks written since the snapshot (from its
 * changed-block tracking, no rescan), start the VM on-premises.</li>
 * </ul>
 * The target is checked first, before the Azure VM goes down, and every copy that ends the failback is proven with
 * a whole-disk digest (SHA-256 over the blocks' SHA-256) on both sides before the on-premises VM may start.
 */
public final class PlannedFailbackRun extends DataRun {
    private static final Logger LOG = Logger.getLogger(PlannedFailbackRun.class);

    private final SyncCommand.PlannedFailover spec;
    private final SiteClient azure;
    private final SiteClient host;
    private final HashComparer hashes;

    PlannedFailbackRun(SyncCommand command, SiteClient azure, SiteClient host, BlockRelay relay, HashComparer hashes,
            SyncEventPublisher publisher, Patience patience, Duration progressInterval, CopySlots slots, SyncMetrics metrics) {
        super(command, publisher, patience, relay, progressInterval, slots, metrics);
        this.spec = command.plannedFailover();
        this.azure = azure;
        this.host = host;
        this.hashes = hashes;
    }

    @Override
    protected Uni<Outcome> tasks() {
        if (spec.dataSyncOption() == DataSyncOption.ForSynchronization) {
            return fullDownload();
        }
        return spec.completeFrom() == null ? snapshotPhase() : finalPhase(spec.completeFrom());
    }

    private Uni<Outcome> fullDownload() {
        return task(SyncTask.PrepareOnPremisesVm, () -> azureVm().call(this::ensureTargetVm))
                .chain(() -> task(SyncTask.ShutdownAzureVm, this::shutdownAzureVm))
                .chain(sourceVm -> task(SyncTask.DataSynchronization, () -> copyDisks(SyncTask.DataSynchronization, sourceVm.disks(),
                        this::fullCopy).chain(() -> verify(sourceVm))))
                .call(() -> task(SyncTask.StartOnPremisesVm, this::startOnPremisesVm))
                .map(Outcome::succeeded);
    }

    private Uni<Outcome> snapshotPhase() {
        return task(SyncTask.PrepareOnPremisesVm, () -> azureVm().call(this::ensureTargetVm))
                .chain(sourceVm -> task(SyncTask.SnapshotSynchronization, () -> azure
                        .snapshot(spec.azureVm().vmName())
                        .chain(snapshot -> {
                            DeltaCheckpoint checkpoint = checkpointOf(snapshot);
                            return copyDisks(SyncTask.SnapshotSynchronization, sourceVm.disks(),
                                    disk -> deltaFromSnapshot(disk, checkpoint.snapshotId())).replaceWith(checkpoint)
                                    // Done again, the task takes a new snapshot: this one is of no use any more.
                                    .onFailure().call(() -> deleteSnapshot(snapshot.snapshotId()));
                        }))
                        .invoke(() -> prepareProofs(sourceVm)))
                .map(Outcome::suspended);
    }

    private Uni<Outcome> finalPhase(DeltaCheckpoint checkpoint) {
        return task(SyncTask.ShutdownAzureVm, this::shutdownAzureVm)
                .chain(sourceVm -> task(SyncTask.FinalDeltaSynchronization, () -> copyDisks(SyncTask.FinalDeltaSynchronization,
                        sourceVm.disks(), disk -> changedSince(disk, checkpoint.trackingPoints().get(disk.diskId())))
                        .chain(() -> verify(sourceVm))))
                .call(() -> task(SyncTask.StartOnPremisesVm, this::startOnPremisesVm))
                // Once the VM runs on-premises, outside the downtime: deleting a snapshot that holds the blocks Azure
                // wrote while the job waited frees them in azure-sim's file system (0.4 s for 10,000 blocks).
                .invoke(() -> deleteSnapshot(checkpoint.snapshotId()).subscribe().with(ok -> { }, e -> { }))
                .map(Outcome::succeeded);
    }

    /**
     * While the job waits for "Complete Failover", both sites compute their disks' digests once, in the background:
     * each disk keeps its blocks' hashes, so phase 2's proof rehashes only the blocks written after this, and the
     * downtime depends on what changed, not on the disk's size. Nothing waits for it; a failure only costs time.
     */
    private void prepareProofs(SiteVm sourceVm) {
        for (DiskSpec disk : sourceVm.disks()) {
            Uni.combine().all().unis(azure.digest(diskPath(spec.azureVm().vmName(), disk), null),
                            host.digest(diskPath(spec.onPremisesVm().vmName(), disk), null)).discardItems()
                    .subscribe().with(done -> LOG.debugf("disk %s: digests prepared for phase 2", disk.diskId()),
                            e -> LOG.infof("disk %s: digests not prepared for phase 2 (%s); phase 2 will read the disks whole",
                                    disk.diskId(), e.getMessage()));
        }
    }

    /** Deletes a snapshot of the Azure VM if it can; one left behind only costs space until the VM goes. */
    private Uni<Void> deleteSnapshot(String snapshotId) {
        long started = System.nanoTime();
        return azure.delete("/api/vms/" + spec.azureVm().vmName() + "/snapshots/" + snapshotId)
                .invoke(() -> LOG.debugf("snapshot %s deleted in %d ms", snapshotId, (System.nanoTime() - started) / 1_000_000))
                .onFailure().invoke(e -> LOG.infof("snapshot %s not deleted: %s", snapshotId, e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private Uni<SiteVm> shutdownAzureVm() {
        return azure.post("/api/vms/" + spec.azureVm().vmName() + "/shutdown");
    }

    private Uni<SiteVm> startOnPremisesVm() {
        return host.post("/api/vms/" + spec.onPremisesVm().vmName() + "/start");
    }

    private Uni<SiteVm> azureVm() {
        return azure.findVm(spec.azureVm().vmName()).onItem().ifNull().failWith(() -> new SiteCallException("AzureVmNotFound",
                "no virtual machine named '" + spec.azureVm().vmName() + "' in Azure"));
    }

    private static DeltaCheckpoint checkpointOf(VmSnapshot snapshot) {
        return new DeltaCheckpoint(snapshot.snapshotId(), new LinkedHashMap<>(snapshot.trackingPoints()));
    }

    /**
     * When the cloud encrypts data, blocks leave Azure sealed under its key: the failback must name that key's
     * certificate, and the host must hold it. Checked before anything is shut down or written.
     */
    private Uni<Void> checkEncryptionKey() {
        return azure.get("/api/encryption", SiteAnswers.EncryptionSetting.class).chain(setting -> {
            if (!setting.enabled()) {
                return Uni.createFrom().voidItem();
            }
            String cloudKey = setting.certificateId();
            if (spec.encryptionKeyId() == null || spec.encryptionKeyId().isBlank()) {
                return Uni.createFrom().failure(new SiteCallException("EncryptionKeyRequired", "the cloud encrypts replicated data: "
                        + "fail back with encryptionKeyId, the certificate issued when data encryption was enabled (" + cloudKey + ")"));
            }
            if (!spec.encryptionKeyId().equals(cloudKey)) {
                return Uni.createFrom().failure(new SiteCallException("EncryptionKeyMismatch", "certificate " + spec.encryptionKeyId()
                        + " is not the cloud's data-encryption certificate; nothing was shut down or written"));
            }
            return host.get("/api/host/certificates", String[].class).chain(installed -> List.of(installed).contains(cloudKey)
                    ? Uni.createFrom().voidItem()
                    : Uni.createFrom().failure(new SiteCallException("CertificateNotInstalled", "host '" + spec.onPremisesVm().providerId()
                            + "' does not hold certificate " + cloudKey + "; install it there (POST /api/host/certificates)")));
        });
    }

    /**
     * The on-premises VM must exist with the same disks; CreateVmIfNotFound creates it on the same-named switch, with
     * the Azure VM's guest workload (the same guest runs on there).
     */
    private Uni<Void> ensureTargetVm(SiteVm sourceVm) {
        String vmName = spec.onPremisesVm().vmName();
        return checkEncryptionKey().chain(() -> host.findVm(vmName)).chain(existing -> {
            if (existing == null) {
                if (spec.recoveryVmCreationOption() != RecoveryVmCreationOption.CreateVmIfNotFound) {
                    return Uni.createFrom().failure(new SiteCallException("OnPremisesVmNotFound", "host '"
                            + spec.onPremisesVm().providerId() + "' has no virtual machine '" + vmName
                            + "'; fail back with recoveryVmCreationOption CreateVmIfNotFound to create it"));
                }
                return host.createVm(vmName, new CreateOnPremisesVm(sourceVm.disks(), spec.onPremisesVm().virtualSwitchName(),
                        sourceVm.workload()))
                        .replaceWithVoid();
            }
            if (!sameDisks(existing.disks(), sourceVm.disks())) {
                return Uni.createFrom().failure(new SiteCallException("DiskLayoutMismatch", "the on-premises VM '" + vmName
                        + "' has disks " + existing.disks() + ", the Azure VM has " + sourceVm.disks()));
            }
            return "Running".equals(existing.state()) ? host.post("/api/vms/" + vmName + "/stop").replaceWithVoid()
                    : Uni.createFrom().voidItem();
        });
    }

    private static boolean sameDisks(List<DiskSpec> a, List<DiskSpec> b) {
        return a.size() == b.size() && a.containsAll(b);
    }

    /**
     * Proves every disk: both sites compute their disk's digest at the same time (rehashing only the blocks written
     * since their last one), then the host compares the Azure disk's digest with its own and only on a match marks
     * the disk consistent. Both digests are recorded.
     */
    private Uni<List<DiskVerification>> verify(SiteVm sourceVm) {
        String vmName = spec.onPremisesVm().vmName();
        long started = System.nanoTime();
        return Multi.createFrom().iterable(sourceVm.disks())
                .onItem().transformToUniAndConcatenate(disk -> Uni.combine().all()
                        .unis(azure.digest(diskPath(spec.azureVm().vmName(), disk), null), host.digest(diskPath(vmName, disk), null))
                        .asTuple()
                        .chain(digests -> host.verify(vmName, disk.diskId(), digests.getItem1())
                                .map(targetDigest -> new DiskVerification(disk.diskId(), disk.sizeBytes(),
                                        digests.getItem1().algorithm(), digests.getItem1().digest(), targetDigest))))
                .collect().asList()
                .invoke(() -> LOG.debugf("job %s: both sites' digests compared and the host's disks marked consistent in %d ms",
                        command.jobName(), (System.nanoTime() - started) / 1_000_000))
                .onItemOrFailure().invoke((verified, failure) -> metrics.proof(SyncMetrics.ProofTarget.OnPremises,
                        Duration.ofNanos(System.nanoTime() - started), failure == null));
    }

    /**
     * Every block of the disk. A copy that was interrupted (sync-service crashed, the connection broke, the job was
     * cancelled) resumes from where the host recorded it durable, also under a new job: the copy is named after the
     * Azure disk's shutdown tracking point, so it resumes only while the Azure VM has stayed shut down since, and the
     * blocks already on the host are still right.
     */
    private DiskCopy fullCopy(DiskSpec disk) {
        return (d, progress) -> azure.get("/api/vms/" + spec.azureVm().vmName(), SiteAnswers.AzureVm.class)
                .map(source -> spec.azureVm().vmName() + "@" + source.shutdownTrackingPoints().get(d.diskId()))
                .chain(syncId -> host.get("/api/vms/" + spec.onPremisesVm().vmName(), SiteAnswers.HostVm.class).chain(targetVm -> {
                    long resumeFrom = resumePoint(targetVm, d, syncId);
                    progress.scanned.addAndGet(d.sizeBytes());
                    progress.toSend.addAndGet(d.sizeBytes());
                    progress.resumed.addAndGet(Math.min(d.sizeBytes(), resumeFrom * d.blockSize()));
                    String target = host.url(diskPath(spec.onPremisesVm().vmName(), d) + "/blocks?syncId=" + syncId);
                    if (resumeFrom > 0) {
                        LOG.infof("job %s: disk %s resumes at block %d of %d", command.jobName(), d.diskId(), resumeFrom, d.blockCount());
                        return relayed(progress, counters -> relay.relay(azure, sourceBlocks(d, "?first=" + resumeFrom), host, target, counters));
                    }
                    return relayed(progress, counters -> relay.relay(azure, sourceBlocks(d, ""), host, target + "&fullCopy=true", counters));
                }));
    }

    /** Where an earlier, interrupted copy of the same source content into the disk left off; 0 to start over. */
    private static long resumePoint(SiteAnswers.HostVm targetVm, DiskSpec disk, String syncId) {
        for (SiteAnswers.HostDisk d : targetVm.disks()) {
            if (d.diskId().equals(disk.diskId()) && syncId.equals(d.syncId()) && !d.consistent()) {
                return Math.min(d.syncedThrough(), disk.blockCount());
            }
        }
        return 0;
    }

    /**
     * Phase 1: hash the snapshot and the target side by side, then send the blocks whose hashes differ, and of those
     * that differ only in some 4 KiB pages, only those pages.
     */
    private DiskCopy deltaFromSnapshot(DiskSpec disk, String snapshotId) {
        String source = diskPath(spec.azureVm().vmName(), disk);
        String target = diskPath(spec.onPremisesVm().vmName(), disk);
        return (d, progress) -> hashes.differingPages(
                        new HashComparer.Side(azure, azure.url(source + "/hashes?snapshot=" + snapshotId),
                                azure.url(source + "/hashes/select?snapshot=" + snapshotId), "the source"),
                        new HashComparer.Side(host, host.url(target + "/hashes"), host.url(target + "/hashes/select"), "the target"),
                        d.blockSize(), d.blockCount(), true, blocks -> progress.scanned.addAndGet(blocks * d.blockSize()))
                .chain(differing -> {
                    // Besides the whole disk's hash lists, both sites read and hash the differing blocks again, page by page.
                    progress.scanned.addAndGet(differing.blockCount() * d.blockSize());
                    progress.toSend.addAndGet(differing.bytes());
                    return relayed(progress, counters -> relay.relaySelected(azure, azure.url(source + "/blocks/select?snapshot=" + snapshotId),
                            differing.body(), host, targetBlocks(d), counters));
                });
    }

    /**
     * Phase 2: the blocks the Azure VM wrote since the snapshot, straight from its changed-block tracking, and of blocks
     * only partly written, only the pages that were.
     */
    private DiskCopy changedSince(DiskSpec disk, Long trackingPoint) {
        return (d, progress) -> {
            if (trackingPoint == null) {
                return Uni.createFrom().failure(new SiteCallException("CheckpointIncomplete", "the checkpoint has no tracking point for disk "
                        + d.diskId() + "; trigger the failback again"));
            }
            return azure.changedBlocks(diskPath(spec.azureVm().vmName(), d), trackingPoint)
                    .chain(changed -> {
                        SelectedBlocks written = SelectedBlocks.of(changed);
                        // Read (the pages out of their blocks) on Azure, and hashed again whole for the proof on the host.
                        progress.scanned.addAndGet(written.blockCount() * d.blockSize());
                        progress.toSend.addAndGet(written.bytes());
                        return relayed(progress, counters -> relay.relaySelected(azure,
                                azure.url(diskPath(spec.azureVm().vmName(), d) + "/blocks/select"), written.body(), host, targetBlocks(d),
                                counters));
                    });
        };
    }

    private String sourceBlocks(DiskSpec disk, String query) {
        return azure.url(diskPath(spec.azureVm().vmName(), disk) + "/blocks" + query);
    }

    private String targetBlocks(DiskSpec disk) {
        return host.url(diskPath(spec.onPremisesVm().vmName(), disk) + "/blocks");
    }


}
