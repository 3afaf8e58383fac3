package io.failback.contracts.site;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The block API's {@code GET .../changed-blocks}: runs of blocks {@code [first, count]} written after {@code since},
 * and {@code pages} ({@link PageMasks} as {@code [[block, mask], ...]}): of those blocks, the ones only partly written
 * since, with the 4 KiB pages that were. A block of the runs not in {@code pages} was written whole (or its pages are
 * not known: after a crash every block counts whole). {@code pages} was added within version 1: absent (null) from a
 * site that tracks whole blocks only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChangedBlocks(String diskId, long since, long trackingPoint, int blockSize, long blockCount, List<long[]> ranges,
        List<long[]> pages) {

    /** The partly written blocks' pages ({@link PageMasks#NONE} when the site sent none). */
    public PageMasks pageMasks() {
        return PageMasks.of(pages, blockSize);
    }

    /** What these blocks and pages carry: what a selection of them sends when partial blocks travel as pages. */
    public long changedBytes() {
        return pageMasks().bytesOf(ranges, blockSize);
    }
}
