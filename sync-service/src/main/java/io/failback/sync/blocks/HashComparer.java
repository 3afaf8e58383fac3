package io.failback.sync.blocks;

import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.blockstream.BlockHashes;
import io.failback.contracts.blockstream.BlockStreamException;
import io.failback.contracts.site.BlockRanges;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Finds the blocks in which two disks differ by comparing their per-block hash lists, which both sites compute at
 * the same time, each on its own disk. The lists are fetched a window at a time, so memory stays at two windows
 * whatever the disk's size.
 */
public final class HashComparer {
    /** 16384 blocks of 64 KiB: 1 GiB of disk, 128 KiB of hashes per side. */
    private static final int WINDOW_BLOCKS = 16384;

    private final WebClient web;

    public HashComparer(WebClient web) {
        this.web = web;
    }

    /**
     * @param sourceHashes the source's hash-list URL (may carry {@code ?snapshot=})
     * @param scannedBlocks told how many blocks each finished window covered
     */
    public Uni<BlockRanges> differingBlocks(String sourceHashes, String targetHashes, long blockCount, LongConsumer scannedBlocks) {
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
        return web.getAbs(windowUrl).send()
                .onFailure(failure -> !(failure instanceof SiteCallException)).transform(failure -> SiteCallException.partAway(
                        "SiteUnreachable", side + " could not be reached for its hash list: " + failure.getMessage(), url))
                .map(response -> parse(response, url, window, side));
    }

    private static long[] parse(HttpResponse<Buffer> response, String url, long[] window, String side) {
        if (response.statusCode() != 200) {
            throw SiteClient.failureOf(side, url, response.statusCode(), response.bodyAsString());
        }
        try {
            return BlockHashes.parse(ByteBuffer.wrap(response.body().getBytes()), window[0], (int) window[1]);
        } catch (BlockStreamException e) {
            throw new SiteCallException("InvalidHashList", side + " sent an invalid hash list: " + e.getMessage());
        }
    }
}
