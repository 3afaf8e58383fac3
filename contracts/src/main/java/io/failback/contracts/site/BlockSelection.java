package io.failback.contracts.site;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The body of the block API's {@code POST .../blocks/select} and {@code POST .../hashes/select}: runs of blocks
 * {@code [first, count]} (increasing, disjoint), and optionally {@code pages} ({@link PageMasks} as {@code [[block,
 * mask], ...]}): of those blocks of the runs, only these pages are wanted. A site that cannot send pages sends the
 * whole blocks, which is always correct; {@code hashes/select} ignores {@code pages}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BlockSelection(List<long[]> ranges, List<long[]> pages) {

    /** Whole blocks. */
    public static BlockSelection of(List<long[]> ranges) {
        return new BlockSelection(ranges, null);
    }

    /** The blocks of {@code ranges}, of those listed in {@code pages} only their pages. */
    public static BlockSelection of(List<long[]> ranges, PageMasks pages) {
        return new BlockSelection(ranges, pages == null || pages.isEmpty() ? null : pages.pairs());
    }
}
