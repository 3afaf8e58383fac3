package io.failback.contracts.site;

/**
 * The answer to a block stream written into a disk, sent only after the written blocks are durable.
 *
 * @param dataBlocks blocks written from DATA frames
 * @param zeroBlocks blocks the stream declared all-zero
 */
public record BlockWriteSummary(String diskId, long dataBlocks, long zeroBlocks, long dataBytes) {
}
