package io.failback.sitedisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.PageMasks;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Changed-page tracking, alone and inside the disk: exact masks, restarts, crashes, resets. */
class PageStampsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BLOCK = 64 * 1024;
    private static final int PAGE = 4096;
    private static final long FULL = 0xFFFF;

    @TempDir
    Path dir;

    @Test
    void theMasksAreExactlyThePagesWrittenAfterEachPointForWritesOfAnySizeAndAlignment() {
        for (long seed = 1; seed <= 30; seed++) {
            Random random = new Random(seed);
            long size = (1 + random.nextInt(4)) * (1L << 20);
            VirtualDisk disk = VirtualDisk.create(JSON, dir.resolve("seed-" + seed), "disk", size, BLOCK);
            long[] pageStamps = new long[(int) (size / PAGE)];
            long[] points = new long[5];
            for (int phase = 0; phase < points.length; phase++) {
                points[phase] = disk.trackingPoint();
                int writes = random.nextInt(40);
                for (int w = 0; w < writes; w++) {
                    int length = switch (random.nextInt(4)) {
                        case 0 -> PAGE;
                        case 1 -> 1 + random.nextInt(16);
                        case 2 -> BLOCK;
                        default -> 1 + random.nextInt(3 * BLOCK);
                    };
                    long offset = random.nextBoolean() ? PAGE * (long) random.nextInt((int) ((size - length) / PAGE))
                            : Math.floorMod(random.nextLong(), size - length);
                    disk.write(offset, ByteBuffer.wrap(new byte[length]));
                    for (long page = offset / PAGE; page <= (offset + length - 1) / PAGE; page++) {
                        pageStamps[(int) page] = disk.trackingPoint();
                    }
                }
            }
            for (int p = 0; p < points.length; p++) {
                PageStamps.Changes changes = disk.changedPagesSince(points[p]);
                assertEquals(masksAfter(pageStamps, points[p]), masks(changes), "seed " + seed + ", point " + p);
                assertEquals(blocks(disk.changedSince(points[p])), blocks(changes.blocks()), "the same blocks as block tracking");
            }
            disk.close();
        }
    }

    @Test
    void aWriteStampsEveryPageItTouchesAndNoOther() {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 8L * BLOCK, BLOCK);
        long point = disk.trackingPoint();
        disk.write(BLOCK + 3L * PAGE, ByteBuffer.wrap(new byte[PAGE])); // one aligned page
        disk.write(2L * BLOCK + PAGE - 1, ByteBuffer.wrap(new byte[2])); // two bytes across a page boundary
        disk.write(4L * BLOCK, ByteBuffer.wrap(new byte[BLOCK])); // a whole block
        disk.write(6L * BLOCK - 100, ByteBuffer.wrap(new byte[200])); // across a block boundary
        disk.write(7L * BLOCK + 15L * PAGE + 4095, ByteBuffer.wrap(new byte[1])); // the last byte of the disk

        assertEquals(Map.of(1L, 1L << 3, 2L, 0b11L, 4L, FULL, 5L, 1L << 15, 6L, 1L, 7L, 1L << 15), masks(disk.changedPagesSince(point)));
        PageStamps.Changes changes = disk.changedPagesSince(point);
        assertEquals("[1:8, 2:3, 5:8000, 6:1, 7:8000]", changes.partial().toString(), "a whole block is not partial");
        assertEquals(22L * PAGE, changes.partial().bytesOf(changes.blocks().ranges(), BLOCK), "bytes: 1 + 2 + 16 + 1 + 1 + 1 pages");
        disk.close();
    }

    @Test
    void aWholeBlockWrittenAfterPartialWritesIsUniformAgainAndCostsNoPageAges() {
        PageStamps stamps = new PageStamps(BLOCK, 4);
        stamps.stamp(0, PAGE, 1);
        stamps.stamp(BLOCK + 5L * PAGE, 10, 2);
        assertEquals(2, stamps.splitBlocks());
        stamps.stamp(0, 2L * BLOCK, 3);
        assertEquals(0, stamps.splitBlocks(), "a full copy leaves no block split");
        assertEquals(FULL, stamps.pagesWrittenAfter(0, 2));
        assertEquals(0, stamps.pagesWrittenAfter(0, 3));
        // Pages written one by one until all carry the same stamp: uniform again.
        for (int page = 0; page < 16; page++) {
            stamps.stamp(2L * BLOCK + page * PAGE, PAGE, 4 + page);
        }
        assertEquals(1, stamps.splitBlocks());
        assertEquals(0b1100_0000_0000_0000L, stamps.pagesWrittenAfter(2, 17));
    }

    @Test
    void writesAppliedOutOfStampOrderKeepTheNewestStampOfEachPage() {
        PageStamps stamps = new PageStamps(BLOCK, 1);
        stamps.stamp(0, BLOCK, 10);
        stamps.stamp(PAGE, PAGE, 5); // a write that took its stamp earlier, applied later
        assertEquals(FULL, stamps.pagesWrittenAfter(0, 9));
        assertEquals(0, stamps.pagesWrittenAfter(0, 10));
        stamps.stamp(2L * PAGE, PAGE, 12);
        stamps.stamp(0, BLOCK, 11); // whole block, older than page 2's stamp
        assertEquals(1L << 2, stamps.pagesWrittenAfter(0, 11));
        assertEquals(FULL, stamps.pagesWrittenAfter(0, 10));
    }

    @Test
    void aPageOlderThanTwoToTheThirtyOneWritesBeforeItsBlocksNewestIsReportedConservativelyNeverMissed() {
        PageStamps stamps = new PageStamps(BLOCK, 1);
        stamps.stamp(0, BLOCK, 1);
        long late = 3_000_000_000L;
        stamps.stamp(PAGE, PAGE, late);
        assertEquals(FULL, stamps.pagesWrittenAfter(0, 0), "every page was written after 0");
        assertEquals(FULL, stamps.pagesWrittenAfter(0, 2), "the pages written at 1 reported too: their ages saturated");
        assertEquals(0b10L, stamps.pagesWrittenAfter(0, late - Integer.MAX_VALUE), "exact for a point within 2^31 - 1 writes");
        assertEquals(0, stamps.pagesWrittenAfter(0, late));
    }

    @Test
    void masksSurviveACleanRestartExactly() {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 16L * BLOCK, BLOCK);
        long before = disk.trackingPoint();
        disk.write(3L * BLOCK + 2L * PAGE, ByteBuffer.wrap(new byte[PAGE]));
        long middle = disk.trackingPoint();
        disk.write(3L * BLOCK + 9L * PAGE, ByteBuffer.wrap(new byte[2 * PAGE]));
        disk.write(9L * BLOCK, ByteBuffer.wrap(new byte[BLOCK]));
        Map<Long, Long> sinceBefore = masks(disk.changedPagesSince(before));
        Map<Long, Long> sinceMiddle = masks(disk.changedPagesSince(middle));
        disk.close();
        assertTrue(Files.exists(dir.resolve("disk.pages")));

        VirtualDisk reopened = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        assertEquals(Map.of(3L, (1L << 2) | (0b11L << 9), 9L, FULL), masks(reopened.changedPagesSince(before)));
        assertEquals(sinceBefore, masks(reopened.changedPagesSince(before)));
        assertEquals(Map.of(3L, 0b11L << 9, 9L, FULL), sinceMiddle);
        assertEquals(sinceMiddle, masks(reopened.changedPagesSince(middle)));
        reopened.close();
        VirtualDisk.deleteFiles(dir, "disk");
        assertTrue(Files.notExists(dir.resolve("disk.pages")), "deleted with the disk");
    }

    @Test
    void withoutItsPagesFileARestartedDiskReportsTheChangedBlocksWhole() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 16L * BLOCK, BLOCK);
        long point = disk.trackingPoint();
        disk.write(3L * BLOCK + 2L * PAGE, ByteBuffer.wrap(new byte[PAGE]));
        disk.close();
        Files.delete(dir.resolve("disk.pages")); // a disk saved before page tracking existed

        VirtualDisk reopened = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        assertEquals(Map.of(3L, FULL), masks(reopened.changedPagesSince(point)));
        reopened.close();

        Files.write(dir.resolve("disk.pages"), new byte[] {1, 2, 3}); // unreadable
        VirtualDisk again = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        assertEquals(Map.of(3L, FULL), masks(again.changedPagesSince(point)));
        again.close();
    }

    @Test
    void afterACrashEveryPageOfEveryBlockCountsAsWritten() {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 4L * BLOCK, BLOCK);
        long point = disk.trackingPoint();
        disk.write(PAGE, ByteBuffer.wrap(new byte[PAGE]));
        disk.close();
        VirtualDisk reopened = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        reopened.write(BLOCK + PAGE, ByteBuffer.wrap(new byte[PAGE]));
        // No close(): as if the process died.
        VirtualDisk recovered = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        assertTrue(recovered.recoveredFromCrash());
        assertEquals(Map.of(0L, FULL, 1L, FULL, 2L, FULL, 3L, FULL), masks(recovered.changedPagesSince(point)));
        assertTrue(recovered.changedPagesSince(point).partial().isEmpty());
        recovered.close();
    }

    @Test
    void aResetToZerosCountsEveryPageAsWritten() {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 4L * BLOCK, BLOCK);
        disk.write(PAGE, ByteBuffer.wrap(new byte[PAGE]));
        long point = disk.trackingPoint();
        disk.zeroAll();
        assertEquals(Map.of(0L, FULL, 1L, FULL, 2L, FULL, 3L, FULL), masks(disk.changedPagesSince(point)));
        long after = disk.trackingPoint();
        disk.write(2L * BLOCK + 5L * PAGE, ByteBuffer.wrap(new byte[1]));
        assertEquals(Map.of(2L, 1L << 5), masks(disk.changedPagesSince(after)));
        disk.close();
    }

    @Test
    void aDiskWhoseBlocksAreNotWholePagesTracksWholeBlocks() {
        PageStamps stamps = new PageStamps(6000, 4);
        stamps.stamp(100, 10, 1);
        PageStamps.Changes changes = stamps.changedSince(0);
        assertEquals(1, changes.blocks().blockCount());
        assertTrue(changes.partial().isEmpty());
    }

    /** Every block with a page written after the point, with the mask of those pages (all 16 bits: the whole block). */
    private static Map<Long, Long> masksAfter(long[] pageStamps, long point) {
        Map<Long, Long> masks = new TreeMap<>();
        for (int page = 0; page < pageStamps.length; page++) {
            if (pageStamps[page] > point) {
                masks.merge((long) page / 16, 1L << (page % 16), (a, b) -> a | b);
            }
        }
        return masks;
    }

    private static Map<Long, Long> masks(PageStamps.Changes changes) {
        Map<Long, Long> masks = new TreeMap<>();
        for (long[] range : changes.blocks().ranges()) {
            for (long block = range[0]; block < range[0] + range[1]; block++) {
                masks.put(block, changes.partial().maskOf(block, FULL));
            }
        }
        return masks;
    }

    private static java.util.TreeSet<Long> blocks(BlockRanges ranges) {
        java.util.TreeSet<Long> blocks = new java.util.TreeSet<>();
        for (long[] range : ranges.ranges()) {
            for (long b = range[0]; b < range[0] + range[1]; b++) {
                blocks.add(b);
            }
        }
        return blocks;
    }

    static {
        // PageMasks is what the wire carries; the tracking speaks it.
        assert PageMasks.PAGE_BYTES == PAGE;
    }
}
