package io.failback.testing;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The sites' whole-disk digest ("SHA-256/page-tree", docs/contracts.md) computed from a disk's bytes as the contract
 * states it, with nothing but the JDK: what tests compare the services' digests with, so that a test proves the bytes
 * and not the services' own hashing. A block's hash is the SHA-256 over the SHA-256 of each of its 4 KiB pages (the
 * block itself when it is not a whole number of at most 64 pages); the digest is the SHA-256 over the blocks' hashes.
 */
public final class ReferenceDigest {
    public static final String ALGORITHM = "SHA-256/page-tree";
    private static final int PAGE_BYTES = 4096;

    private ReferenceDigest() {
    }

    /** The digest of a disk holding {@code content} in blocks of {@code blockSize}, lowercase hex. */
    public static String of(byte[] content, int blockSize) {
        return HexFormat.of().formatHex(sha256(blockHashes(content, blockSize)));
    }

    /** The digest of a disk image read from {@code image} to its end, a block at a time (for images of any size). */
    public static String of(InputStream image, int blockSize) throws IOException {
        MessageDigest list = newSha256();
        for (byte[] block = image.readNBytes(blockSize); block.length > 0; block = image.readNBytes(blockSize)) {
            if (block.length != blockSize) {
                throw new IllegalArgumentException("the image ends inside a block of " + blockSize + " bytes");
            }
            list.update(blockHash(block, 0, blockSize));
        }
        return HexFormat.of().formatHex(list.digest());
    }

    /** The digest of a disk of {@code blocks} blocks of zeros. */
    public static String ofZeros(int blocks, int blockSize) {
        byte[] zeroBlock = blockHash(new byte[blockSize], 0, blockSize);
        MessageDigest list = newSha256();
        for (int b = 0; b < blocks; b++) {
            list.update(zeroBlock);
        }
        return HexFormat.of().formatHex(list.digest());
    }

    /** Each block's hash, concatenated in block order. */
    public static byte[] blockHashes(byte[] content, int blockSize) {
        if (content.length % blockSize != 0) {
            throw new IllegalArgumentException(content.length + " bytes are not whole blocks of " + blockSize);
        }
        byte[] list = new byte[content.length / blockSize * 32];
        for (int b = 0; b < content.length / blockSize; b++) {
            System.arraycopy(blockHash(content, b * blockSize, blockSize), 0, list, b * 32, 32);
        }
        return list;
    }

    /** The hash of the block of {@code blockSize} bytes at {@code offset} in {@code content}. */
    public static byte[] blockHash(byte[] content, int offset, int blockSize) {
        int pages = blockSize % PAGE_BYTES == 0 && blockSize / PAGE_BYTES <= 64 ? blockSize / PAGE_BYTES : 1;
        int pageBytes = blockSize / pages;
        MessageDigest pageList = newSha256();
        for (int p = 0; p < pages; p++) {
            int from = offset + p * pageBytes;
            pageList.update(sha256(Arrays.copyOfRange(content, from, from + pageBytes)));
        }
        return pageList.digest();
    }

    private static byte[] sha256(byte[] bytes) {
        return newSha256().digest(bytes);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
