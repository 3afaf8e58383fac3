package io.failback.contracts.site;

import java.time.Instant;
import java.util.Map;

/** A consistent snapshot of all of a VM's disks, with each disk's tracking point at that moment. */
public record VmSnapshot(String snapshotId, Instant createdAt, Map<String, Long> trackingPoints) {
}
