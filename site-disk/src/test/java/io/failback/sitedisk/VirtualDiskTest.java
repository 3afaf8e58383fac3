package io.failback.sitedisk;

import io.failback.testing.ReferenceDigest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.WorkloadSettings;
import io.failback.contracts.site.WorkloadSettings.WritePattern;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk both sites simulate, on real files: snapshots, changed-block tracking, restarts and crashes. */
class VirtualDiskTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BLOCK = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void aSnapshotTakenWhileTheWorkloadWritesKeepsTheContentOfItsMoment() throws Exception {
        VirtualDisk a = VirtualDisk.create(JSON, dir, "disk-0", 16L << 20, BLOCK);
        VirtualDisk b = VirtualDisk.create(JSON, dir, "disk-1", 8L << 20, BLOCK);
        VmDisks vm = new VmDisks("vm", List.of(a, b));
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
        try {
            vm.startWorkload(scheduler, new WorkloadSettings(WritePattern.RandomSmall, 5000, 4096, 11));
            awaitWrites(vm, 500);

            // The reference copy is made at the very moment of the snapshot, with writes held out.
            Map<String, String> atSnapshot = vm.atOneMoment(() -> {
                vm.snapshot("s1");
                return Map.of("disk-0", a.digest(), "disk-1", b.digest());
            });
            long writesAtSnapshot = vm.writesDone();
            awaitWrites(vm, writesAtSnapshot + 2000);

            assertEquals(atSnapshot.get("disk-0"), a.snapshotDigest("s1"));
            assertEquals(atSnapshot.get("disk-1"), b.snapshotDigest("s1"));
            assertNotEquals(atSnapshot.get("disk-0"), a.digest(), "the live disk moved on");
        } finally {
            // Stop writing before the threads go: an interrupted FileChannel write closes the channel.
            vm.stopWorkload();
            scheduler.shutdownNow();
            vm.close();
        }
    }

    /**
     * Catch-up rounds (issue #17) take a snapshot of a writing VM every few seconds and delete the one before: a write
     * copying a block's old content into a snapshot must never meet that snapshot closed under it, or the VM's write
     * fails (its workload stopped for good when this raced). Each kept snapshot still shows its moment.
     */
    @Test
    void snapshotsDeletedWhileTheWorkloadWritesNeverFailAWrite() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-r", 8L << 20, BLOCK);
        VmDisks vm = new VmDisks("vm-r", List.of(disk));
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
        try {
            vm.startWorkload(scheduler, new WorkloadSettings(WritePattern.RandomSmall, 20000, 4096, 5));
            awaitWrites(vm, 500);
            String previous = null;
            String digestAtLast = null;
            for (int round = 0; round < 400; round++) {
                String id = "round-" + round;
                digestAtLast = vm.atOneMoment(() -> {
                    vm.snapshot(id);
                    return disk.digest();
                });
                if (previous != null) {
                    vm.deleteSnapshot(previous);
                }
                previous = id;
                awaitWrites(vm, vm.writesDone() + 10);
            }
            awaitWrites(vm, vm.writesDone() + 1000);
            assertEquals(List.of(previous), disk.snapshotIds());
            assertEquals(digestAtLast, disk.snapshotDigest(previous), "the kept snapshot shows its moment");
        } finally {
            vm.stopWorkload();
            scheduler.shutdownNow();
            vm.close();
        }
    }

    @Test
    void theDigestRehashesOnlyWrittenBlocksAndAlwaysEqualsTheFilesBlockListDigest() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-d", 32L * BLOCK, BLOCK);
        byte[] content = new byte[32 * BLOCK];
        new Random(5).nextBytes(content);
        disk.write(0, ByteBuffer.wrap(content));
        String first = disk.digest();
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-d")), first);
        assertEquals(first, disk.digest(), "nothing written since: the same digest");

        disk.write(7L * BLOCK + 100, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        String second = disk.digest();
        assertNotEquals(first, second, "a 3-byte write changes the digest");
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-d")), second);
        disk.zeroAll();
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-d")), disk.digest());
        disk.close();
    }

    @Test
    void blocksWrittenWholeAreHashedOnTheWaySoTheDigestReadsNoneAndEqualsTheFilesDigest() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-w", 64L * BLOCK, BLOCK);
        Random random = new Random(7);
        byte[] run = randomBytes(random, 5 * BLOCK);
        byte[] single = randomBytes(random, BLOCK);
        disk.writeRuns(List.of(new BlockDevice.Run(3, ByteBuffer.wrap(run)), new BlockDevice.Run(20, ByteBuffer.wrap(single)),
                new BlockDevice.Run(40, ByteBuffer.allocateDirect(2 * BLOCK))));
        ByteBuffer direct = ByteBuffer.allocateDirect(3 * BLOCK);
        direct.put(run, 0, 3 * BLOCK).flip();
        disk.writeBlocks(61, direct);
        GeneratedContent.write(VirtualDisk.create(JSON, dir.resolve("g"), "disk-g", 32L << 20, BLOCK), new Random(3), 43);

        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-w")), disk.digest());
        assertEquals(0, disk.blocksReadForDigests(), "every block's hash was known: zeros from creation, the rest from the writes");

        disk.write(21L * BLOCK + 5, ByteBuffer.wrap(new byte[] {9, 9}));
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-w")), disk.digest());
        assertEquals(0, disk.blocksReadForDigests(), "a partial write hashes its block as it writes it");
        disk.writePages(22, 1L << 3, ByteBuffer.wrap(randomBytes(random, 4096)));
        disk.writePages(22, 0b101L << 8, ByteBuffer.wrap(randomBytes(random, 2 * 4096)));
        disk.writePages(4, 1L << 15 | 1L, ByteBuffer.wrap(randomBytes(random, 2 * 4096)));
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-w")), disk.digest());
        assertEquals(0, disk.blocksReadForDigests(), "blocks written as pages are hashed from the written pages and the"
                + " kept hashes of their others, also when written as pages again");
        disk.close();

        VirtualDisk reopened = VirtualDisk.open(JSON, dir, "disk-w", BLOCK);
        reopened.writePages(5, 1L << 7, ByteBuffer.wrap(randomBytes(random, 4096)));
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-w")), reopened.digest());
        assertEquals(0, reopened.blocksReadForDigests(), "the page hashes kept across a clean restart count");
        // No close(): as if the process died. Nothing kept counts then, and the pages' block is read once.
        VirtualDisk recovered = VirtualDisk.open(JSON, dir, "disk-w", BLOCK);
        recovered.digest();
        long readAfterCrash = recovered.blocksReadForDigests();
        recovered.writePages(6, 1L << 2, ByteBuffer.wrap(randomBytes(random, 4096)));
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-w")), recovered.digest());
        assertEquals(readAfterCrash, recovered.blocksReadForDigests(), "hashed again after the crash, its pages' hashes count");
        recovered.close();

        VirtualDisk generated = VirtualDisk.open(JSON, dir.resolve("g"), "disk-g", BLOCK);
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir.resolve("g"), "disk-g")), generated.digest());
        generated.close();
    }

    @Test
    void aFullCopyIntoAZeroedDiskIsProvenWithoutReadingAnyBlock() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-z", 32L * BLOCK, BLOCK);
        byte[] content = new byte[32 * BLOCK];
        new Random(9).nextBytes(content);
        disk.write(0, ByteBuffer.wrap(content));
        disk.write(3L * BLOCK + 1, ByteBuffer.wrap(new byte[] {1}));
        disk.zeroAll();
        // The stream's data blocks; its ZEROS runs write nothing into a zeroed disk.
        disk.writeRuns(List.of(new BlockDevice.Run(4, ByteBuffer.wrap(content, 0, 6 * BLOCK))));
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-z")), disk.digest());
        assertEquals(0, disk.blocksReadForDigests());
        disk.close();
    }

    @Test
    void aGuestsWholePageWritesAreHashedAsPagesAndLeaveSnapshotsAsTheyWere() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-p", 16L * BLOCK, BLOCK);
        Random random = new Random(23);
        disk.write(0, ByteBuffer.wrap(randomBytes(random, 12 * BLOCK)));
        disk.snapshot("s");
        byte[] atSnapshot = Files.readAllBytes(VirtualDisk.imagePath(dir, "disk-p"));

        disk.write(3L * BLOCK + 5 * 4096, ByteBuffer.wrap(randomBytes(random, 4096)));      // one page
        disk.write(4L * BLOCK + 14 * 4096, ByteBuffer.wrap(randomBytes(random, 4 * 4096)));  // across two blocks
        disk.write(14L * BLOCK, ByteBuffer.wrap(randomBytes(random, 2 * 4096)));             // a block never written
        disk.write(6L * BLOCK + 4096 + 10, ByteBuffer.wrap(randomBytes(random, 100)));      // not whole pages

        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-p")), disk.digest());
        assertEquals(0, disk.blocksReadForDigests(), "whole pages hashed as written, the rest of their blocks from kept hashes");
        assertEquals(DiskFile.digest((first, dst) -> dst.put(atSnapshot, (int) (first * BLOCK), dst.remaining()), BLOCK, 16),
                disk.snapshotDigest("s"), "the snapshot kept the blocks the pages were written into as they were");
        disk.close();

        // No close(): as if the process died. No page hash counts then; a page write hashes its block whole once.
        VirtualDisk recovered = VirtualDisk.open(JSON, dir, "disk-p", BLOCK);
        recovered.write(8L * BLOCK + 3 * 4096, ByteBuffer.wrap(randomBytes(random, 4096)));
        recovered.write(8L * BLOCK + 9 * 4096, ByteBuffer.wrap(randomBytes(random, 4096)));
        recovered.blockHashes(8, 1);
        assertEquals(0, recovered.blocksReadForDigests(), "the block the pages went into was hashed when first written");
        assertArrayEquals(sha256OfBlocks(Files.readAllBytes(VirtualDisk.imagePath(dir, "disk-p")), 8, 1), recovered.blockHashes(8, 1));
        recovered.close();
    }

    @Test
    void holdsDataTellsBlocksOfZerosFromBlocksOfDataWhetherItsHashIsKeptOrNot() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-z", 8L * BLOCK, BLOCK);
        Random random = new Random(29);
        disk.writeBlocks(0, ByteBuffer.wrap(randomBytes(random, BLOCK)));
        disk.writeBlocks(1, ByteBuffer.allocate(BLOCK));                               // zeros, written
        disk.write(2L * BLOCK + 3, ByteBuffer.wrap(new byte[] {1}));                  // one byte of data
        disk.writeBlocks(3, ByteBuffer.wrap(randomBytes(random, BLOCK)));
        disk.write(3L * BLOCK, ByteBuffer.allocate(BLOCK));                            // data overwritten with zeros
        List<Boolean> expected = List.of(true, false, true, false, false, false, false, false); // 4..7 never written
        ByteBuffer scratch = ByteBuffer.allocate(BLOCK);
        for (int block = 0; block < 8; block++) {
            assertEquals(expected.get(block), disk.holdsData(block, scratch), "block " + block);
        }
        // No close(): as if the process died. No hash is known then; the blocks are read.
        VirtualDisk recovered = VirtualDisk.open(JSON, dir, "disk-z", BLOCK);
        for (int block = 0; block < 8; block++) {
            assertEquals(expected.get(block), recovered.holdsData(block, scratch), "block " + block + " after a crash");
        }
        recovered.close();
    }

    @Test
    void aSnapshotsDigestHashesOnlyTheBlocksWrittenSinceAndEqualsOneComputedFromScratch() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-s", 256L * BLOCK, BLOCK);
        Random random = new Random(11);
        byte[] content = new byte[256 * BLOCK];
        random.nextBytes(content);
        java.util.Arrays.fill(content, 100 * BLOCK, 140 * BLOCK, (byte) 0);
        disk.write(0, ByteBuffer.wrap(content));
        disk.write(7L * BLOCK + 300, ByteBuffer.wrap(new byte[] {5, 6, 7})); // a partial write: block 7 not hashed yet
        disk.snapshot("s");
        // After the snapshot: whole blocks, partial writes, zeros, and a block only read back.
        for (int i = 0; i < 10; i++) {
            byte[] block = new byte[BLOCK];
            random.nextBytes(block);
            disk.writeBlocks(random.nextInt(256), ByteBuffer.wrap(block));
            disk.write(Math.floorMod(random.nextLong(), 256L * BLOCK - 4096), ByteBuffer.wrap(block, 0, 4096));
        }
        disk.writeRuns(List.of(new BlockDevice.Run(120, ByteBuffer.allocate(4 * BLOCK)), new BlockDevice.Run(200, ByteBuffer.allocate(BLOCK))));
        long heldOrUnknown = disk.changedSince(0).blockCount();

        String fromScratch = DiskFile.digest((first, dst) -> disk.readSnapshot("s", first, dst), BLOCK, disk.blockCount());
        String incremental = disk.snapshotDigest("s");
        assertEquals(fromScratch, incremental);
        assertTrue(disk.blocksReadForDigests() <= 30, "read " + disk.blocksReadForDigests() + " of " + heldOrUnknown
                + " blocks: only those written since the snapshot (and block 7), not the disk");
        long afterFirst = disk.blocksReadForDigests();
        assertEquals(fromScratch, disk.snapshotDigest("s"));
        assertEquals(afterFirst, disk.blocksReadForDigests(), "a second digest of the snapshot reads nothing");
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-s")), disk.digest(), "the live disk's digest still holds");
        disk.close();
    }

    @Test
    void blockHashesAreTheBlocksSha256FromWhatTheDiskKeepsLiveAndInASnapshot() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-h", 48L * BLOCK, BLOCK);
        Random random = new Random(17);
        disk.write(0, ByteBuffer.wrap(randomBytes(random, 40 * BLOCK)));
        disk.write(5L * BLOCK + 100, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        disk.snapshot("s");
        byte[] snapshotBytes = Files.readAllBytes(VirtualDisk.imagePath(dir, "disk-h"));
        byte[] block = randomBytes(random, BLOCK);
        disk.writeBlocks(7, ByteBuffer.wrap(block));
        disk.writePages(9, 0b11, ByteBuffer.wrap(block, 0, 2 * 4096));
        byte[] liveBytes = Files.readAllBytes(VirtualDisk.imagePath(dir, "disk-h"));

        assertArrayEquals(sha256OfBlocks(liveBytes, 3, 40), disk.blockHashes(3, 40));
        assertEquals(0, disk.blocksReadForDigests(), "every block was hashed as written, block 9 from its written pages");
        assertArrayEquals(sha256OfBlocks(snapshotBytes, 0, 48), disk.snapshotBlockHashes("s", 0, 48));
        assertEquals(0, disk.blocksReadForDigests(), "the snapshot's own copies of blocks 7 and 9 kept the hashes they had");
        assertThrows(IllegalArgumentException.class, () -> disk.blockHashes(40, 9));
        disk.close();
    }

    @Test
    void theBlockHashesSurviveACleanRestartButNotACrash() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-r", 32L * BLOCK, BLOCK);
        byte[] content = new byte[20 * BLOCK];
        new Random(13).nextBytes(content);
        disk.write(0, ByteBuffer.wrap(content));
        String digest = disk.digest();
        disk.close();

        VirtualDisk reopened = VirtualDisk.open(JSON, dir, "disk-r", BLOCK);
        assertEquals(digest, reopened.digest());
        assertEquals(0, reopened.blocksReadForDigests(), "nothing rehashed after a clean restart");
        reopened.writeBlocks(2, ByteBuffer.wrap(content, 5 * BLOCK, BLOCK));
        String afterWrite = reopened.digest();
        // No close(): as if the process died.
        VirtualDisk recovered = VirtualDisk.open(JSON, dir, "disk-r", BLOCK);
        assertTrue(recovered.recoveredFromCrash());
        assertEquals(afterWrite, recovered.digest());
        assertEquals(blockListDigest(VirtualDisk.imagePath(dir, "disk-r")), afterWrite);
        assertEquals(32, recovered.blocksReadForDigests(), "after a crash every block is read once");
        recovered.close();
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** The hashes of {@code count} blocks from {@code first} of an image's bytes, concatenated, computed by the contract. */
    private static byte[] sha256OfBlocks(byte[] image, int first, int count) {
        return ReferenceDigest.blockHashes(java.util.Arrays.copyOfRange(image, first * BLOCK, (first + count) * BLOCK), BLOCK);
    }

    /** The digest of the file, computed by the contract from its bytes. */
    private static String blockListDigest(Path image) throws Exception {
        return ReferenceDigest.of(Files.readAllBytes(image), BLOCK);
    }

    @Test
    void changedBlockTrackingReportsExactlyTheBlocksWrittenAfterEachPoint() {
        for (long seed = 1; seed <= 40; seed++) {
            Path diskDir = dir.resolve("seed-" + seed);
            Random random = new Random(seed);
            long size = (1 + random.nextInt(8)) * (1L << 20);
            VirtualDisk disk = VirtualDisk.create(JSON, diskDir, "disk", size, BLOCK);
            long[] points = new long[4];
            List<TreeSet<Long>> writtenAfter = List.of(new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
            for (int phase = 0; phase < points.length; phase++) {
                points[phase] = disk.trackingPoint();
                int writes = random.nextInt(60);
                for (int w = 0; w < writes; w++) {
                    int length = 1 + random.nextInt(3 * BLOCK);
                    long offset = Math.floorMod(random.nextLong(), size - length);
                    byte[] data = new byte[length];
                    random.nextBytes(data);
                    disk.write(offset, ByteBuffer.wrap(data));
                    for (long block = offset / BLOCK; block <= (offset + length - 1) / BLOCK; block++) {
                        for (int p = 0; p <= phase; p++) {
                            writtenAfter.get(p).add(block);
                        }
                    }
                }
            }
            for (int p = 0; p < points.length; p++) {
                assertEquals(writtenAfter.get(p), blocks(disk.changedSince(points[p])), "seed " + seed + ", point " + p);
            }
            disk.close();
        }
    }

    @Test
    void trackingAndSnapshotsSurviveACleanRestart() {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 4L << 20, BLOCK);
        disk.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        long point = disk.trackingPoint();
        disk.snapshot("before");
        disk.write(5L * BLOCK + 10, ByteBuffer.wrap(new byte[] {4}));
        String snapshotDigest = disk.snapshotDigest("before");
        disk.close();

        VirtualDisk reopened = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        assertEquals(new TreeSet<>(List.of(5L)), blocks(reopened.changedSince(point)));
        assertEquals(snapshotDigest, reopened.snapshotDigest("before"));
        reopened.close();
    }

    @Test
    void afterACrashEveryBlockCountsAsChangedAndSnapshotsAreGone() throws Exception {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk", 2L << 20, BLOCK);
        disk.write(0, ByteBuffer.wrap(new byte[] {1}));
        long point = disk.trackingPoint();
        disk.snapshot("lost");
        // No close(): as if the process died. Its state file still says the disk was open.
        VirtualDisk recovered = VirtualDisk.open(JSON, dir, "disk", BLOCK);
        assertTrue(recovered.recoveredFromCrash());
        assertEquals(recovered.blockCount(), recovered.changedSince(point).blockCount());
        assertTrue(recovered.snapshotIds().isEmpty());
        assertTrue(Files.list(dir).noneMatch(f -> f.getFileName().toString().contains(".snap-")), "snapshot files removed");
        recovered.close();
    }

    private static TreeSet<Long> blocks(BlockRanges ranges) {
        TreeSet<Long> blocks = new TreeSet<>();
        for (long[] range : ranges.ranges()) {
            for (long b = range[0]; b < range[0] + range[1]; b++) {
                blocks.add(b);
            }
        }
        return blocks;
    }

    private static void awaitWrites(VmDisks vm, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (vm.writesDone() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the workload wrote only " + vm.writesDone() + " times, expected " + atLeast);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Reading some pages of a block puts exactly those in their places, from the live disk or from a snapshot's view
     * (its own copy once the block was overwritten), as the default whole-block read does.
     */
    @Test
    void readPagesPutsThePagesOfTheMaskInTheirPlaces() {
        VirtualDisk disk = VirtualDisk.create(JSON, dir, "disk-p", 1L << 20, BLOCK);
        byte[] before = randomBytes(new Random(29), 4 * BLOCK);
        disk.write(0, ByteBuffer.wrap(before));
        disk.snapshot("s");
        byte[] after = randomBytes(new Random(31), BLOCK);
        disk.writeBlocks(2, ByteBuffer.wrap(after));
        long mask = 0b1000_0000_0000_1011L;
        int[] pages = {0, 1, 3, 15};

        ByteBuffer live = ByteBuffer.allocate(BLOCK);
        disk.readPages(2, mask, live);
        assertEquals(0, live.position(), "the position does not move");
        ByteBuffer snapshot = ByteBuffer.allocate(BLOCK);
        disk.readSnapshotPages("s", 2, mask, snapshot);
        // The interface's default, on a reader that can only read whole blocks.
        ByteBuffer byDefault = ByteBuffer.allocate(BLOCK);
        ((BlockReader) disk::read).readPages(2, mask, byDefault);
        for (int page : pages) {
            assertArrayEquals(Arrays.copyOfRange(after, page * 4096, (page + 1) * 4096), pageOf(live, page), "live page " + page);
            assertArrayEquals(Arrays.copyOfRange(before, 2 * BLOCK + page * 4096, 2 * BLOCK + (page + 1) * 4096),
                    pageOf(snapshot, page), "snapshot page " + page);
            assertArrayEquals(pageOf(live, page), pageOf(byDefault, page), "default page " + page);
        }
        assertArrayEquals(new byte[4096], pageOf(live, 2), "a page the mask does not name is not read");
        disk.close();
    }

    private static byte[] pageOf(ByteBuffer block, int page) {
        byte[] bytes = new byte[4096];
        block.get(page * 4096, bytes);
        return bytes;
    }
}
