package io.failback.sync;

import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.contracts.messaging.SyncEvent.TaskProgress;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.CreateOnPremisesVm;
import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.SiteVm;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * One planned failover from Azure to the on-premises host with a full download (ForSynchronization): shut the Azure
 * VM down, make sure the on-premises VM exists, stream every disk, prove each copy with SHA-256 on both sides, start
 * the VM on-premises.
 */
final class PlannedFailbackRun extends CommandRun {
    private static final Logger LOG = Logger.getLogger(PlannedFailbackRun.class);

    private final SyncCommand.PlannedFailover spec;
    private final SiteClient azure;
    private final SiteClient host;
    private final BlockRelay relay;
    private final Vertx vertx;
    private final Duration progressInterval;

    PlannedFailbackRun(SyncCommand command, SiteClient azure, SiteClient host, BlockRelay relay, SyncEventPublisher publisher,
            Vertx vertx, Duration progressInterval) {
        super(command, publisher);
        this.spec = command.plannedFailover();
        this.azure = azure;
        this.host = host;
        this.relay = relay;
        this.vertx = vertx;
        this.progressInterval = progressInterval;
    }

    @Override
    protected Uni<List<DiskVerification>> tasks() {
        String vmName = spec.target().vmName();
        // The target is checked before the Azure VM goes down: a host that cannot take the VM costs no downtime.
        return task(SyncTask.PrepareOnPremisesVm, () -> azureVm().call(this::ensureTargetVm))
                .chain(() -> task(SyncTask.ShutdownAzureVm, () -> azure.post("/api/vms/" + spec.source().vmName() + "/shutdown")))
                .chain(sourceVm -> task(SyncTask.DataSynchronization, () -> synchronize(sourceVm)))
                .chain(verifications -> task(SyncTask.StartOnPremisesVm, () -> host.post("/api/vms/" + vmName + "/start"))
                        .replaceWith(verifications));
    }

    private Uni<SiteVm> azureVm() {
        return azure.findVm(spec.source().vmName()).onItem().ifNull().failWith(() -> new SiteCallException("AzureVmNotFound",
                "no virtual machine named '" + spec.source().vmName() + "' in Azure"));
    }

    private Uni<List<DiskVerification>> synchronize(SiteVm sourceVm) {
        return Uni.createFrom().voidItem()
                .chain(() -> Multi.createFrom().iterable(sourceVm.disks())
                        .onItem().transformToUniAndConcatenate(new DiskCopier(sourceVm.disks())::copy)
                        .collect().asList())
                .chain(() -> Multi.createFrom().iterable(sourceVm.disks())
                        .onItem().transformToUniAndConcatenate(this::verify)
                        .collect().asList());
    }

    /** The on-premises VM must exist with the same disks; CreateVmIfNotFound creates it on the same-named switch. */
    private Uni<Void> ensureTargetVm(SiteVm sourceVm) {
        String vmName = spec.target().vmName();
        return host.findVm(vmName).chain(existing -> {
            if (existing == null) {
                if (spec.recoveryVmCreationOption() != RecoveryVmCreationOption.CreateVmIfNotFound) {
                    return Uni.createFrom().failure(new SiteCallException("OnPremisesVmNotFound", "host '"
                            + spec.target().providerId() + "' has no virtual machine '" + vmName
                            + "'; fail back with recoveryVmCreationOption CreateVmIfNotFound to create it"));
                }
                return host.createVm(vmName, new CreateOnPremisesVm(sourceVm.disks(), spec.target().virtualSwitchName()))
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

    private Uni<DiskVerification> verify(DiskSpec disk) {
        String vmName = spec.target().vmName();
        return azure.digest(spec.source().vmName(), disk.diskId())
                .chain(source -> host.verify(vmName, disk.diskId(), source)
                        .replaceWith(new DiskVerification(disk.diskId(), disk.sizeBytes(), source.algorithm(), source.digest(),
                                source.digest())));
    }

    /** Copies disks one after the other, reporting progress over all of them. */
    private final class DiskCopier {
        private final long bytesTotal;
        private long bytesDoneBefore;

        DiskCopier(List<DiskSpec> disks) {
            bytesTotal = disks.stream().mapToLong(DiskSpec::sizeBytes).sum();
        }

        Uni<Void> copy(DiskSpec disk) {
            String source = azure.url("/api/vms/" + spec.source().vmName() + "/disks/" + disk.diskId() + "/blocks");
            String target = host.url("/api/vms/" + spec.target().vmName() + "/disks/" + disk.diskId() + "/blocks?fullCopy=true");
            BlockRelay.Counters counters = new BlockRelay.Counters();
            RateMeter rate = new RateMeter(Instant.now(), bytesDoneBefore);
            long timer = vertx.setPeriodic(progressInterval.toMillis(), id -> reportProgress(SyncTask.DataSynchronization,
                    progress(bytesDoneBefore + counters.bytesCovered(), rate))
                    .subscribe().with(ok -> { }, e -> LOG.debugf("progress report not sent: %s", e.getMessage())));
            return Uni.createFrom().completionStage(() -> relay.relay(source, target, counters).toCompletionStage())
                    .eventually(() -> vertx.cancelTimer(timer))
                    .invoke(summary -> {
                        bytesDoneBefore += disk.sizeBytes();
                        lastProgress = progress(bytesDoneBefore, rate);
                    })
                    .replaceWithVoid();
        }

        private TaskProgress progress(long bytesDone, RateMeter rate) {
            double bytesPerSecond = rate.update(Instant.now(), bytesDone);
            Long eta = bytesPerSecond > 0 ? (long) Math.ceil((bytesTotal - bytesDone) / bytesPerSecond) : null;
            // A full download sends every block: all of the disk is "to send", nothing is checksummed.
            return new TaskProgress(bytesTotal, bytesDone, bytesTotal, bytesDone, bytesPerSecond, eta);
        }
    }
}
