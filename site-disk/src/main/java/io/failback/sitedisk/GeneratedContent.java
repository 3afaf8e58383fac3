package io.failback.sitedisk;

import java.nio.ByteBuffer;
import java.util.Random;

/** Disk content for simulated VMs: reproducible from a seed, with extents of zeros as real disks have. */
public final class GeneratedContent {
    private static final int EXTENT = 1 << 20;

    private GeneratedContent() {
    }

    /** Extents of 1 MiB, each either left as a hole (zeros) or filled with random bytes; then made durable. */
    public static void write(VirtualDisk disk, Random random, int zeroPercent) {
        byte[] extent = new byte[EXTENT];
        for (long offset = 0; offset < disk.sizeBytes(); offset += EXTENT) {
            if (random.nextInt(100) < zeroPercent) {
                continue;
            }
            random.nextBytes(extent);
            disk.write(offset, ByteBuffer.wrap(extent, 0, (int) Math.min(EXTENT, disk.sizeBytes() - offset)));
        }
        disk.force();
    }
}
