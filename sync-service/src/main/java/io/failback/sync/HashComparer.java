package io.failback.sync;

import io.failback.contracts.blockstream.BlockHashes;
import io.failback.contracts.disk.BlockRanges;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * Finds the blocks in which two disks differ by comparing their per-block hash lists, which both sites compute at
 * the same time, each on its own disk. The lists are fetched a window at a time, so memory stays at two windows
 * whatever the disk's size.
 */
final class HashComparer {
    /** 16384 blocks of 64 KiB: 1 GiB of disk, 128 KiB of hashes per side. */
    private static final int WINDOW_BLOCKS = 16384;

    private final WebClient web;

    HashComparer(WebClient web) {
        this.web = web;
    }

    /**
     * @param sourceHashes the source's hash-list URL (may carry {@code ?snapshot=})
     * @param scannedBlocks told how many blocks each finished window covered
     */
    Uni<BlockRanges> differingBlocks(String sourceHashes, String targetHashes, long blockCount, LongConsumer scannedBlocks) {
        List<long[]> windows = new ArrayList<>();
        for (long first = 0; first < blockCount; first += WINDOW_BLOCKS) {
            windows.add(new long[] {first, Math.min(WINDOW_BLOCKS, blockCount - first)});
        }
        BlockRanges.Builder differing = new BlockRanges.Builder();
        return Multi.createFrom().iterable(windows)
                .onItem().transformToUniAndConcatenate(window -> Uni.combine().all()
                        .unis(fetch(sourceHashes, window, "the source"), fetch(targetHashes, window, "the target")).asTuple()
                        .invoke(both -> {
                            long[] source = both.getItem1();
                            long[] target = both.getItem2();
                            for (int i = 0; i < source.length; i++) {
                                if (source[i] != target[i]) {
                                    differing.add(window[0] + i);
                                }
                            }
                            scannedBlocks.accept(window[1]);
                        }))
                .collect().last()
                .map(ignored -> differing.build());
    }

    private Uni<long[]> fetch(String url, long[] window, String side) {
        String windowUrl = url + (url.contains("?") ? "&" : "?") + "first=" + window[0] + "&count=" + window[1];
        return web.getAbs(windowUrl).send().map(response -> parse(response, window, side));
    }

    private static long[] parse(HttpResponse<Buffer> response, long[] window, String side) {
        if (response.statusCode() != 200) {
            throw SiteClient.failureOf(side, response.statusCode(), response.bodyAsString());
        }
        ByteBuffer bytes = ByteBuffer.wrap(response.body().getBytes());
        int count = (int) window[1];
        if (bytes.remaining() != BlockHashes.HEADER_BYTES + count * Long.BYTES + 4 || bytes.getInt(0) != BlockHashes.MAGIC
                || bytes.getShort(6) != BlockHashes.ALGORITHM_XXH64 || bytes.getLong(12) != window[0] || bytes.getLong(20) != count) {
            throw new SiteCallException("InvalidHashList", side + " sent a hash list that does not match the window requested");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(BlockHashes.HEADER_BYTES, count * Long.BYTES));
        if ((int) crc.getValue() != bytes.getInt(BlockHashes.HEADER_BYTES + count * Long.BYTES)) {
            throw new SiteCallException("InvalidHashList", side + "'s hash list fails its checksum");
        }
        long[] hashes = new long[count];
        bytes.position(BlockHashes.HEADER_BYTES).asLongBuffer().get(hashes);
        return hashes;
    }
}
