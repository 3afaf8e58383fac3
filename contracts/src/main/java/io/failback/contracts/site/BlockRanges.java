package io.failback.contracts.site;

import java.util.ArrayList;
import java.util.List;

/**
 * A set of blocks as sorted, disjoint, non-adjacent runs {@code [first, first + count)}: how changed-block lists
 * travel (a few runs for a sequential workload, at most one per block for a random one).
 */
public record BlockRanges(List<long[]> ranges) {

    public static final class Builder {
        private final List<long[]> ranges = new ArrayList<>();
        private long start = -1;
        private long next = -1;

        /** Adds blocks in increasing order. */
        public void add(long block) {
            if (block == next) {
                next++;
                return;
            }
            flush();
            start = block;
            next = block + 1;
        }

        private void flush() {
            if (start >= 0) {
                ranges.add(new long[] {start, next - start});
            }
        }

        public BlockRanges build() {
            flush();
            start = -1;
            return new BlockRanges(List.copyOf(ranges));
        }
    }

    public long blockCount() {
        return ranges.stream().mapToLong(r -> r[1]).sum();
    }

    public boolean contains(long block) {
        for (long[] range : ranges) {
            if (block >= range[0] && block < range[0] + range[1]) {
                return true;
            }
        }
        return false;
    }
}
