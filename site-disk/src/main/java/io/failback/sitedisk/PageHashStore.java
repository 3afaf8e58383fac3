package io.failback.sitedisk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The page hashes ({@link io.failback.contracts.site.PageTreeHash}) of a disk's blocks, each block's filed under the
 * write stamp of the content they were computed from: what lets a disk file a block's new hash when only some of its
 * pages are written, by hashing those pages alone.
 * <p>
 * They take 32 bytes per 4 KiB page, 0.8% of the disk (128 MiB for 16 GiB), too much for a site's heap: they live in
 * a sparse file mapped into memory ({@code <disk>.page-hashes}), which the kernel pages in and out like any cached
 * file. The stamps (8 bytes per block) stay on the heap and are saved at a clean close ({@code <disk>.page-stamps});
 * without them (a crash, an older version) no page hash is trusted, and a block's pages are hashed again the next
 * time the block is read whole for a digest.
 * <p>
 * An entry is read and written under its block's stripe lock (the disk's); a hash filed for an older stamp never
 * replaces a newer one.
 */
final class PageHashStore {
    /** The most bytes one mapping covers (a mapped buffer is indexed by int). */
    private static final int REGION_BYTES = 1 << 30;

    private final Path hashesFile;
    private final Path stampsFile;
    private final int bytesPerBlock;
    private final int blocksPerRegion;
    private final long[] stamps;
    private final MappedByteBuffer[] regions;

    private PageHashStore(Path hashesFile, Path stampsFile, int pagesPerBlock, int blocks, boolean trustSaved) {
        this.hashesFile = hashesFile;
        this.stampsFile = stampsFile;
        this.bytesPerBlock = pagesPerBlock * 32;
        this.blocksPerRegion = REGION_BYTES / bytesPerBlock;
        this.stamps = new long[blocks];
        Arrays.fill(stamps, -1);
        long bytes = (long) blocks * bytesPerBlock;
        try {
            if (!(trustSaved && loadStamps(bytes))) {
                // Nothing in it counts: start from an empty sparse file rather than keep the old one's blocks.
                Files.deleteIfExists(hashesFile);
            }
            // The stamps are saved only at a clean close, after the hashes were forced: read them once, then delete
            // them, so that a crash before the next clean close never trusts hashes filed after them.
            Files.deleteIfExists(stampsFile);
            try (FileChannel channel = FileChannel.open(hashesFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
                if (channel.size() != bytes) {
                    // A new file (a kept one has this size): sparse, so only the pages filed take room.
                    channel.write(ByteBuffer.allocate(1), bytes - 1);
                }
                regions = new MappedByteBuffer[(blocks + blocksPerRegion - 1) / blocksPerRegion];
                for (int r = 0; r < regions.length; r++) {
                    long from = (long) r * blocksPerRegion * bytesPerBlock;
                    regions[r] = channel.map(FileChannel.MapMode.READ_WRITE, from,
                            Math.min(bytes - from, (long) blocksPerRegion * bytesPerBlock));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the page hashes " + hashesFile, e);
        }
    }

    /**
     * Opens the store of a disk of {@code blocks} blocks of {@code pagesPerBlock} pages; with {@code trustSaved} false
     * (the disk was not closed cleanly) every page hash is unknown.
     */
    static PageHashStore open(Path hashesFile, Path stampsFile, int pagesPerBlock, int blocks, boolean trustSaved) {
        return new PageHashStore(hashesFile, stampsFile, pagesPerBlock, blocks, trustSaved);
    }

    static void delete(Path hashesFile, Path stampsFile) {
        try {
            Files.deleteIfExists(hashesFile);
            Files.deleteIfExists(stampsFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the page hashes " + hashesFile, e);
        }
    }

    /** Copies the block's page hashes into {@code dst} at {@code at} if they are those of its content at {@code stamp}. */
    boolean copyIfAt(int block, long stamp, byte[] dst, int at) {
        if (stamps[block] != stamp) {
            return false;
        }
        region(block).get(offset(block), dst, at, bytesPerBlock);
        return true;
    }

    /** Files the block's page hashes ({@code src} from {@code at}) as those of its content at {@code stamp}. */
    void file(int block, long stamp, byte[] src, int at) {
        if (stamp > stamps[block]) {
            region(block).put(offset(block), src, at, bytesPerBlock);
            stamps[block] = stamp;
        }
    }

    /** Forces the hashes to the file, then saves the stamps that make them count at the next open. */
    void save() {
        for (MappedByteBuffer region : regions) {
            region.force();
        }
        ByteBuffer bytes = ByteBuffer.allocate(stamps.length * Long.BYTES);
        bytes.asLongBuffer().put(stamps);
        SiteFiles.writeFile(stampsFile, bytes);
    }

    /** Reads the stamps a clean close saved, if they and the hashes are of this disk's size. */
    private boolean loadStamps(long hashBytes) throws IOException {
        if (!Files.exists(stampsFile) || Files.size(stampsFile) != stamps.length * (long) Long.BYTES
                || !Files.exists(hashesFile) || Files.size(hashesFile) != hashBytes) {
            return false;
        }
        LongBuffer saved = SiteFiles.readFile(stampsFile).asLongBuffer();
        saved.get(stamps);
        return true;
    }

    private MappedByteBuffer region(int block) {
        return regions[block / blocksPerRegion];
    }

    private int offset(int block) {
        return (block % blocksPerRegion) * bytesPerBlock;
    }
}
