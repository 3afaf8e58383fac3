package io.failback.contracts.messaging;

import java.util.Map;

/**
 * Where phase 1 of a ForDownTime failback left off: the Azure VM's snapshot the on-premises disks now equal, and each
 * disk's tracking point at that snapshot. Phase 2 sends the blocks changed since those points.
 */
public record DeltaCheckpoint(String snapshotId, Map<String, Long> trackingPoints) {
}
