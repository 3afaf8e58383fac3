package io.failback.sync.blocks;

import io.failback.sync.sites.SiteCallException;
import io.failback.sync.sites.SiteClient;

import io.failback.contracts.blockstream.BlockHashes;
import io.failback.contracts.blockstream.BlockStreamException;
import io.failback.contracts.site.BlockRanges;
import io.failback.contracts.site.BlockSelection;
import io.failback.contracts.site.PageHashes;
import io.failback.contracts.site.PageMasks;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.Json;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Finds where two disks differ by comparing their per-block hash lists, which both sites answer at the same time,
 * each of its own disk (from the SHA-256 each keeps of its blocks, so mostly without reading them), and then, for the
 * blocks that differ, their per-page hash lists, so that a block of which only a few 4 KiB pages differ sends only
 * those. The lists are fetched a window at a time, so memory stays at two
 * windows whatever the disk's size.
 */
public final class HashComparer {
    /** 16384 blocks of 64 KiB: 1 GiB of disk, 128 KiB of hashes per side. */
    private static final int WINDOW_BLOCKS = 16384;

    private static final String XXH64_PARAMETER = "algorithm=xxh64";

    public HashComparer() {
    }

    /**
     * Where one side's hash lists are: {@code .../hashes} and {@code .../hashes/select} of its disk (both with
     * {@code ?snapshot=} for a snapshot), and what to call it in errors.
     */
    public record Side(SiteClient site, String blockHashes, String pageHashes, String name) {
    }

    /**
     * The blocks whose hashes differ, and of them those in which only some pages differ, with those pages: per window,
     * both sites' block hashes, then (one request per side) the page hashes of the differing blocks. A block that is
     * all zeros on the source is taken whole without comparing its pages: it travels as a run length, cheaper than any
     * page. A block all zeros on the target is compared page by page like any other: a few 4 KiB writes into an empty
     * part of the disk must not cost whole blocks (found by the benchmark's 4 KiB case: 43% of its disk is zeros).
     *
     * @param keptHashes whether the sites may answer from the hashes they keep of their blocks (SHA-256, filed as they
     *        wrote them): right where every write went through them; false where a disk may have changed behind its
     *        site's back (repair), so both read and hash every block (XXH64)
     * @param scannedBlocks told how many blocks each finished window covered
     */
    public Uni<SelectedBlocks> differingPages(Side source, Side target, int blockSize, long blockCount, boolean keptHashes,
            LongConsumer scannedBlocks) {
        boolean byPage = PageMasks.pagesPerBlock(blockSize) > 1;
        List<long[]> windows = new ArrayList<>();
        for (long first = 0; first < blockCount; first += WINDOW_BLOCKS) {
            windows.add(new long[] {first, Math.min(WINDOW_BLOCKS, blockCount - first)});
        }
        BlockRanges.Builder differing = new BlockRanges.Builder();
        PageMasks.Builder partial = new PageMasks.Builder(blockSize);
        return Multi.createFrom().iterable(windows)
                .onItem().transformToUniAndConcatenate(window -> (keptHashes ? sameAlgorithm(source, target, window)
                                : both(source, target, XXH64_PARAMETER, window))
                        .chain(both -> {
                            long[] sourceHashes = both.getItem1().hashes();
                            long[] targetHashes = both.getItem2().hashes();
                            long zeros = BlockHashes.zeroBlockHash(both.getItem1().algorithm(), blockSize);
                            List<Long> blocks = new ArrayList<>();
                            BlockRanges.Builder comparePages = new BlockRanges.Builder();
                            for (int i = 0; i < sourceHashes.length; i++) {
                                if (sourceHashes[i] != targetHashes[i]) {
                                    blocks.add(window[0] + i);
                                    if (byPage && sourceHashes[i] != zeros) {
                                        comparePages.add(window[0] + i);
                                    }
                                }
                            }
                            List<long[]> candidates = comparePages.build().ranges();
                            Uni<PageMasks> masks = candidates.isEmpty() ? Uni.createFrom().item(PageMasks.NONE)
                                    : differingPagesOf(source, target, candidates, blockSize);
                            return masks.invoke(windowMasks -> {
                                int next = 0;
                                for (long block : blocks) {
                                    differing.add(block);
                                    if (next < windowMasks.size() && windowMasks.block(next) == block) {
                                        partial.add(block, windowMasks.mask(next++));
                                    }
                                }
                                scannedBlocks.accept(window[1]);
                            });
                        }))
                .collect().last()
                .map(ignored -> new SelectedBlocks(differing.build().ranges(), partial.build(), blockSize));
    }

    /** Compares both sides' page hashes of the candidate blocks: the blocks in which only some pages differ, with those. */
    private Uni<PageMasks> differingPagesOf(Side source, Side target, List<long[]> candidates, int blockSize) {
        int blocks = (int) candidates.stream().mapToLong(r -> r[1]).sum();
        return Uni.combine().all()
                .unis(fetchPages(source, candidates, blocks, blockSize), fetchPages(target, candidates, blocks, blockSize)).asTuple()
                .map(both -> {
                    long[] sourcePages = both.getItem1();
                    long[] targetPages = both.getItem2();
                    int pagesPerBlock = PageMasks.pagesPerBlock(blockSize);
                    long fullMask = PageMasks.fullMask(blockSize);
                    PageMasks.Builder masks = new PageMasks.Builder(blockSize);
                    int at = 0;
                    for (long[] run : candidates) {
                        for (long block = run[0]; block < run[0] + run[1]; block++) {
                            long mask = 0;
                            for (int page = 0; page < pagesPerBlock; page++, at++) {
                                if (sourcePages[at] != targetPages[at]) {
                                    mask |= 1L << page;
                                }
                            }
                            // No differing page (pages' hashes collide where the blocks' do not): send it whole.
                            if (mask != 0 && mask != fullMask) {
                                masks.add(block, mask);
                            }
                        }
                    }
                    return masks.build();
                });
    }

    private Uni<long[]> fetchPages(Side side, List<long[]> candidates, int blocks, int blockSize) {
        return side.site().web().postAbs(side.pageHashes()).putHeader("Content-Type", "application/json").sendBuffer(Buffer.newInstance(Json.encodeToBuffer(BlockSelection.of(candidates))))
                .onFailure(failure -> !(failure instanceof SiteCallException)).transform(failure -> SiteCallException.partAway(
                        "SiteUnreachable", side.name() + " could not be reached for its page hashes: " + failure.getMessage(),
                        side.pageHashes()))
                .map(response -> {
                    if (response.statusCode() != 200) {
                        throw SiteClient.failureOf(side.name(), side.pageHashes(), response.statusCode(), response.bodyAsString());
                    }
                    try {
                        return PageHashes.parse(ByteBuffer.wrap(response.body().getBytes()), blockSize, blocks);
                    } catch (IllegalArgumentException e) {
                        throw new SiteCallException("InvalidHashList", side.name() + " sent an invalid page hash list: " + e.getMessage());
                    }
                });
    }

    /**
     * Both sides' hash lists of the window under one algorithm: the prefixes of the block hashes both sites keep as
     * they write (no reading), or, when the two answer different algorithms (a site from before they were offered, or
     * from before the page-tree digest), XXH64 from both.
     */
    private Uni<io.smallrye.mutiny.tuples.Tuple2<BlockHashes.HashList, BlockHashes.HashList>> sameAlgorithm(Side source, Side target,
            long[] window) {
        return both(source, target, BlockHashes.SHA256_PARAMETER, window)
                .chain(both -> {
                    BlockHashes.HashList fromSource = both.getItem1();
                    BlockHashes.HashList fromTarget = both.getItem2();
                    if (fromSource.algorithm() == fromTarget.algorithm()) {
                        return Uni.createFrom().item(both);
                    }
                    Uni<BlockHashes.HashList> sourceXxh64 = fromSource.algorithm() == BlockHashes.ALGORITHM_XXH64
                            ? Uni.createFrom().item(fromSource) : fetch(source, XXH64_PARAMETER, window);
                    Uni<BlockHashes.HashList> targetXxh64 = fromTarget.algorithm() == BlockHashes.ALGORITHM_XXH64
                            ? Uni.createFrom().item(fromTarget) : fetch(target, XXH64_PARAMETER, window);
                    return Uni.combine().all().unis(sourceXxh64, targetXxh64).asTuple();
                });
    }

    /** Both sides' hash lists of the window, asked for with the query {@code algorithm}, at the same time. */
    private Uni<io.smallrye.mutiny.tuples.Tuple2<BlockHashes.HashList, BlockHashes.HashList>> both(Side source, Side target,
            String algorithm, long[] window) {
        return Uni.combine().all().unis(fetch(source, algorithm, window),
                fetch(target, algorithm, window)).asTuple();
    }

    private Uni<BlockHashes.HashList> fetch(Side site, String algorithm, long[] window) {
        String url = site.blockHashes();
        String side = site.name();
        String windowUrl = url + (url.contains("?") ? "&" : "?") + algorithm + "&first=" + window[0] + "&count=" + window[1];
        return site.site().web().getAbs(windowUrl).send()
                .onFailure(failure -> !(failure instanceof SiteCallException)).transform(failure -> SiteCallException.partAway(
                        "SiteUnreachable", side + " could not be reached for its hash list: " + failure.getMessage(), url))
                .map(response -> parse(response, url, window, side));
    }

    private static BlockHashes.HashList parse(HttpResponse<Buffer> response, String url, long[] window, String side) {
        if (response.statusCode() != 200) {
            throw SiteClient.failureOf(side, url, response.statusCode(), response.bodyAsString());
        }
        try {
            return BlockHashes.parseList(ByteBuffer.wrap(response.body().getBytes()), window[0], (int) window[1]);
        } catch (BlockStreamException e) {
            throw new SiteCallException("InvalidHashList", side + " sent an invalid hash list: " + e.getMessage());
        }
    }
}
