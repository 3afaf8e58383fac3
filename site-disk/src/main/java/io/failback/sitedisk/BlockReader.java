package io.failback.sitedisk;

import java.nio.ByteBuffer;

/** Reads whole blocks into the remaining space of a buffer: a live disk, or a snapshot's view of it. Blocking. */
@FunctionalInterface
public interface BlockReader {
    void read(long firstBlock, ByteBuffer dst);
}
