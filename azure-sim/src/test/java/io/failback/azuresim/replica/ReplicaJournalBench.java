package io.failback.azuresim.replica;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.failback.contracts.blockstream.CloudKey;
import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.EncryptedReplicaDisk;
import io.failback.sitedisk.VirtualDisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the undo journal costs a delta cycle, on the disk itself: a 4 GiB replica disk, 1% of its blocks (655, spread
 * over the disk, holding data from an earlier cycle) written again in batches of 16 as the block stream receiver
 * hands them over, without a recovery point (no journal) and with one. A measurement, not a test: it prints and
 * asserts nothing. {@code ./mvnw -o -pl azure-sim verify -Dfailback.bench=true -Dtest=ReplicaJournalBench}
 */
@EnabledIfSystemProperty(named = "failback.bench", matches = "true")
class ReplicaJournalBench {
    private static final int BLOCK = 64 * 1024;
    private static final long SIZE = 4L << 30;
    private static final int BLOCKS = (int) (SIZE / BLOCK);
    private static final int DELTA = BLOCKS / 100;
    private static final int BATCH = Integer.getInteger("bench.batch", 16);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 7);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "sealed={0}")
    @ValueSource(booleans = {false, true})
    void aOnePercentDeltaCycleWithAndWithoutTheJournal(boolean sealed) {
        CloudKey key = CloudKey.generate();
        BlockDevice disk = sealed ? EncryptedReplicaDisk.create(dir, "disk-0", SIZE, BLOCK, key)
                : VirtualDisk.create(new ObjectMapper(), dir, "disk-0", SIZE, BLOCK);
        Random random = new Random(1);
        long[] delta = random.longs(0, BLOCKS).distinct().limit(DELTA).sorted().toArray();
        byte[] data = new byte[BATCH * BLOCK];
        random.nextBytes(data);
        try (JournaledReplicaDisk replica = JournaledReplicaDisk.open(disk, dir, null)) {
            cycle(replica, delta, data); // the blocks hold data before
            long[] without = new long[ROUNDS];
            long[] with = new long[ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                // No recovery point: no journal (a replica before initial replication completed).
                try (JournaledReplicaDisk unjournaled = JournaledReplicaDisk.open(reopen(sealed, key), dir, null)) {
                    without[round] = cycle(unjournaled, delta, data);
                }
                try (JournaledReplicaDisk journaled = JournaledReplicaDisk.open(reopen(sealed, key), dir, "p" + round)) {
                    journaled.recoveryPointRecorded("p" + round);
                    with[round] = cycle(journaled, delta, data);
                    if (round == 0) {
                        System.out.printf("journal after the cycle: %d blocks, %.1f MiB%n", journaled.journaledBlocks(),
                                journaled.journalBytes() / 1048576.0);
                    }
                    long start = System.nanoTime();
                    journaled.rollBack();
                    if (round == 0) {
                        System.out.printf("rollback of %d blocks: %.0f ms%n", DELTA, (System.nanoTime() - start) / 1e6);
                    }
                }
            }
            Arrays.sort(without);
            Arrays.sort(with);
            System.out.printf("sealed=%s: 1%% delta of a 4 GiB disk (%d blocks, %d MiB) in batches of %d, median of %d: "
                    + "without journal %.0f ms, with journal %.0f ms (min %.0f / %.0f)%n", sealed, DELTA, DELTA * (long) BLOCK >> 20,
                    BATCH, ROUNDS, without[ROUNDS / 2] / 1e6, with[ROUNDS / 2] / 1e6, without[0] / 1e6, with[0] / 1e6);
        }
    }

    private BlockDevice reopen(boolean sealed, CloudKey key) {
        return sealed ? EncryptedReplicaDisk.open(dir, "disk-0", BLOCK, key) : VirtualDisk.open(new ObjectMapper(), dir, "disk-0", BLOCK);
    }

    /** Writes the delta as the receiver does (a writeRuns call per batch, then a force); nanoseconds. */
    private static long cycle(BlockDevice disk, long[] delta, byte[] data) {
        long start = System.nanoTime();
        for (int first = 0; first < delta.length; first += BATCH) {
            List<BlockDevice.Run> runs = new ArrayList<>();
            for (int i = first; i < Math.min(delta.length, first + BATCH); i++) {
                runs.add(new BlockDevice.Run(delta[i], ByteBuffer.wrap(data, (i - first) * BLOCK, BLOCK)));
            }
            disk.writeRuns(runs);
        }
        disk.force();
        return System.nanoTime() - start;
    }
}
