package io.failback.jobs.domain;

import java.util.List;

/**
 * The one place that decides what may be done to a protected item. {@code allowedOperations} on the API and every
 * check before an operation come from here, so they cannot disagree.
 */
public final class ItemStateMachine {
    private ItemStateMachine() {
    }

    public static List<ItemOperation> allowedOperations(ReplicationProtectedItem item) {
        if (item.currentScenarioJobName != null) {
            // A job owns the item until it ends.
            return List.of();
        }
        return switch (item.protectionState) {
            // A test VM must be cleaned up before anything else: a failover would put two copies of the VM in Azure.
            // Repair replication is always offered: it only compares hashes and sends what differs, so it is harmless
            // when nothing does, and it is the way out when replicationHealth is Critical.
            case Protected -> item.testFailoverVmName != null ? List.of(ItemOperation.TestFailoverCleanup)
                    : List.of(ItemOperation.PlannedFailover, ItemOperation.UnplannedFailover, ItemOperation.TestFailover,
                            ItemOperation.RepairReplication, ItemOperation.DisableProtection);
            case FailoverCompleted -> item.activeLocation == ActiveLocation.Recovery
                    ? List.of(ItemOperation.PlannedFailover, ItemOperation.DisableProtection)
                    : List.of(ItemOperation.ReverseReplicate, ItemOperation.DisableProtection);
            case PlannedFailoverCommitRequired -> List.of(ItemOperation.Commit, ItemOperation.CancelFailover);
        };
    }

    /** The operation a job of {@code scenarioName} carries out on its item; null for scenarios no item operation starts. */
    public static ItemOperation operationOf(String scenarioName) {
        return switch (scenarioName) {
            case "PlannedFailover" -> ItemOperation.PlannedFailover;
            case "UnplannedFailover" -> ItemOperation.UnplannedFailover;
            case "TestFailover" -> ItemOperation.TestFailover;
            case "TestFailoverCleanup" -> ItemOperation.TestFailoverCleanup;
            case "FailoverCommit" -> ItemOperation.Commit;
            case "FailoverCancel" -> ItemOperation.CancelFailover;
            // Enabling protection again after it failed is what Reverse Replicate does.
            case "EnableProtection", "Reprotect" -> ItemOperation.ReverseReplicate;
            case "RepairReplication" -> ItemOperation.RepairReplication;
            case "DisableProtection" -> ItemOperation.DisableProtection;
            default -> null;
        };
    }

    public static boolean allows(ReplicationProtectedItem item, ItemOperation operation) {
        return allowedOperations(item).contains(operation);
    }
}
