package io.failback.contracts.site;

/** {@code GET /api/vms/{vm}/disks/{disk}/digest}: the whole disk's strong digest (SHA-256, lowercase hex). */
public record DiskDigest(String diskId, long sizeBytes, String algorithm, String digest) {
}
