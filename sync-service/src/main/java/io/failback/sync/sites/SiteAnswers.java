package io.failback.sync.sites;

import io.failback.contracts.site.DiskSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The answers sync-service reads that only one site serves, as the part of each that sync-service reads (the sites
 * send more; readers ignore what they do not know). What both sites answer is read as the records of {@code contracts}
 * ({@link io.failback.contracts.site.SiteVm}, {@link io.failback.contracts.site.VmSnapshot},
 * {@link io.failback.contracts.site.ChangedBlocks}, {@link io.failback.contracts.site.DiskDigest},
 * {@link io.failback.contracts.site.BlockWriteSummary}, {@link io.failback.contracts.site.Problem}).
 */
public final class SiteAnswers {
    private SiteAnswers() {
    }

    /**
     * azure-sim's {@code GET /api/vms/{name}}: what a failback and a failover to Azure need beyond {@link
     * io.failback.contracts.site.SiteVm}.
     *
     * @param state Running | Stopping | Stopped | Deleted
     * @param shutdownTrackingPoints each disk's tracking point when the VM last shut down
     * @param replicaOrigin set when a failover created the VM from an item's replica storage
     */
    public record AzureVm(String name, String state, Map<String, Long> shutdownTrackingPoints, ReplicaOrigin replicaOrigin) {
    }

    /** @param itemName the protected item whose replica the Azure VM's disks were copied from */
    public record ReplicaOrigin(String itemName) {
    }

    /** host-agent's {@code GET /api/vms/{name}}, with each disk's synchronization and verification state. */
    public record HostVm(String name, List<HostDisk> disks) {
    }

    /**
     * @param consistent false from the moment a synchronization starts writing into the disk until its digest matched
     * @param syncId the synchronization that last recorded progress into the disk
     * @param syncedThrough the blocks before this one that {@code syncId} carried are durable: where it resumes
     * @param verifiedTrackingPoint the disk's tracking point when a synchronization into it was last verified; null
     *            before the first
     */
    public record HostDisk(String diskId, boolean consistent, String syncId, long syncedThrough, Long verifiedTrackingPoint) {
    }

    /** host-agent's {@code POST /api/vms/{vm}/disks/{disk}/verify}: the disk's own digest, which matched. */
    public record VerifiedDisk(String diskId, String algorithm, String digest, boolean consistent) {
    }

    /** azure-sim's {@code GET} and {@code PUT /api/replicas/{item}}: an item's replica storage. */
    public record Replica(List<DiskSpec> disks, RecoveryPoint recoveryPoint) {
    }

    /**
     * @param sourceTrackingPoints each source disk's tracking point at {@code consistentAt}: the next replication sends
     *            the blocks changed since
     */
    public record RecoveryPoint(Instant consistentAt, Map<String, Long> sourceTrackingPoints) {
    }

    /** azure-sim's {@code GET /api/encryption}: whether the cloud seals data, and under which certificate. */
    public record EncryptionSetting(boolean enabled, String certificateId) {
    }
}
