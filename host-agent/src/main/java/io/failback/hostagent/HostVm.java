package io.failback.hostagent;

import io.failback.contracts.site.DiskSpec;
import java.time.Instant;
import java.util.List;

/** A Hyper-V VM on this host, as stored in {@code vms/<name>/vm.json}. */
public record HostVm(String name, HostVmState state, String virtualSwitchName, List<HostDisk> disks, Instant createdAt,
        Instant stateChangedAt) {

    public enum HostVmState {
        Off,
        Running
    }

    /**
     * @param consistent false from the moment a synchronization starts writing into the disk until it completed and
     *            its digest matched the source's: such a disk may not boot
     */
    public record HostDisk(String diskId, long sizeBytes, int blockSize, boolean consistent) {
        DiskSpec spec() {
            return new DiskSpec(diskId, sizeBytes, blockSize);
        }
    }

    HostDisk disk(String diskId) {
        return disks.stream().filter(d -> d.diskId().equals(diskId)).findFirst().orElse(null);
    }

    HostVm withState(HostVmState newState) {
        return new HostVm(name, newState, virtualSwitchName, disks, createdAt, Instant.now());
    }

    HostVm withDiskConsistent(String diskId, boolean consistent) {
        return new HostVm(name, state, virtualSwitchName, disks.stream()
                .map(d -> d.diskId().equals(diskId) ? new HostDisk(d.diskId(), d.sizeBytes(), d.blockSize(), consistent) : d)
                .toList(), createdAt, stateChangedAt);
    }
}
