package io.failback.contracts.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The page masks that annotate block ranges on the wire: what they accept, and the bytes they stand for. */
class PageMasksTest {
    private static final int BLOCK = 64 * 1024;

    @Test
    void theBytesOfASelectionCountWholeBlocksAndOnlyThePagesOfPartialOnes() {
        PageMasks pages = PageMasks.of(List.of(new long[] {3, 0b101}, new long[] {10, 1L << 15}, new long[] {40, 1}), BLOCK);
        List<long[]> ranges = List.of(new long[] {2, 2}, new long[] {10, 1});

        assertEquals(BLOCK + 2L * 4096 + 4096, pages.bytesOf(ranges, BLOCK), "block 2 whole, 3 two pages, 10 one; 40 is outside");
        assertEquals("[3:5, 10:8000]", pages.within(ranges, BLOCK).toString());
        assertEquals(0b101, pages.maskOf(3, 0xFFFF));
        assertEquals(0xFFFF, pages.maskOf(2, 0xFFFF), "a block not listed is whole");
        assertSame(PageMasks.NONE, PageMasks.of(null, BLOCK));
        assertEquals(3L * BLOCK, PageMasks.NONE.bytesOf(ranges, BLOCK));
    }

    @Test
    void aMaskMustNameSomeButNotAllOfABlocksPagesInIncreasingBlockOrder() {
        assertThrows(IllegalArgumentException.class, () -> PageMasks.of(List.<long[]>of(new long[] {1, 0}), BLOCK));
        assertThrows(IllegalArgumentException.class, () -> PageMasks.of(List.<long[]>of(new long[] {1, 0xFFFF}), BLOCK));
        assertThrows(IllegalArgumentException.class, () -> PageMasks.of(List.<long[]>of(new long[] {1, 0x10000}), BLOCK));
        assertThrows(IllegalArgumentException.class, () -> PageMasks.of(List.of(new long[] {2, 1}, new long[] {2, 2}), BLOCK));
        assertThrows(IllegalArgumentException.class, () -> PageMasks.of(List.<long[]>of(new long[] {1}), BLOCK));
        assertEquals(-1L, PageMasks.fullMask(256 * 1024), "64 pages use every bit");
        assertEquals(1, PageMasks.pagesPerBlock(6000), "blocks that are not whole pages have no pages");
    }
}
