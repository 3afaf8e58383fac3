package io.failback.contracts.blockstream;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens block payloads of a SEALED stream with AES-256-GCM under the cloud's key. One instance per stream
 * (not thread-safe): it keeps its cipher.
 */
public final class BlockSeal {
    private static final byte[] BLOCK_MAGIC = {'F', 'B', 'L', 'K'};
    /** A different domain for pages, so that no sealed payload can pass for the other kind. */
    private static final byte[] PAGES_MAGIC = {'F', 'B', 'P', 'G'};

    private final CloudKey key;
    private final SecretKeySpec spec;
    private final Cipher cipher;
    private final SecureRandom random = new SecureRandom();
    private final byte[] nonce = new byte[BlockStreamFormat.SEAL_NONCE_BYTES];
    private final ByteBuffer aad = ByteBuffer.allocate(4 + 8 + 8 + 8);

    public BlockSeal(CloudKey key) {
        this.key = key;
        this.spec = new SecretKeySpec(key.key(), "AES");
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public CloudKey key() {
        return key;
    }

    public static int sealedLength(int plainLength) {
        return BlockStreamFormat.SEAL_NONCE_BYTES + plainLength + BlockStreamFormat.SEAL_TAG_BYTES;
    }

    /** Writes nonce | ciphertext | tag of {@code plain} into {@code out}. */
    void seal(long blockIndex, long diskSizeBytes, ByteBuffer plain, ByteBuffer out) {
        try {
            begin(blockAad(blockIndex, diskSizeBytes), out);
            cipher.doFinal(plain, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal block " + blockIndex, e);
        }
    }

    /** Writes nonce | ciphertext | tag of the pages of {@code block} that {@code pageMask} names into {@code out}. */
    void sealPages(long blockIndex, long diskSizeBytes, long pageMask, ByteBuffer block, ByteBuffer out) {
        try {
            begin(pagesAad(blockIndex, diskSizeBytes, pageMask), out);
            int[] runs = BlockStreamEncoder.pageRuns(pageMask);
            for (int i = 0; i < runs.length; i += 2) {
                cipher.update(block.slice(block.position() + runs[i] * BlockStreamFormat.PAGE_SIZE,
                        runs[i + 1] * BlockStreamFormat.PAGE_SIZE), out);
            }
            cipher.doFinal(ByteBuffer.allocate(0), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal pages of block " + blockIndex, e);
        }
    }

    private void begin(ByteBuffer associatedData, ByteBuffer out) throws GeneralSecurityException {
        random.nextBytes(nonce);
        cipher.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(BlockStreamFormat.SEAL_TAG_BYTES * 8, nonce));
        cipher.updateAAD(associatedData);
        out.put(nonce);
    }

    /** Opens a SEALED payload into {@code plain}; a forged, moved or differently keyed block fails. */
    void open(long blockIndex, long diskSizeBytes, ByteBuffer sealed, ByteBuffer plain) {
        open(blockIndex, blockAad(blockIndex, diskSizeBytes), sealed, plain);
    }

    /** Opens the sealed part (nonce | ciphertext | tag) of a SEALED_PAGES payload into {@code plain}. */
    void openPages(long blockIndex, long diskSizeBytes, long pageMask, ByteBuffer sealed, ByteBuffer plain) {
        open(blockIndex, pagesAad(blockIndex, diskSizeBytes, pageMask), sealed, plain);
    }

    private void open(long blockIndex, ByteBuffer associatedData, ByteBuffer sealed, ByteBuffer plain) {
        try {
            // Read through the buffer, not its array: a payload may lie in a direct network buffer.
            sealed.get(sealed.position(), nonce);
            cipher.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(BlockStreamFormat.SEAL_TAG_BYTES * 8, nonce));
            cipher.updateAAD(associatedData);
            cipher.doFinal(sealed.slice(sealed.position() + BlockStreamFormat.SEAL_NONCE_BYTES,
                    sealed.remaining() - BlockStreamFormat.SEAL_NONCE_BYTES), plain);
        } catch (GeneralSecurityException e) {
            throw new BlockStreamException("block " + blockIndex + " fails authentication under key " + key.certificateId()
                    + ": it was altered, moved, or sealed with another key");
        }
    }

    private ByteBuffer blockAad(long blockIndex, long diskSizeBytes) {
        return aad.clear().put(BLOCK_MAGIC).putLong(blockIndex).putLong(diskSizeBytes).flip();
    }

    private ByteBuffer pagesAad(long blockIndex, long diskSizeBytes, long pageMask) {
        return aad.clear().put(PAGES_MAGIC).putLong(blockIndex).putLong(diskSizeBytes).putLong(pageMask).flip();
    }
}
