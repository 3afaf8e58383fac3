package io.failback.sync.runs;

import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteAnswers;
import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncTask;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Map;

/**
 * The operations that act on Azure's side only (and at most stop the on-premises VM): unplanned failover and test
 * failover, which start a VM from the replica's latest recovery point, test failover cleanup and disable protection.
 * No block moves. Each step checks what is already done first, so a redelivered or restarted command is harmless.
 */
public final class RecoveryInAzureRun extends CommandRun {
    private final SiteClient azure;
    /** The on-premises host, for an unplanned failover that shuts the on-premises VM down first; else null. */
    private final SiteClient host;

    RecoveryInAzureRun(SyncCommand command, SiteClient azure, SiteClient host, SyncEventPublisher publisher, Patience patience) {
        super(command, publisher, patience);
        this.azure = azure;
        this.host = host;
    }

    @Override
    protected Uni<Outcome> tasks() {
        Uni<Void> work;
        if (command.unplannedFailover() != null) {
            work = unplannedFailover(command.unplannedFailover());
        } else if (command.testFailover() != null) {
            String testVm = command.testFailover().testVm().vmName();
            // A test VM left by an earlier attempt is replaced: the test starts from the recovery point of now.
            work = task(SyncTask.TestFailoverToAzure, () -> deleteVmIfPresent(testVm)
                    .chain(() -> azure.postJson(replicaPath() + "/failover", Map.of("vmName", testVm, "test", true), 201)));
        } else if (command.testFailoverCleanup() != null) {
            work = task(SyncTask.DeleteTestAzureVm, () -> deleteVmIfPresent(command.testFailoverCleanup().testVm().vmName()));
        } else {
            work = task(SyncTask.DeleteReplicaInAzure, () -> azure.getOrNull(replicaPath(), SiteAnswers.Replica.class)
                    .chain(replica -> replica == null ? Uni.createFrom().voidItem() : azure.delete(replicaPath())));
        }
        return work.replaceWith(Outcome.succeeded(List.of()));
    }

    private Uni<Void> unplannedFailover(SyncCommand.UnplannedFailover spec) {
        String azureVm = spec.azureVm().vmName();
        Uni<Void> shutdown = spec.shutDownOnPremisesVm() == null ? Uni.createFrom().voidItem()
                : task(SyncTask.ShutdownOnPremisesVm, () -> host.post("/api/vms/" + spec.shutDownOnPremisesVm().vmName() + "/stop"))
                        .replaceWithVoid();
        return shutdown.chain(() -> task(SyncTask.FailoverToAzure, () -> failoverToAzure(azure, command.itemName(), azureVm)));
    }

    /**
     * Starts the Azure VM from the item's replica, unless this failover made it already (a redelivered command, or
     * the task done again after Azure's answer was lost).
     */
    static Uni<Void> failoverToAzure(SiteClient azure, String itemName, String azureVm) {
        return azure.getOrNull("/api/vms/" + azureVm, SiteAnswers.AzureVm.class).chain(existing -> {
            if (existing == null || "Deleted".equals(existing.state())) {
                return azure.postJson("/api/replicas/" + itemName + "/failover", Map.of("vmName", azureVm), 201);
            }
            SiteAnswers.ReplicaOrigin origin = existing.replicaOrigin();
            if (origin != null && itemName.equals(origin.itemName())) {
                return Uni.createFrom().voidItem();
            }
            return Uni.createFrom().failure(new SiteCallException("AzureVmExists", "a virtual machine named '" + azureVm
                    + "' already runs in Azure and was not made from this item's replica"));
        });
    }

    private Uni<Void> deleteVmIfPresent(String vmName) {
        return azure.findVm(vmName).chain(vm -> vm == null ? Uni.createFrom().voidItem() : azure.delete("/api/vms/" + vmName));
    }

    private String replicaPath() {
        return "/api/replicas/" + command.itemName();
    }
}
