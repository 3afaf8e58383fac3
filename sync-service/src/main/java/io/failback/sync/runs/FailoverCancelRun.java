package io.failback.sync.runs;

import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncTask;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * "Cancel failover" before Commit: the VM runs again where it ran before. Undoing a failback stops the on-premises VM
 * and starts the Azure VM again (its disks were only shut down); undoing a failover to Azure deletes the Azure VM made
 * from the replica and starts the on-premises VM again. Each step is a no-op when already done, so a redelivered
 * command is harmless.
 */
public final class FailoverCancelRun extends CommandRun {
    private final SyncCommand.FailoverCancel spec;
    private final SiteClient azure;
    private final SiteClient host;

    FailoverCancelRun(SyncCommand command, SiteClient azure, SiteClient host, SyncEventPublisher publisher, Patience patience) {
        super(command, publisher, patience);
        this.spec = command.failoverCancel();
        this.azure = azure;
        this.host = host;
    }

    @Override
    protected Uni<Outcome> tasks() {
        String azureVm = spec.azureVm().vmName();
        String onPremisesVm = spec.onPremisesVm().vmName();
        if (spec.failoverDirection() == FailoverDirection.RecoveryToPrimary) {
            return task(SyncTask.ShutdownOnPremisesVm, () -> host.post("/api/vms/" + onPremisesVm + "/stop"))
                    .chain(() -> task(SyncTask.StartAzureVm, () -> azure.post("/api/vms/" + azureVm + "/start")))
                    .replaceWith(Outcome.succeeded(List.of()));
        }
        return task(SyncTask.DeleteAzureVm, () -> azure.findVm(azureVm)
                .chain(vm -> vm == null ? Uni.createFrom().voidItem() : azure.delete("/api/vms/" + azureVm)))
                .chain(() -> task(SyncTask.StartOnPremisesVm, () -> host.post("/api/vms/" + onPremisesVm + "/start")))
                .replaceWith(Outcome.succeeded(List.of()));
    }
}
