package io.failback.jobs.domain;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * A step of a recovery plan, as Azure Site Recovery shapes it. Boot groups hold the VMs and run in order, the VMs of
 * one group in parallel; the Shutdown and Failover groups stand for the plan-wide shutdown and failover that come
 * before them, and only carry actions here, because each VM's own job shuts it down and synchronizes it.
 *
 * @param startGroupActions run one after the other before the group's VMs move
 * @param endGroupActions run one after the other once all of them succeeded
 */
public record RecoveryPlanGroup(@NotNull GroupType groupType, List<@NotNull @Valid ItemReference> replicationProtectedItems,
        List<@NotNull @Valid RecoveryPlanAction> startGroupActions, List<@NotNull @Valid RecoveryPlanAction> endGroupActions) {

    public enum GroupType {
        Shutdown,
        Failover,
        Boot
    }

    /** @param id the replication protected item's name */
    public record ItemReference(@NotBlank String id) {
    }

    public RecoveryPlanGroup {
        replicationProtectedItems = replicationProtectedItems == null ? List.of() : replicationProtectedItems;
        startGroupActions = startGroupActions == null ? List.of() : startGroupActions;
        endGroupActions = endGroupActions == null ? List.of() : endGroupActions;
    }

    public List<String> itemNames() {
        return replicationProtectedItems.stream().map(ItemReference::id).toList();
    }
}
