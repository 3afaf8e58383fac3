package io.failback.azuresim.replica;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.EncryptedReplicaDisk;
import io.failback.sitedisk.VirtualDisk;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A replica disk's undo journal on real files, for plain and sealed replicas; crashes simulated by not closing. */
public class JournaledReplicaDiskTest {
    private static final int BLOCK = 64 * 1024;
    private static final int BLOCKS = 32;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CloudKey KEY = CloudKey.generate();

    @TempDir
    Path dir;

    /** The replica disk's content as the test knows it: the model the device must match. */
    private final byte[] content = new byte[BLOCKS * BLOCK];
    private final Random random = new Random(11);

    private BlockDevice disk(boolean sealed, boolean create) {
        if (sealed) {
            return create ? EncryptedReplicaDisk.create(dir, "disk-0", (long) BLOCKS * BLOCK, BLOCK, KEY)
                    : EncryptedReplicaDisk.open(dir, "disk-0", BLOCK, KEY);
        }
        return create ? VirtualDisk.create(JSON, dir, "disk-0", (long) BLOCKS * BLOCK, BLOCK) : VirtualDisk.open(JSON, dir, "disk-0", BLOCK);
    }

    /** Random content for {@code blocks} (zeros for negative numbers: block -b - 1), written in one writeRuns call. */
    private void write(BlockDevice device, int... blocks) {
        List<BlockDevice.Run> runs = new java.util.ArrayList<>();
        for (int signed : blocks) {
            int block = signed < 0 ? -signed - 1 : signed;
            byte[] bytes = new byte[BLOCK];
            if (signed >= 0) {
                random.nextBytes(bytes);
            }
            System.arraycopy(bytes, 0, content, block * BLOCK, BLOCK);
            runs.add(new BlockDevice.Run(block, ByteBuffer.wrap(bytes)));
        }
        device.writeRuns(runs);
    }

    private static byte[] readAll(BlockDevice device) {
        ByteBuffer all = ByteBuffer.allocate(BLOCKS * BLOCK);
        device.read(0, all);
        return all.array();
    }

    @ParameterizedTest(name = "sealed={0}")
    @ValueSource(booleans = {false, true})
    void blocksWrittenAfterTheRecoveryPointAreReadAndPutBackAsTheyWere(boolean sealed) {
        try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(sealed, true), dir, null)) {
            write(journaled, 0, 1, 2, 3, 10, 11, 12);
            assertFalse(Files.exists(UndoLog.path(dir, "disk-0")), "no recovery point, no journal");
            journaled.recoveryPointRecorded("p1");
            byte[] atPoint = content.clone();

            // A cycle cut off half-way: data over data, zeros over data, data over a zero block, a block twice.
            write(journaled, 1, 2, -11, 20);
            write(journaled, 2, 21, 22);
            assertArrayEquals(content, readAll(journaled), "live reads see the cycle's blocks");
            assertEquals(6, journaled.journaledBlocks());
            assertArrayEquals(atPoint, readAll(journaled.atRecoveryPoint()), "the recovery point reads as it was");
            assertThrows(UnsupportedOperationException.class, () -> journaled.atRecoveryPoint().writeBlocks(0, ByteBuffer.allocate(BLOCK)));

            assertEquals(6, journaled.rollBack());
            assertArrayEquals(atPoint, readAll(journaled));
            assertEquals(0, journaled.journaledBlocks());
            assertEquals(0, journaled.rollBack(), "nothing left to put back");
            System.arraycopy(atPoint, 0, content, 0, content.length);

            // The next cycle is journaled again from the same point.
            write(journaled, 5);
            assertEquals(1, journaled.journaledBlocks());
            journaled.recoveryPointRecorded("p2");
            assertEquals(0, journaled.journaledBlocks());
            assertArrayEquals(content, readAll(journaled.atRecoveryPoint()));
        }
    }

    /** Pages of a block (block stream version 2), in a batch with whole blocks, into a replica with a recovery point. */
    @ParameterizedTest(name = "sealed={0}")
    @ValueSource(booleans = {false, true})
    void pagesWrittenAfterTheRecoveryPointAreJournaledAsThosePagesOrASealedReplicasWholeBlocks(boolean sealed) {
        try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(sealed, true), dir, null)) {
            write(journaled, 0, 1, 2, 3);
            journaled.recoveryPointRecorded("p1");
            byte[] atPoint = content.clone();

            // Pages 1 and 2 of block 2 and page 15 of zero block 7, beside a whole block 3; then block 3's page 0 again.
            byte[] pages = new byte[3 * 4096];
            random.nextBytes(pages);
            System.arraycopy(pages, 0, content, 2 * BLOCK + 4096, 2 * 4096);
            System.arraycopy(pages, 2 * 4096, content, 7 * BLOCK + 15 * 4096, 4096);
            byte[] whole = new byte[BLOCK];
            random.nextBytes(whole);
            System.arraycopy(whole, 0, content, 3 * BLOCK, BLOCK);
            journaled.writeBatch(List.of(new BlockDevice.Run(3, ByteBuffer.wrap(whole))), List.of(
                    new BlockDevice.Pages(2, 0b110, ByteBuffer.wrap(pages, 0, 2 * 4096)),
                    new BlockDevice.Pages(7, 1L << 15, ByteBuffer.wrap(pages, 2 * 4096, 4096))));
            byte[] page = new byte[4096];
            random.nextBytes(page);
            System.arraycopy(page, 0, content, 3 * BLOCK, 4096);
            journaled.writePages(3, 1, ByteBuffer.wrap(page));

            assertArrayEquals(content, readAll(journaled), "live reads see the pages over the blocks");
            assertEquals(3, journaled.journaledBlocks());
            // Block 3 whole, then three pages; a sealed replica keeps stored forms: blocks 2 and 3 sealed whole (7 held zeros).
            long journaledBytes = journaled.journalBytes();
            assertTrue(sealed ? journaledBytes > 2L * BLOCK : journaledBytes < BLOCK + 4 * 4096, "journal of " + journaledBytes + " bytes");
            assertArrayEquals(atPoint, readAll(journaled.atRecoveryPoint()));
            assertEquals(3, journaled.rollBack());
            assertArrayEquals(atPoint, readAll(journaled));
        }
    }

    /**
     * A replica kept in the clear journals 4 KiB writes as pages: then more pages and the whole block over them, a crash,
     * and the recovery point read and put back from the page records after the restart.
     */
    @org.junit.jupiter.api.Test
    void pageRecordsOfOneBlockAddUpToItsRecoveryPointAcrossACrash() {
        JournaledReplicaDisk crashed = JournaledReplicaDisk.open(disk(false, true), dir, null);
        write(crashed, 0, 1, 2, 3);
        crashed.recoveryPointRecorded("p1");
        byte[] atPoint = content.clone();
        byte[] bytes = new byte[BLOCK];
        random.nextBytes(bytes);
        crashed.writePages(1, 0b1, ByteBuffer.wrap(bytes, 0, 4096)); // page 0
        crashed.writePages(1, 0b11, ByteBuffer.wrap(bytes, 0, 2 * 4096)); // page 0 again, and page 1
        crashed.writePages(2, 1L << 9, ByteBuffer.wrap(bytes, 0, 4096));
        crashed.writeBlocks(2, ByteBuffer.wrap(bytes)); // the rest of block 2
        crashed.force();
        assertTrue(crashed.journalBytes() < BLOCK + 3 * 4096 + 1024, "pages 0 and 1 of block 1, all of block 2 once: "
                + crashed.journalBytes());
        // No close(): the process dies.

        try (JournaledReplicaDisk restarted = JournaledReplicaDisk.open(disk(false, false), dir, "p1")) {
            assertEquals(2, restarted.journaledBlocks());
            assertArrayEquals(atPoint, readAll(restarted.atRecoveryPoint()));
            assertEquals(2, restarted.rollBack());
            assertArrayEquals(atPoint, readAll(restarted));
        }
    }

    @ParameterizedTest(name = "sealed={0}")
    @ValueSource(booleans = {false, true})
    void theJournalSurvivesACrashAndATornLastAppend(boolean sealed) throws Exception {
        JournaledReplicaDisk crashed = JournaledReplicaDisk.open(disk(sealed, true), dir, null);
        write(crashed, 0, 1, 2, 3);
        crashed.recoveryPointRecorded("p1");
        byte[] atPoint = content.clone();
        write(crashed, 1, 3, 4);
        crashed.force(); // the block API answered this stream: its blocks are on the disk
        long journalBytes = crashed.journalBytes();
        // The process dies (nothing closed) in the middle of its next append.
        Path file = UndoLog.path(dir, "disk-0");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            byte[] torn = new byte[BLOCK / 2];
            random.nextBytes(torn);
            channel.write(ByteBuffer.wrap(torn));
        }

        try (JournaledReplicaDisk restarted = JournaledReplicaDisk.open(disk(sealed, false), dir, "p1")) {
            assertEquals(3, restarted.journaledBlocks());
            assertEquals(journalBytes, Files.size(file), "the torn append is cut off");
            assertArrayEquals(atPoint, readAll(restarted.atRecoveryPoint()));
            restarted.rollBack();
            assertArrayEquals(atPoint, readAll(restarted));
        }
    }

    @ParameterizedTest(name = "sealed={0}")
    @ValueSource(booleans = {false, true})
    void theReplicasDigestCostsWhatChangedAndEqualsTheDigestOfItsBytesAfterACycleARollbackAndARestart(boolean sealed) {
        byte[] atPoint;
        try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(sealed, true), dir, null)) {
            write(journaled, 0, 1, 2, 3, 10, -13);
            journaled.recoveryPointRecorded("p1");
            atPoint = content.clone();
            write(journaled, 1, -4, 20, 21);
            assertEquals(blockListDigest(content), journaled.digest());
            journaled.rollBack();
            assertEquals(blockListDigest(atPoint), journaled.digest());
            System.arraycopy(atPoint, 0, content, 0, content.length);
            write(journaled, 7);
        }
        BlockDevice inner = disk(sealed, false);
        try (JournaledReplicaDisk restarted = JournaledReplicaDisk.open(inner, dir, "p1")) {
            assertEquals(blockListDigest(content), restarted.digest());
            long read = inner instanceof VirtualDisk plain ? plain.blocksReadForDigests() : ((EncryptedReplicaDisk) inner).unhashedBlocks();
            assertEquals(0, read, "the hashes kept across the restart cover every block");
        }
    }

    /** The sites' digest of {@code bytes}, computed by the contract. */
    private static String blockListDigest(byte[] bytes) {
        return io.failback.testing.ReferenceDigest.of(bytes, BLOCK);
    }

    @Test
    void writesWaitForTheForceOfTheirJournalRecordsUntilEnoughAreHeld() {
        int blocks = JournaledReplicaDisk.HELD_BYTES / BLOCK + 4;
        VirtualDisk underneath = VirtualDisk.create(JSON, dir, "big", (long) blocks * BLOCK, BLOCK);
        try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(underneath, dir, "p1")) {
            byte[] block = new byte[BLOCK];
            random.nextBytes(block);
            journaled.writeBlocks(0, ByteBuffer.wrap(block));
            ByteBuffer onDisk = ByteBuffer.allocate(BLOCK);
            underneath.read(0, onDisk);
            assertArrayEquals(new byte[BLOCK], onDisk.array(), "held until the journal is forced");
            ByteBuffer live = ByteBuffer.allocate(BLOCK);
            journaled.read(0, live);
            assertArrayEquals(block, live.array(), "a read releases what is held");

            for (int b = 1; b < blocks; b++) {
                journaled.writeBlocks(b, ByteBuffer.wrap(block));
            }
            underneath.read(blocks - 5, onDisk.clear());
            assertArrayEquals(block, onDisk.array(), "released once " + JournaledReplicaDisk.HELD_BYTES + " bytes were held");
            assertEquals(blocks, journaled.journaledBlocks());
        }
    }

    @Test
    void aRollbackCutOffByACrashIsDoneAgain() {
        JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(false, true), dir, null);
        write(journaled, 0, 1, 2, 3, 4, 5, 6, 7);
        journaled.recoveryPointRecorded("p1");
        byte[] atPoint = content.clone();
        write(journaled, 0, 1, 2, 3, 4, 5, 6, 7, 8);
        journaled.close();

        VirtualDisk underneath = VirtualDisk.open(JSON, dir, "disk-0", BLOCK);
        FailingAfter failing = new FailingAfter(underneath, 4);
        JournaledReplicaDisk rollingBack = JournaledReplicaDisk.open(failing, dir, "p1");
        assertThrows(IllegalStateException.class, rollingBack::rollBack, "the crash");
        assertEquals(4, failing.writes, "it died half-way");
        // Nothing closed: the restarted process opens the same files.
        try (JournaledReplicaDisk restarted = JournaledReplicaDisk.open(disk(false, false), dir, "p1")) {
            assertEquals(9, restarted.journaledBlocks());
            assertEquals(9, restarted.rollBack());
            assertArrayEquals(atPoint, readAll(restarted));
        }
    }

    @ParameterizedTest(name = "sealed={0}")
    @ValueSource(booleans = {false, true})
    void aFullCopyThatDoesNotFinishLeavesTheRecoveryPoint(boolean sealed) {
        try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(sealed, true), dir, null)) {
            write(journaled, 0, 1, 7, 30, 31);
            journaled.recoveryPointRecorded("p1");
            byte[] atPoint = content.clone();

            journaled.zeroAll();
            java.util.Arrays.fill(content, (byte) 0);
            assertEquals(5, journaled.journaledBlocks(), "only blocks holding data are saved by the reset");
            write(journaled, 2, 7);
            assertArrayEquals(content, readAll(journaled));
            assertArrayEquals(atPoint, readAll(journaled.atRecoveryPoint()));

            journaled.rollBack();
            assertArrayEquals(atPoint, readAll(journaled));
        }
    }

    @Test
    void aJournalOfAnEarlierRecoveryPointIsDropped() {
        JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(false, true), dir, null);
        write(journaled, 0, 1);
        journaled.recoveryPointRecorded("p1");
        write(journaled, 1, 2);
        journaled.force();
        // The store saved p2 and died before the journal started again from it: the disk holds p2, forced.
        byte[] atP2 = content.clone();

        try (JournaledReplicaDisk restarted = JournaledReplicaDisk.open(disk(false, false), dir, "p2")) {
            assertEquals(0, restarted.journaledBlocks());
            assertEquals(0, restarted.rollBack());
            assertArrayEquals(atP2, readAll(restarted));
        }
        try (JournaledReplicaDisk noPoint = JournaledReplicaDisk.open(disk(false, false), dir, null)) {
            assertFalse(Files.exists(UndoLog.path(dir, "disk-0")), "a replica without a recovery point keeps no journal");
        }
    }

    @Test
    void aSealedReplicasJournalHoldsNoPlaintext() throws Exception {
        try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(disk(true, true), dir, null)) {
            write(journaled, 0, 1, 2, 3, 4, 5, 6, 7);
            journaled.recoveryPointRecorded("p1");
            byte[] atPoint = content.clone();
            write(journaled, 0, 1, 2, 3, 4, 5, 6, 7);

            byte[] file = Files.readAllBytes(UndoLog.path(dir, "disk-0"));
            assertTrue(file.length > 8 * BLOCK, "the eight blocks are in the journal: " + file.length + " bytes");
            for (int block = 0; block < 8; block++) {
                for (int at = 0; at + 32 <= BLOCK; at += 4096) {
                    byte[] plain = java.util.Arrays.copyOfRange(atPoint, block * BLOCK + at, block * BLOCK + at + 32);
                    assertFalse(indexOf(file, plain) >= 0, "plaintext of block " + block + " at " + at + " in the journal");
                }
            }
            journaled.rollBack();
            assertArrayEquals(atPoint, readAll(journaled));
        }
    }

    public static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A disk whose writes fail from the {@code limit}-th on: the process dying in the middle of a rollback. */
    private static final class FailingAfter implements BlockDevice {
        private final BlockDevice disk;
        private final int limit;
        int writes;

        FailingAfter(BlockDevice disk, int limit) {
            this.disk = disk;
            this.limit = limit;
        }

        @Override
        public String diskId() {
            return disk.diskId();
        }

        @Override
        public int blockSize() {
            return disk.blockSize();
        }

        @Override
        public long sizeBytes() {
            return disk.sizeBytes();
        }

        @Override
        public void read(long firstBlock, ByteBuffer dst) {
            disk.read(firstBlock, dst);
        }

        @Override
        public void writeBlocks(long firstBlock, ByteBuffer blocks) {
            if (writes == limit) {
                throw new IllegalStateException("killed");
            }
            writes++;
            disk.writeBlocks(firstBlock, blocks);
        }

        @Override
        public void zeroAll() {
            disk.zeroAll();
        }

        @Override
        public void force() {
            disk.force();
        }

        @Override
        public String digest() {
            return disk.digest();
        }
    }
}
