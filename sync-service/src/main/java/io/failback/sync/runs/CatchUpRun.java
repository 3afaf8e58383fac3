package io.failback.sync.runs;

import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent.CatchUpRound;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.VmSnapshot;
import io.failback.sync.blocks.BlockRelay;
import io.failback.sync.blocks.SelectedBlocks;
import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.metrics.SyncMetrics;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * One catch-up round of a suspended ForDownTime failback ({@link SyncCommand.CatchUp}, issue #17): a new snapshot of
 * the running Azure VM, then, of each disk, the blocks and pages written since the checkpoint the round starts from,
 * read from that snapshot (so the round copies one consistent moment while the VM goes on writing), and the new
 * checkpoint. A block written again after the snapshot is in the list too and is read as the snapshot holds it: the
 * on-premises disk then equals the snapshot, which is all a round promises. The round reports no task of the job (it
 * adds none) and never waits out an outage: a failed round leaves the job's checkpoint where it was, and the next
 * round, or phase 2, starts from there. It copies as a snapshot synchronization, behind any copy whose VM is down.
 */
final class CatchUpRun extends DataRun {
    private static final Logger LOG = Logger.getLogger(CatchUpRun.class);

    private final SyncCommand.CatchUp spec;
    private final SiteClient azure;
    private final SiteClient host;

    CatchUpRun(SyncCommand command, SiteClient azure, SiteClient host, BlockRelay relay, SyncEventPublisher publisher,
            Patience patience, Duration progressInterval, CopySlots slots, SyncMetrics metrics) {
        super(command, publisher, patience, relay, progressInterval, slots, metrics);
        this.spec = command.catchUp();
        this.azure = azure;
        this.host = host;
    }

    @Override
    protected Uni<Outcome> tasks() {
        DeltaCheckpoint from = spec.from();
        String vm = spec.azureVm().vmName();
        long started = System.nanoTime();
        AtomicLong sent = new AtomicLong();
        return azure.findVm(vm).onItem().ifNull().failWith(() -> new SiteCallException("AzureVmNotFound",
                        "no virtual machine named '" + vm + "' in Azure"))
                .chain(source -> azure.snapshot(vm).chain(snapshot -> {
                    DeltaCheckpoint reached = new DeltaCheckpoint(snapshot.snapshotId(), new LinkedHashMap<>(snapshot.trackingPoints()));
                    return copyDisks(SyncTask.SnapshotSynchronization, source.disks(), disk -> changedSinceInto(disk, from, snapshot, sent))
                            // A round that did not end leaves its snapshot of no use: the next one takes its own.
                            .onFailure().call(() -> deleteSnapshot(snapshot.snapshotId()))
                            .chain(() -> behind(source.disks(), reached))
                            .map(behindBytes -> {
                                double seconds = (System.nanoTime() - started) / 1e9;
                                Instant takenAt = snapshot.createdAt() != null ? snapshot.createdAt() : Instant.now().minusNanos(System.nanoTime() - started);
                                double sinceSnapshot = Math.max(0.001, Duration.between(takenAt, Instant.now()).toNanos() / 1e9);
                                CatchUpRound round = new CatchUpRound(from, takenAt, sent.get(), seconds, behindBytes, behindBytes / sinceSnapshot);
                                LOG.infof("job %s: catch-up round sent %d bytes in %.2f s; %d bytes written in Azure since its snapshot (%.0f B/s)",
                                        command.jobName(), round.bytesSent(), seconds, behindBytes, round.writtenBytesPerSecond());
                                return Outcome.caughtUp(reached, round);
                            })
                            // The disks now equal the new snapshot: the one the round started from is of no use any more.
                            .call(() -> from.snapshotId().equals(snapshot.snapshotId()) ? Uni.createFrom().voidItem()
                                    : deleteSnapshot(from.snapshotId()));
                }));
    }

    /** The disk's blocks and pages written since {@code from}'s tracking point, as {@code snapshot} holds them. */
    private DiskCopy changedSinceInto(DiskSpec disk, DeltaCheckpoint from, VmSnapshot snapshot, AtomicLong sent) {
        return (d, progress) -> {
            if (cancelled()) {
                // Superseded by phase 2 (or the job cancelled): no more of this round's blocks may reach the host.
                return Uni.createFrom().failure(new SiteCallException("Cancelled", "the catch-up round was stopped"));
            }
            Long since = from.trackingPoints().get(d.diskId());
            if (since == null) {
                return Uni.createFrom().failure(new SiteCallException("CheckpointIncomplete", "the checkpoint has no tracking point for disk "
                        + d.diskId()));
            }
            String source = diskPath(spec.azureVm().vmName(), d);
            return azure.changedBlocks(source, since).chain(changed -> {
                SelectedBlocks written = SelectedBlocks.of(changed);
                progress.scanned.addAndGet(written.blockCount() * d.blockSize());
                progress.toSend.addAndGet(written.bytes());
                sent.addAndGet(written.bytes());
                return relayed(progress, counters -> relay.relaySelected(azure,
                        azure.url(source + "/blocks/select?snapshot=" + snapshot.snapshotId()), written.body(), host,
                        host.url(diskPath(spec.onPremisesVm().vmName(), d) + "/blocks"), counters));
            });
        };
    }

    /** What the Azure VM wrote since {@code reached}, over all disks: what phase 2 would send now. */
    private Uni<Long> behind(List<DiskSpec> disks, DeltaCheckpoint reached) {
        return Multi.createFrom().iterable(disks)
                .onItem().transformToUniAndConcatenate(disk -> azure.changedBlocks(diskPath(spec.azureVm().vmName(), disk),
                        reached.trackingPoints().get(disk.diskId())).map(changed -> changed.changedBytes()))
                .collect().asList()
                .map(bytes -> bytes.stream().mapToLong(Long::longValue).sum());
    }

    /** Deletes a snapshot if it can; one left behind only costs space until the VM goes. */
    private Uni<Void> deleteSnapshot(String snapshotId) {
        return azure.delete("/api/vms/" + spec.azureVm().vmName() + "/snapshots/" + snapshotId)
                .onFailure().invoke(e -> LOG.infof("snapshot %s not deleted: %s", snapshotId, e.getMessage()))
                .onFailure().recoverWithNull();
    }
}
