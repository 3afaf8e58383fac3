package io.failback.contracts.site;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A block's hash as the whole-disk digest ({@link #DIGEST_ALGORITHM}) is made of: the SHA-256 over the concatenated
 * SHA-256 of each of the block's 4 KiB pages, in page order. A disk whose blocks are not whole pages
 * ({@link PageMasks#pagesPerBlock} = 1) has one "page" per block, the block itself.
 * <p>
 * Why pages under the block: a disk that keeps its pages' hashes can file a block's new hash when a stream writes
 * only some of its pages, by hashing just those pages, where a flat SHA-256 of the block would need the block's other
 * pages read back and hashed. Reverse Replicate of a guest's 4 KiB writes then proves the replica by hashing what it
 * wrote, not 16 times that. Hashing a whole block this way costs about 2% more than one SHA-256 of it (one more
 * compression per page for its padding, and the 512 bytes of the page list).
 * <p>
 * The disk's digest is the SHA-256 over its blocks' hashes in block order: as collision-resistant as SHA-256 itself.
 */
public final class PageTreeHash {
    /** The whole-disk digest's name, in {@link DiskDigest} and the verification's body. */
    public static final String DIGEST_ALGORITHM = "SHA-256/page-tree";
    public static final int HASH_BYTES = 32;

    private PageTreeHash() {
    }

    /** Pages a block of {@code blockSize} is hashed as. */
    public static int pagesPerBlock(int blockSize) {
        return PageMasks.pagesPerBlock(blockSize);
    }

    /**
     * Hashes the block's remaining bytes: each page's SHA-256 into {@code pageHashes} from {@code pagesAt} (32 bytes
     * each, in page order), then the block's hash into {@code out} at {@code at}. Leaves {@code block}'s position.
     */
    public static void hashBlock(ByteBuffer block, MessageDigest sha256, byte[] pageHashes, int pagesAt, byte[] out, int at) {
        int pages = pagesPerBlock(block.remaining());
        int pageBytes = block.remaining() / pages;
        for (int p = 0; p < pages; p++) {
            sha256.update(block.slice(block.position() + p * pageBytes, pageBytes));
            finish(sha256, pageHashes, pagesAt + p * HASH_BYTES);
        }
        ofPages(pageHashes, pagesAt, pages, sha256, out, at);
    }

    /** The block's hash from its {@code pages} page hashes at {@code pagesAt} in {@code pageHashes}. */
    public static void ofPages(byte[] pageHashes, int pagesAt, int pages, MessageDigest sha256, byte[] out, int at) {
        sha256.update(pageHashes, pagesAt, pages * HASH_BYTES);
        finish(sha256, out, at);
    }

    /** The SHA-256 of {@code page}'s remaining bytes into {@code out} at {@code at}; leaves its position. */
    public static void hashPage(ByteBuffer page, MessageDigest sha256, byte[] out, int at) {
        sha256.update(page.slice());
        finish(sha256, out, at);
    }

    /** The hash of a block of {@code blockSize} zeros. */
    public static byte[] zeroBlock(int blockSize) {
        byte[] pages = zeroPages(blockSize);
        byte[] hash = new byte[HASH_BYTES];
        ofPages(pages, 0, pagesPerBlock(blockSize), sha256(), hash, 0);
        return hash;
    }

    /** The page hashes of a block of {@code blockSize} zeros, concatenated. */
    public static byte[] zeroPages(int blockSize) {
        int pages = pagesPerBlock(blockSize);
        byte[] page = sha256().digest(new byte[blockSize / pages]);
        byte[] all = new byte[pages * HASH_BYTES];
        for (int p = 0; p < pages; p++) {
            System.arraycopy(page, 0, all, p * HASH_BYTES, HASH_BYTES);
        }
        return all;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static void finish(MessageDigest sha256, byte[] out, int at) {
        try {
            sha256.digest(out, at, HASH_BYTES);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
    }
}
