package io.failback.sitedisk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageHashStoreTest {
    private static final int PAGES = 16;
    private static final int BYTES = PAGES * 32;

    @TempDir
    Path dir;

    @Test
    void hashesCountOnlyForTheStampTheyWereFiledUnderAndANewerStampWins() {
        PageHashStore store = open(64, false);
        byte[] first = hashes(1);
        byte[] second = hashes(2);
        store.file(7, 10, first, 0);
        assertTrue(store.copyIfAt(7, 10, new byte[BYTES], 0));
        assertFalse(store.copyIfAt(7, 11, new byte[BYTES], 0), "not those of the block's content at another stamp");
        store.file(7, 12, second, 0);
        store.file(7, 11, first, 0);
        byte[] read = new byte[BYTES + 5];
        assertTrue(store.copyIfAt(7, 12, read, 5));
        assertArrayEquals(second, java.util.Arrays.copyOfRange(read, 5, 5 + BYTES), "a hash filed for an older stamp never replaces a newer one");
        assertFalse(store.copyIfAt(8, -2, new byte[BYTES], 0));
    }

    @Test
    void aCleanCloseKeepsThemAndAnyOtherOpenForgetsThem() throws Exception {
        PageHashStore store = open(64, false);
        byte[] filed = hashes(3);
        store.file(63, 5, filed, 0);
        store.save();

        PageHashStore reopened = open(64, true);
        byte[] read = new byte[BYTES];
        assertTrue(reopened.copyIfAt(63, 5, read, 0), "saved at a clean close");
        assertArrayEquals(filed, read);
        assertFalse(Files.exists(dir.resolve("d.page-stamps")), "read once and deleted: a crash before the next save finds none");

        assertFalse(open(64, true).copyIfAt(63, 5, new byte[BYTES], 0), "no stamps saved since: nothing counts");
        reopened.save();
        assertFalse(open(64, false).copyIfAt(63, 5, new byte[BYTES], 0), "the disk was not closed cleanly: nothing counts");
        reopened.save();
        assertFalse(open(65, true).copyIfAt(63, 5, new byte[BYTES], 0), "saved for a disk of another size: nothing counts");
    }

    @Test
    void aDiskBeyondOneMappingKeepsTheHashesOfBlocksInEveryMapping() {
        // 1 GiB of hashes per mapping: 2^21 blocks of 16 pages. The file is sparse: only the pages written take room.
        int perMapping = (1 << 30) / BYTES;
        PageHashStore store = open(perMapping + 3, false);
        byte[] last = hashes(4);
        byte[] beyond = hashes(5);
        store.file(perMapping - 1, 1, last, 0);
        store.file(perMapping + 2, 1, beyond, 0);
        byte[] read = new byte[BYTES];
        assertTrue(store.copyIfAt(perMapping - 1, 1, read, 0));
        assertArrayEquals(last, read);
        assertTrue(store.copyIfAt(perMapping + 2, 1, read, 0));
        assertArrayEquals(beyond, read);
    }

    private PageHashStore open(int blocks, boolean trustSaved) {
        return PageHashStore.open(dir.resolve("d.page-hashes"), dir.resolve("d.page-stamps"), PAGES, blocks, trustSaved);
    }

    private static byte[] hashes(long seed) {
        byte[] bytes = new byte[BYTES];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
