package io.failback.sync.runs;

import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteAnswers;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.site.SiteVm;
import io.smallrye.mutiny.Uni;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Commit after failback: the VM lives on-premises now. Before the Azure VM and its disks are deleted, Azure keeps
 * their final content as the item's replica storage, dated by the on-premises disks' tracking points at the moment
 * they were verified equal to it: Reverse Replicate then sends only what changed on-premises since.
 */
public final class FailoverCommitRun extends CommandRun {
    private final SyncCommand.FailoverCommit commit;
    private final SiteClient azure;
    private final SiteClient host;

    FailoverCommitRun(SyncCommand command, SiteClient azure, SiteClient host, SyncEventPublisher publisher, Patience patience) {
        super(command, publisher, patience);
        this.commit = command.failoverCommit();
        this.azure = azure;
        this.host = host;
    }

    @Override
    protected Uni<Outcome> tasks() {
        String vmName = commit.source().vmName();
        // A redelivered commit (or a task done again after Azure was away) finds the VM gone: its disks were kept before
        // it was deleted, which is what we wanted.
        return task(SyncTask.RetainReplicaInAzure, () -> azure.findVm(vmName)
                        .chain(vm -> vm == null ? Uni.createFrom().voidItem() : retainReplica(vm)))
                .chain(() -> task(SyncTask.DeleteAzureVm, () -> azure.findVm(vmName)
                        .chain(vm -> vm == null ? Uni.createFrom().voidItem() : azure.delete("/api/vms/" + vmName))))
                .replaceWith(Outcome.succeeded(List.of()));
    }

    private Uni<Void> retainReplica(SiteVm azureVm) {
        return host.get("/api/vms/" + commit.target().vmName(), SiteAnswers.HostVm.class).chain(onPremisesVm -> {
            Map<String, Long> verifiedAt = new LinkedHashMap<>();
            for (SiteAnswers.HostDisk disk : onPremisesVm.disks()) {
                Long point = disk.verifiedTrackingPoint();
                if (point == null) {
                    return Uni.createFrom().failure(new SiteCallException("OnPremisesDiskNotVerified", "disk "
                            + disk.diskId() + " of '" + commit.target().vmName()
                            + "' was never verified equal to Azure's; the failback did not complete"));
                }
                verifiedAt.put(disk.diskId(), point);
            }
            return azure.postJson("/api/replicas/" + command.itemName() + "/retain",
                    Map.of("vmName", azureVm.name(), "sourceTrackingPoints", verifiedAt), 200);
        });
    }
}
