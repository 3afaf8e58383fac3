package io.failback.sitedisk;

import io.failback.testing.ReferenceDigest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.blockstream.CloudKey;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replica storage sealed under the cloud key, on real files. */
class EncryptedReplicaDiskTest {
    private static final int BLOCK = 64 * 1024;

    @TempDir
    Path dir;

    private static byte[] randomBlocks(int count, long seed) {
        byte[] bytes = new byte[count * BLOCK];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void blocksReadBackAsWrittenAndNeverLieInTheFileInTheClear() throws Exception {
        CloudKey key = CloudKey.generate();
        byte[] plain = randomBlocks(4, 1);
        try (EncryptedReplicaDisk disk = EncryptedReplicaDisk.create(dir, "disk-0", 16L * BLOCK, BLOCK, key)) {
            disk.writeBlocks(3, ByteBuffer.wrap(plain));
            disk.writeBlocks(9, ByteBuffer.allocate(BLOCK)); // zeros stay a hole
            ByteBuffer read = ByteBuffer.allocate(4 * BLOCK);
            disk.read(3, read);
            assertArrayEquals(plain, read.array());
            ByteBuffer hole = ByteBuffer.allocate(BLOCK);
            disk.read(9, hole);
            assertArrayEquals(new byte[BLOCK], hole.array());
        }
        byte[] file = Files.readAllBytes(EncryptedReplicaDisk.dataPath(dir, "disk-0"));
        byte[] firstBlockInFile = java.util.Arrays.copyOfRange(file, 3 * BLOCK, 4 * BLOCK);
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(plain, 0, BLOCK), firstBlockInFile));
        assertFalse(indexOf(file, java.util.Arrays.copyOfRange(plain, 100, 132)) >= 0, "plaintext found in the sealed file");
    }

    @Test
    void aTamperedBlockAWrongKeyOrAMovedBlockFailAuthentication() throws Exception {
        CloudKey key = CloudKey.generate();
        try (EncryptedReplicaDisk disk = EncryptedReplicaDisk.create(dir, "disk-0", 8L * BLOCK, BLOCK, key)) {
            disk.writeBlocks(0, ByteBuffer.wrap(randomBlocks(2, 2)));
        }
        try (EncryptedReplicaDisk wrongKey = EncryptedReplicaDisk.open(dir, "disk-0", BLOCK, CloudKey.generate())) {
            IllegalStateException failure = assertThrows(IllegalStateException.class, () -> wrongKey.read(0, ByteBuffer.allocate(BLOCK)));
            assertTrue(failure.getMessage().contains("fails authentication"), failure.getMessage());
        }
        Path data = EncryptedReplicaDisk.dataPath(dir, "disk-0");
        // Block 1's ciphertext copied over block 0's: right key, wrong place.
        byte[] all = Files.readAllBytes(data);
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(all, BLOCK, BLOCK), 0);
        }
        try (EncryptedReplicaDisk moved = EncryptedReplicaDisk.open(dir, "disk-0", BLOCK, key)) {
            assertThrows(IllegalStateException.class, () -> moved.read(0, ByteBuffer.allocate(BLOCK)));
            // Block 1 itself is untouched and still reads.
            moved.read(1, ByteBuffer.allocate(BLOCK));
            // One flipped bit in block 1.
            try (FileChannel channel = FileChannel.open(data, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(new byte[] {(byte) (all[BLOCK + 7] ^ 1)}), BLOCK + 7);
            }
            assertThrows(IllegalStateException.class, () -> moved.read(1, ByteBuffer.allocate(BLOCK)));
        }
    }

    @Test
    void aBlocksStoredFormIsSealedAndPutsTheBlockBackWhereItCameFrom() throws Exception {
        CloudKey key = CloudKey.generate();
        byte[] old = randomBlocks(1, 4);
        try (EncryptedReplicaDisk disk = EncryptedReplicaDisk.create(dir, "disk-0", 8L * BLOCK, BLOCK, key)) {
            assertEquals(BLOCK + 28, disk.storedBlockBytes());
            disk.writeBlocks(2, ByteBuffer.wrap(old));
            ByteBuffer stored = ByteBuffer.allocate(disk.storedBlockBytes());
            disk.readStored(2, stored);
            assertFalse(stored.hasRemaining());
            assertFalse(indexOf(stored.array(), java.util.Arrays.copyOfRange(old, 100, 132)) >= 0, "plaintext in the stored form");
            ByteBuffer opened = ByteBuffer.allocate(BLOCK);
            disk.openStored(2, stored.flip(), opened);
            assertArrayEquals(old, opened.array());

            disk.writeBlocks(2, ByteBuffer.wrap(randomBlocks(1, 5)));
            disk.writeStored(2, stored.flip());
            ByteBuffer read = ByteBuffer.allocate(BLOCK);
            disk.read(2, read);
            assertArrayEquals(old, read.array(), "the old block is back");
            // Another block's place: it does not authenticate there.
            assertThrows(IllegalStateException.class, () -> disk.openStored(3, stored.flip(), ByteBuffer.allocate(BLOCK)));

            ByteBuffer never = ByteBuffer.allocate(disk.storedBlockBytes());
            disk.readStored(5, never);
            assertArrayEquals(new byte[disk.storedBlockBytes()], never.array(), "a block never written is stored as zeros");
            disk.writeStored(2, never.flip());
            disk.read(2, read.clear());
            assertArrayEquals(new byte[BLOCK], read.array());
        }
    }

    @Test
    void theDigestUsesTheHashesFiledAsBlocksWereWrittenAndEqualsOneComputedFromScratch() throws Exception {
        CloudKey key = CloudKey.generate();
        byte[] plain = randomBlocks(6, 8);
        java.util.Arrays.fill(plain, 2 * BLOCK, 3 * BLOCK, (byte) 0);
        String afterWrites;
        EncryptedReplicaDisk disk = EncryptedReplicaDisk.create(dir, "disk-0", 32L * BLOCK, BLOCK, key);
        disk.writeBlocks(10, ByteBuffer.wrap(plain));
        ByteBuffer direct = ByteBuffer.allocateDirect(BLOCK).put(plain, 0, BLOCK).flip();
        disk.writeRuns(java.util.List.of(new BlockDevice.Run(30, direct)));
        assertEquals(0, disk.unhashedBlocks(), "zeros from creation, the rest hashed as written");
        afterWrites = disk.digest();
        assertEquals(DiskFile.digest(disk::read, BLOCK, disk.blockCount()), afterWrites);

        ByteBuffer stored = ByteBuffer.allocate(disk.storedBlockBytes());
        disk.readStored(11, stored);
        disk.writeStored(12, ByteBuffer.allocate(disk.storedBlockBytes()));
        disk.writeBlocks(11, ByteBuffer.wrap(randomBlocks(1, 9)));
        disk.writeStored(11, stored.flip());
        assertEquals(1, disk.unhashedBlocks(), "a block put back in its stored form is hashed at the next digest");
        assertArrayEquals(DiskFile.blockHashes(disk::read, BLOCK, 9, 6), disk.blockHashes(9, 6),
                "the blocks' hashes are those of the plaintext read back");
        assertEquals(0, disk.unhashedBlocks(), "block 11 was hashed for the list, and stays hashed");
        String afterRollBack = disk.digest();
        assertEquals(DiskFile.digest(disk::read, BLOCK, disk.blockCount()), afterRollBack);
        disk.close();

        byte[] savedHashes = Files.readAllBytes(EncryptedReplicaDisk.hashesPath(dir, "disk-0"));
        byte[] aBlocksHash = io.failback.testing.ReferenceDigest.blockHash(plain, 0, BLOCK);
        assertFalse(indexOf(savedHashes, aBlocksHash) >= 0, "the hashes are saved sealed");

        EncryptedReplicaDisk reopened = EncryptedReplicaDisk.open(dir, "disk-0", BLOCK, key);
        assertFalse(Files.exists(EncryptedReplicaDisk.hashesPath(dir, "disk-0")), "deleted once read: a crash finds none");
        assertEquals(0, reopened.unhashedBlocks());
        assertEquals(afterRollBack, reopened.digest());
        reopened.writeBlocks(0, ByteBuffer.wrap(plain, 3 * BLOCK, BLOCK));
        String beforeCrash = reopened.digest();
        // No close(): as if the process died.
        EncryptedReplicaDisk recovered = EncryptedReplicaDisk.open(dir, "disk-0", BLOCK, key);
        assertEquals(32, recovered.unhashedBlocks(), "after a crash every block is hashed again, once");
        assertEquals(beforeCrash, recovered.digest());
        assertEquals(DiskFile.digest(recovered::read, BLOCK, recovered.blockCount()), beforeCrash);
        recovered.close();
    }

    @Test
    void theCertificateIdNamesTheKey() {
        CloudKey key = CloudKey.generate();
        assertEquals(key.certificateId(), CloudKey.of(key.key()).certificateId());
        assertEquals(40, key.certificateId().length());
        assertFalse(key.certificateId().equals(CloudKey.generate().certificateId()));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
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
}
