package io.failback.azuresim.vm;

import java.util.List;

/**
 * {@code GET /api/vms/{name}/metrics}: the VM's disk activity, as Azure Monitor reports it for a real VM.
 *
 * @param diskWriteOperationsPerSecond writes per second while it runs (0 when stopped)
 * @param writeSizeBytes the size of each write
 */
public record VmMetrics(String vmName, AzureVmState state, long diskWriteOperationsPerSecond, long writeSizeBytes,
        List<DiskMetrics> disks) {

    /** @param blocksWrittenSinceFailover null unless a failover created the VM from replica storage */
    public record DiskMetrics(String diskId, long sizeBytes, int blockSize, Long blocksWrittenSinceFailover) {
    }
}
