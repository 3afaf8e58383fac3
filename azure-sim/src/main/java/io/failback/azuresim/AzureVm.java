package io.failback.azuresim;

import io.failback.contracts.site.DiskSpec;
import java.time.Instant;
import java.util.List;

/** An Azure VM as azure-sim stores it ({@code vms/<name>/vm.json}). */
public record AzureVm(String name, AzureVmState state, List<DiskSpec> disks, Instant createdAt, Instant stateChangedAt) {

    AzureVm withState(AzureVmState newState) {
        return new AzureVm(name, newState, disks, createdAt, Instant.now());
    }

    DiskSpec disk(String diskId) {
        return disks.stream().filter(d -> d.diskId().equals(diskId)).findFirst().orElse(null);
    }
}
