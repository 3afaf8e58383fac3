package io.failback.contracts.site;

/** A VM's disk as both sites describe it: an id unique within the VM, its size and block size in bytes. */
public record DiskSpec(String diskId, long sizeBytes, int blockSize) {
    public long blockCount() {
        return sizeBytes / blockSize;
    }
}
