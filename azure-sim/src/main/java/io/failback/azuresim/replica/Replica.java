package io.failback.azuresim.replica;

import io.failback.contracts.site.DiskSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Replica storage for one protected on-premises VM: the Azure-side copy of its disks that replication writes into
 * and that a failover to Azure starts a VM from ({@code replicas/<item>/replica.json}).
 *
 * @param encryptionCertificateId the cloud key its blocks are sealed with at rest, null when stored in the clear
 * @param recoveryPoint the latest moment the replica is known consistent at; null until the first one
 * @param failedOverTo the Azure VM the last failover created from it (a test failover does not count)
 */
public record Replica(String itemName, List<DiskSpec> disks, String encryptionCertificateId, RecoveryPoint recoveryPoint,
        String failedOverTo, Instant createdAt) {

    /**
     * @param consistentAt when the source was in the state the replica now holds
     * @param sourceTrackingPoints each source disk's tracking point at that moment: the next replication sends the
     *            blocks changed since
     */
    public record RecoveryPoint(Instant consistentAt, Map<String, Long> sourceTrackingPoints) {
    }

    Replica withRecoveryPoint(RecoveryPoint point) {
        return new Replica(itemName, disks, encryptionCertificateId, point, failedOverTo, createdAt);
    }

    Replica withFailover(String vmName) {
        return new Replica(itemName, disks, encryptionCertificateId, recoveryPoint, vmName, createdAt);
    }
}
