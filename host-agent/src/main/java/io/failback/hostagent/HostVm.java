package io.failback.hostagent;

import io.failback.contracts.disk.WorkloadSettings;
import io.failback.contracts.site.DiskSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A Hyper-V VM on this host, as stored in {@code vms/<name>/vm.json}.
 *
 * @param workload what the VM writes while Running
 * @param startTrackingPoints each disk's tracking point when the VM last started here: Reverse Replicate sends the
 *            blocks changed since then
 */
public record HostVm(String name, HostVmState state, String virtualSwitchName, List<HostDisk> disks,
        WorkloadSettings workload, Map<String, Long> startTrackingPoints, Instant createdAt, Instant stateChangedAt) {

    public HostVm {
        workload = workload == null ? WorkloadSettings.DEFAULT : workload;
        startTrackingPoints = startTrackingPoints == null ? Map.of() : startTrackingPoints;
    }

    public enum HostVmState {
        Off,
        Running
    }

    /**
     * @param consistent false from the moment a synchronization starts writing into the disk until it completed and
     *            its digest matched the source's: such a disk may not boot
     * @param syncId the synchronization that last recorded progress into this disk
     * @param syncedThrough every block before this one that {@code syncId}'s stream carried is durable here: where an
     *            interrupted copy resumes
     */
    public record HostDisk(String diskId, long sizeBytes, int blockSize, boolean consistent, String syncId, long syncedThrough) {
        DiskSpec spec() {
            return new DiskSpec(diskId, sizeBytes, blockSize);
        }

        HostDisk withConsistent(boolean newConsistent) {
            return new HostDisk(diskId, sizeBytes, blockSize, newConsistent, syncId, syncedThrough);
        }

        HostDisk withSyncProgress(String newSyncId, long through) {
            return new HostDisk(diskId, sizeBytes, blockSize, consistent, newSyncId, through);
        }
    }

    HostDisk disk(String diskId) {
        return disks.stream().filter(d -> d.diskId().equals(diskId)).findFirst().orElse(null);
    }

    List<DiskSpec> diskSpecs() {
        return disks.stream().map(HostDisk::spec).toList();
    }

    HostVm withState(HostVmState newState) {
        return new HostVm(name, newState, virtualSwitchName, disks, workload, startTrackingPoints, createdAt, Instant.now());
    }

    HostVm started(Map<String, Long> trackingPoints) {
        return new HostVm(name, HostVmState.Running, virtualSwitchName, disks, workload, trackingPoints, createdAt, Instant.now());
    }

    HostVm withWorkload(WorkloadSettings settings) {
        return new HostVm(name, state, virtualSwitchName, disks, settings, startTrackingPoints, createdAt, stateChangedAt);
    }

    HostVm withDisk(String diskId, java.util.function.UnaryOperator<HostDisk> change) {
        return new HostVm(name, state, virtualSwitchName, disks.stream()
                .map(d -> d.diskId().equals(diskId) ? change.apply(d) : d)
                .toList(), workload, startTrackingPoints, createdAt, stateChangedAt);
    }
}
