package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;

/**
 * Follows a block stream (version 1 or 2) passing through (a relay) without copying or checking it: it reads the
 * header and each frame's head, skips payloads, and counts how many blocks the stream has covered so far: one per
 * DATA, SEALED, PAGES, SEALED_PAGES or COMPRESSED frame, a run per ZEROS frame; and how many bytes of block
 * content that is: whole blocks, zero runs, and of a PAGES frame (sealed or compressed too) only its pages, which
 * it reads from the page mask (or a compressed frame's raw length) after the head. Checksums, order and
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
    private long bytesCovered;

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

    /** Block content delivered so far: what a task's progress counts as sent, comparable with the pages it selected. */
    public long bytesCovered() {
        return bytesCovered;
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
            int readAfterHead = switch (type) {
                case BlockStreamFormat.TYPE_ZEROS -> 4; // the run length
                case BlockStreamFormat.TYPE_PAGES, BlockStreamFormat.TYPE_SEALED_PAGES -> BlockStreamFormat.PAGE_MASK_BYTES;
                case BlockStreamFormat.TYPE_COMPRESSED, BlockStreamFormat.TYPE_COMPRESSED_ZSTD -> 5; // inner type, raw length
                default -> 0;
            };
            if (readAfterHead > 0 && (length < readAfterHead || !fill(chunk, FRAME_HEAD + readAfterHead))) {
                if (length < readAfterHead) {
                    // Malformed; the receiver rejects it. Count nothing and skip what the head declares.
                    skip = Math.max(0, length) + 4L;
                    head.clear();
                }
                continue;
            }
            switch (type) {
                case BlockStreamFormat.TYPE_ZEROS -> {
                    int run = head.getInt(FRAME_HEAD);
                    blocksCovered += run;
                    bytesCovered += (long) run * blockSize;
                }
                case BlockStreamFormat.TYPE_DATA, BlockStreamFormat.TYPE_SEALED -> {
                    blocksCovered++;
                    bytesCovered += blockSize;
                }
                case BlockStreamFormat.TYPE_PAGES, BlockStreamFormat.TYPE_SEALED_PAGES -> {
                    blocksCovered++;
                    bytesCovered += BlockStreamFormat.pagesBytes(head.getLong(FRAME_HEAD));
                }
                case BlockStreamFormat.TYPE_COMPRESSED, BlockStreamFormat.TYPE_COMPRESSED_ZSTD -> {
                    blocksCovered++;
                    bytesCovered += head.get(FRAME_HEAD) == BlockStreamFormat.TYPE_PAGES
                            ? head.getInt(FRAME_HEAD + 1) - BlockStreamFormat.PAGE_MASK_BYTES : blockSize;
                }
                default -> {
                    // KEY, ERROR, END: no block content
                }
            }
            skip = length - readAfterHead + 4L;
            head.clear();
        }
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
