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
            case Protected -> List.of(ItemOperation.PlannedFailover, ItemOperation.UnplannedFailover, ItemOperation.TestFailover,
                    ItemOperation.DisableProtection);
            case FailoverCompleted -> item.activeLocation == ActiveLocation.Recovery
                    ? List.of(ItemOperation.PlannedFailover, ItemOperation.DisableProtection)
                    : List.of(ItemOperation.ReverseReplicate, ItemOperation.DisableProtection);
            case PlannedFailoverCommitRequired -> List.of(ItemOperation.Commit, ItemOperation.CancelFailover);
        };
    }

    public static boolean allows(ReplicationProtectedItem item, ItemOperation operation) {
        return allowedOperations(item).contains(operation);
    }
}
