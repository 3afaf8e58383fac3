package io.failback.jobs.domain;

import java.util.Arrays;
import java.util.List;

/**
 * What may be done to a protected item now, read from the {@link Scenario} table: an operation is allowed when one
 * of the scenarios it starts admits the item's condition. {@code allowedOperations} on the API and every check before
 * an operation come from here, so they cannot disagree.
 */
public final class ItemStateMachine {
    private ItemStateMachine() {
    }

    /** In {@link ItemOperation}'s order; none while a job owns the item. */
    public static List<ItemOperation> allowedOperations(ReplicationProtectedItem item) {
        return Arrays.stream(ItemOperation.values()).filter(operation -> Scenario.startedBy(operation, item) != null).toList();
    }

    public static boolean allows(ReplicationProtectedItem item, ItemOperation operation) {
        return Scenario.startedBy(operation, item) != null;
    }
}
