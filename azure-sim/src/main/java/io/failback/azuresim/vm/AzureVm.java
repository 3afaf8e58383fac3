package io.failback.azuresim.vm;

import io.failback.contracts.site.DiskSpec;
import io.failback.contracts.site.VmSnapshot;
import io.failback.contracts.site.WorkloadSettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An Azure VM as azure-sim stores it ({@code vms/<name>/vm.json}).
 *
 * @param workload what the VM writes while Running
 * @param shutdownTrackingPoints each disk's tracking point when the VM last shut down: the blocks changed since a
 *            snapshot up to the shutdown are exactly those changed since the snapshot's points
 * @param replicaOrigin set when a failover created the VM from replica storage
 */
public record AzureVm(String name, AzureVmState state, List<DiskSpec> disks, WorkloadSettings workload,
        Map<String, Long> shutdownTrackingPoints, List<VmSnapshot> snapshots, ReplicaOrigin replicaOrigin, Instant createdAt,
        Instant stateChangedAt) {

    /**
     * @param itemName the protected item whose replica the VM's disks were copied from
     * @param trackingPoints each disk's tracking point right after the copy: the blocks changed since are exactly
     *            where the VM's disks and the replica differ
     */
    public record ReplicaOrigin(String itemName, Map<String, Long> trackingPoints) {
    }

    public AzureVm {
        workload = workload == null ? WorkloadSettings.DEFAULT : workload;
        shutdownTrackingPoints = shutdownTrackingPoints == null ? Map.of() : shutdownTrackingPoints;
        snapshots = snapshots == null ? List.of() : snapshots;
    }

    AzureVm withState(AzureVmState newState) {
        return new AzureVm(name, newState, disks, workload, shutdownTrackingPoints, snapshots, replicaOrigin, createdAt, Instant.now());
    }

    AzureVm withShutdown(Map<String, Long> trackingPoints) {
        return new AzureVm(name, AzureVmState.Stopped, disks, workload, trackingPoints, snapshots, replicaOrigin, createdAt, Instant.now());
    }

    AzureVm withWorkload(WorkloadSettings settings) {
        return new AzureVm(name, state, disks, settings, shutdownTrackingPoints, snapshots, replicaOrigin, createdAt, stateChangedAt);
    }

    AzureVm withSnapshots(List<VmSnapshot> newSnapshots) {
        return new AzureVm(name, state, disks, workload, shutdownTrackingPoints, List.copyOf(newSnapshots), replicaOrigin, createdAt, stateChangedAt);
    }

    AzureVm plusSnapshot(VmSnapshot snapshot) {
        List<VmSnapshot> all = new ArrayList<>(snapshots);
        all.add(snapshot);
        return withSnapshots(all);
    }

    DiskSpec disk(String diskId) {
        return disks.stream().filter(d -> d.diskId().equals(diskId)).findFirst().orElse(null);
    }
}
