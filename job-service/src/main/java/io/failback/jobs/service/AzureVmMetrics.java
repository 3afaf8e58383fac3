package io.failback.jobs.service;

import java.util.List;

/**
 * azure-sim's {@code GET /api/vms/{name}/metrics} (docs/contracts.md): the VM's write rate and what its disks hold.
 *
 * @param diskWriteOperationsPerSecond writes per second while it runs (0 when stopped)
 * @param writeSizeBytes the size of each write
 */
public record AzureVmMetrics(String vmName, String state, long diskWriteOperationsPerSecond, long writeSizeBytes, List<Disk> disks) {

    /**
     * @param blocksWrittenSinceFailover null unless a failover created the VM from replica storage
     * @param blocksWrittenSinceShutdown null if the VM never shut down
     * @param dataBytes bytes in blocks that are not all zeros; null from an azure-sim that does not tell
     * @param bytesChangedSinceFailover what the writes since the failover carry (blocks written whole, and of the others
     *        their 4 KiB pages); null when not known
     * @param bytesChangedSinceShutdown the same since the last shutdown
     */
    public record Disk(String diskId, long sizeBytes, int blockSize, Long blocksWrittenSinceFailover, Long blocksWrittenSinceShutdown,
            Long dataBytes, Long bytesChangedSinceFailover, Long bytesChangedSinceShutdown) {
    }

    public long sizeBytes() {
        return disks.stream().mapToLong(Disk::sizeBytes).sum();
    }

    /** The bytes that hold data over all disks; null when a disk does not say. */
    public Long dataBytes() {
        long sum = 0;
        for (Disk disk : disks) {
            if (disk.dataBytes() == null) {
                return null;
            }
            sum += disk.dataBytes();
        }
        return sum;
    }
}
