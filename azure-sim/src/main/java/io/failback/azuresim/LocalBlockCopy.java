package io.failback.azuresim;

import io.failback.sitedisk.BlockDevice;
import io.failback.sitedisk.DiskFile;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies blocks between two disks inside Azure (no network): replica to a new VM, or a VM's final state to a replica.
 * Blocks go to the target about 1 MiB at a time, as one {@link BlockDevice#writeRuns} call, however scattered the
 * ranges are (a journaled replica saves what it overwrites once per call).
 */
public final class LocalBlockCopy {
    private static final int BUFFER_BYTES = 1 << 20;

    private LocalBlockCopy() {
    }

    /** Copies every block except all-zero ones; the target must read as zeros before. */
    public static void copyNonZero(BlockDevice from, BlockDevice to) {
        copy(from, to, List.<long[]>of(new long[] {0, from.blockCount()}), true);
    }

    /** Copies the runs {@code [first, count]} of blocks; with {@code skipZeros} all-zero blocks are left alone. */
    public static void copy(BlockDevice from, BlockDevice to, List<long[]> ranges, boolean skipZeros) {
        int blockSize = from.blockSize();
        int perBatch = Math.max(1, BUFFER_BYTES / blockSize);
        ByteBuffer buffer = ByteBuffer.allocate(perBatch * blockSize);
        Batch batch = new Batch(to, buffer, blockSize);
        for (long[] range : ranges) {
            long end = range[0] + range[1];
            for (long block = range[0]; block < end;) {
                int n = (int) Math.min(perBatch - batch.used, end - block);
                int at = batch.used * blockSize;
                from.read(block, buffer.slice(at, n * blockSize));
                for (int i = 0; i < n; i++) {
                    if (!skipZeros || !DiskFile.isAllZero(buffer.slice(at + i * blockSize, blockSize))) {
                        batch.add(block + i);
                    } else {
                        batch.skip();
                    }
                }
                block += n;
                if (batch.used == perBatch) {
                    batch.flush();
                }
            }
        }
        batch.flush();
        to.force();
    }

    /** Blocks read into the buffer, adjacent ones joined into runs, written with one call. */
    private static final class Batch {
        private final BlockDevice to;
        private final ByteBuffer buffer;
        private final int blockSize;
        private final List<BlockDevice.Run> runs = new ArrayList<>();
        /** Slots of the buffer used. */
        int used;
        private long runFirst = -1;
        private int runSlot;
        private int runLength;

        Batch(BlockDevice to, ByteBuffer buffer, int blockSize) {
            this.to = to;
            this.buffer = buffer;
            this.blockSize = blockSize;
        }

        /** The block just read into slot {@link #used} is to be written. */
        void add(long block) {
            if (runLength > 0 && runFirst + runLength == block && runSlot + runLength == used) {
                runLength++;
            } else {
                endRun();
                runFirst = block;
                runSlot = used;
                runLength = 1;
            }
            used++;
        }

        /** The block just read into slot {@link #used} is left alone. */
        void skip() {
            endRun();
            used++;
        }

        void flush() {
            endRun();
            if (!runs.isEmpty()) {
                to.writeRuns(List.copyOf(runs));
                runs.clear();
            }
            used = 0;
        }

        private void endRun() {
            if (runLength > 0) {
                runs.add(new BlockDevice.Run(runFirst, buffer.slice(runSlot * blockSize, runLength * blockSize)));
                runLength = 0;
            }
        }
    }
}
