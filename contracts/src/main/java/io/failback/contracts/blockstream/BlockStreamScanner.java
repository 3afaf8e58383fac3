package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;

/**
 * Follows a block stream (version 1 or 2) passing through (a relay) without copying or checking it: it reads the
 * header and each frame's head, skips payloads, and counts how many blocks the stream has covered so far: one per
 * DATA, SEALED, PAGES, SEALED_PAGES or COMPRESSED frame, a run per ZEROS frame. Checksums, order and
 * completeness are the final receiver's to verify ({@link BlockStreamDecoder}); a relay only needs to know progress,
 * and doing less here keeps it off the critical path of the copy. Not thread-safe.
 */
public final class BlockStreamScanner {
    private static final int FRAME_HEAD = BlockStreamFormat.FRAME_HEAD_BYTES;

    /** The header, then per frame its head (plus a ZEROS frame's run length), buffered across chunk boundaries. */
    private final ByteBuffer head = ByteBuffer.allocate(BlockStreamFormat.HEADER_BYTES);
    private boolean headerRead;
    private int blockSize;
    private short version;
    private long skip;
    private long blocksCovered;

    public int blockSize() {
        return blockSize;
    }

    /** The stream's version (1 or 2), 0 before its header passed. */
    public short version() {
        return version;
    }

    public long blocksCovered() {
        return blocksCovered;
    }

    public void scan(ByteBuffer chunk) {
        while (chunk.hasRemaining()) {
            if (skip > 0) {
                int n = (int) Math.min(skip, chunk.remaining());
                chunk.position(chunk.position() + n);
                skip -= n;
                continue;
            }
            if (!headerRead) {
                if (fill(chunk, BlockStreamFormat.HEADER_BYTES)) {
                    version = head.getShort(4);
                    blockSize = head.getInt(8);
                    headerRead = true;
                    head.clear();
                }
                continue;
            }
            if (head.position() < FRAME_HEAD) {
                fill(chunk, FRAME_HEAD);
                continue;
            }
            byte type = head.get(0);
            int length = head.getInt(9);
            if (type == BlockStreamFormat.TYPE_ZEROS) {
                if (!fill(chunk, FRAME_HEAD + 4)) {
                    continue;
                }
                blocksCovered += head.getInt(FRAME_HEAD);
                skip = 4; // the checksum
            } else {
                if (coversOneBlock(type)) {
                    blocksCovered++;
                }
                skip = length + 4L;
            }
            head.clear();
        }
    }

    private static boolean coversOneBlock(byte type) {
        return switch (type) {
            case BlockStreamFormat.TYPE_DATA, BlockStreamFormat.TYPE_SEALED, BlockStreamFormat.TYPE_PAGES,
                    BlockStreamFormat.TYPE_SEALED_PAGES, BlockStreamFormat.TYPE_COMPRESSED -> true;
            default -> false;
        };
    }

    /** Buffers up to {@code size} bytes of head; answers whether it has them all. */
    private boolean fill(ByteBuffer chunk, int size) {
        int n = Math.min(size - head.position(), chunk.remaining());
        head.put(head.position(), chunk, chunk.position(), n);
        head.position(head.position() + n);
        chunk.position(chunk.position() + n);
        return head.position() == size;
    }
}
