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

    /**
     * @param blocksWrittenSinceFailover null unless a failover created the VM from replica storage
     * @param blocksWrittenSinceShutdown the blocks written since the VM's last shutdown (null if it never shut down): what
     *        differs from an on-premises copy a failback made then
     * @param dataBytes the bytes of the disk in blocks that are not all zeros, which a full download sends as data (it
     *        sends the others as run lengths): exact for a disk of up to {@value VmStore#DATA_SAMPLE_BLOCKS} blocks,
     *        beyond that counted on that many blocks spread evenly over the disk and scaled up, so that answering reads
     *        at most that many blocks whatever the disk's size
     * @param bytesChangedSinceFailover what the writes since the failover carry: the blocks written whole, and of blocks
     *        written in part only their 4 KiB pages (what a delta sends of them); null with {@code blocksWrittenSinceFailover}
     * @param bytesChangedSinceShutdown the same since the last shutdown; null with {@code blocksWrittenSinceShutdown}
     */
    public record DiskMetrics(String diskId, long sizeBytes, int blockSize, Long blocksWrittenSinceFailover,
            Long blocksWrittenSinceShutdown, long dataBytes, Long bytesChangedSinceFailover, Long bytesChangedSinceShutdown) {
    }
}
