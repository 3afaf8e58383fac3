package io.failback.contracts.site;

import java.util.List;

/** The block API's {@code GET .../changed-blocks}: runs of blocks {@code [first, count]} written after {@code since}. */
public record ChangedBlocks(String diskId, long since, long trackingPoint, int blockSize, long blockCount, List<long[]> ranges) {
}
