package io.failback.sync;

import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncTask;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** Commit after failback: the VM lives on-premises now, so the Azure VM and its disks are deleted. */
final class FailoverCommitRun extends CommandRun {
    private final SiteClient azure;

    FailoverCommitRun(SyncCommand command, SiteClient azure, SyncEventPublisher publisher) {
        super(command, publisher);
        this.azure = azure;
    }

    @Override
    protected Uni<Outcome> tasks() {
        String vmName = command.failoverCommit().source().vmName();
        // Deleting a VM that is already gone (a redelivered commit) is what we wanted anyway.
        return task(SyncTask.DeleteAzureVm, () -> azure.findVm(vmName)
                .chain(vm -> vm == null ? Uni.createFrom().voidItem() : azure.delete("/api/vms/" + vmName)))
                .replaceWith(Outcome.succeeded(List.of()));
    }
}
