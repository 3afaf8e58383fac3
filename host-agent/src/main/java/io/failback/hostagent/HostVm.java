package io.failback.hostagent;

import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.VmSnapshot;
import io.failback.contracts.site.WorkloadSettings;
import java.time.Instant;
import java.util.List;

/**
 * A Hyper-V VM on this host, as stored in {@code vms/<name>/vm.json}.
 *
 * @param workload what the VM writes while Running
 */
public record HostVm(String name, HostVmState state, String virtualSwitchName, List<HostDisk> disks,
        WorkloadSettings workload, List<VmSnapshot> snapshots, Instant createdAt,
        Instant stateChangedAt) {

    public HostVm {
        workload = workload == null ? WorkloadSettings.DEFAULT : workload;
        snapshots = snapshots == null ? List.of() : List.copyOf(snapshots);
    }

    public enum HostVmState {
        Off,
        Running
    }

    /** A disk's verification: its own SHA-256, which matched the source's, so the disk is consistent now. */
    public record VerifiedDisk(String diskId, String algorithm, String digest, boolean consistent) {
    }

    /**
     * @param consistent false from the moment a synchronization starts writing into the disk until it completed and
     *            its digest matched the source's: such a disk may not boot
     * @param syncId the synchronization that last recorded progress into this disk
     * @param syncedThrough every block before this one that {@code syncId}'s stream carried is durable here: where an
     *            interrupted copy resumes
     * @param verifiedTrackingPoint the disk's tracking point when a synchronization into it was last verified: the
     *            disk then held exactly the source's content, so Reverse Replicate sends the blocks changed since
     */
    public record HostDisk(String diskId, long sizeBytes, int blockSize, boolean consistent, String syncId, long syncedThrough,
            Long verifiedTrackingPoint) {
        DiskSpec spec() {
            return new DiskSpec(diskId, sizeBytes, blockSize);
        }

        HostDisk withConsistent(boolean newConsistent) {
            return new HostDisk(diskId, sizeBytes, blockSize, newConsistent, syncId, syncedThrough, verifiedTrackingPoint);
        }

        HostDisk verifiedAt(long trackingPoint) {
            return new HostDisk(diskId, sizeBytes, blockSize, true, syncId, syncedThrough, trackingPoint);
        }

        HostDisk withSyncProgress(String newSyncId, long through) {
            return new HostDisk(diskId, sizeBytes, blockSize, consistent, newSyncId, through, verifiedTrackingPoint);
        }
    }

    HostDisk disk(String diskId) {
        return disks.stream().filter(d -> d.diskId().equals(diskId)).findFirst().orElse(null);
    }

    List<DiskSpec> diskSpecs() {
        return disks.stream().map(HostDisk::spec).toList();
    }

    HostVm withState(HostVmState newState) {
        return new HostVm(name, newState, virtualSwitchName, disks, workload, snapshots, createdAt, Instant.now());
    }

    HostVm withWorkload(WorkloadSettings settings) {
        return new HostVm(name, state, virtualSwitchName, disks, settings, snapshots, createdAt, stateChangedAt);
    }

    HostVm withDisk(String diskId, java.util.function.UnaryOperator<HostDisk> change) {
        return new HostVm(name, state, virtualSwitchName, disks.stream()
                .map(d -> d.diskId().equals(diskId) ? change.apply(d) : d)
                .toList(), workload, snapshots, createdAt, stateChangedAt);
    }

    HostVm withSnapshots(List<VmSnapshot> newSnapshots) {
        return new HostVm(name, state, virtualSwitchName, disks, workload, newSnapshots, createdAt, stateChangedAt);
    }
}
