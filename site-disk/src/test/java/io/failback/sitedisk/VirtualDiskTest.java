package io.failback.sitedisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.site.BlockRanges;
import io.failback.sitedisk.WorkloadSettings.WritePattern;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    /** SHA-256 over the SHA-256 of each block of the file, computed here from its bytes. */
    private static String blockListDigest(Path image) throws Exception {
        byte[] bytes = Files.readAllBytes(image);
        java.security.MessageDigest list = java.security.MessageDigest.getInstance("SHA-256");
        for (int offset = 0; offset < bytes.length; offset += BLOCK) {
            list.update(java.security.MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOfRange(bytes, offset, offset + BLOCK)));
        }
        return java.util.HexFormat.of().formatHex(list.digest());
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
}
