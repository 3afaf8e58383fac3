package io.failback.azuresim;

import io.failback.contracts.blockstream.DiskFile;
import io.failback.contracts.disk.BlockDevice;
import java.nio.ByteBuffer;
import java.util.List;

/** Copies blocks between two disks inside Azure (no network): replica to a new VM, or a VM's final state to a replica. */
final class LocalBlockCopy {
    private static final int BUFFER_BYTES = 1 << 20;

    private LocalBlockCopy() {
    }

    /** Copies every block except all-zero ones; the target must read as zeros before. */
    static void copyNonZero(BlockDevice from, BlockDevice to) {
        copy(from, to, List.<long[]>of(new long[] {0, from.blockCount()}), true);
    }

    /** Copies the runs {@code [first, count]} of blocks; with {@code skipZeros} all-zero blocks are left alone. */
    static void copy(BlockDevice from, BlockDevice to, List<long[]> ranges, boolean skipZeros) {
        int blockSize = from.blockSize();
        int perRead = Math.max(1, BUFFER_BYTES / blockSize);
        ByteBuffer buffer = ByteBuffer.allocate(perRead * blockSize);
        for (long[] range : ranges) {
            long end = range[0] + range[1];
            for (long block = range[0]; block < end; block += perRead) {
                int n = (int) Math.min(perRead, end - block);
                from.read(block, buffer.clear().limit(n * blockSize));
                if (!skipZeros) {
                    to.writeBlocks(block, buffer.flip());
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    ByteBuffer one = buffer.slice(i * blockSize, blockSize);
                    if (!DiskFile.isAllZero(one)) {
                        to.writeBlocks(block + i, one);
                    }
                }
            }
        }
        to.force();
    }
}
