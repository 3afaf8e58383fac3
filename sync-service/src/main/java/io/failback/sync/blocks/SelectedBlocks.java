package io.failback.sync.blocks;

import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.ChangedBlocks;
import io.failback.contracts.site.PageMasks;
import java.util.List;

/**
 * What a delta sends of one disk: runs of blocks {@code [first, count]}, and of some of those blocks only some 4 KiB
 * pages. It travels to the source as a {@code blocks/select} body; a source that sends whole blocks anyway is still
 * right, it only sends more.
 */
public record SelectedBlocks(List<long[]> ranges, PageMasks pages, int blockSize) {

    /** The blocks and pages a site's change tracking reports. */
    public static SelectedBlocks of(ChangedBlocks changed) {
        return new SelectedBlocks(changed.ranges(), changed.pageMasks(), changed.blockSize());
    }

    public long blockCount() {
        return ranges.stream().mapToLong(r -> r[1]).sum();
    }

    /** The bytes of the selected blocks' content that must travel: whole blocks, and only the pages of partial ones. */
    public long bytes() {
        return pages.bytesOf(ranges, blockSize);
    }

    /** The {@code blocks/select} body. */
    public BlockSelection body() {
        return BlockSelection.of(ranges, pages);
    }
}
