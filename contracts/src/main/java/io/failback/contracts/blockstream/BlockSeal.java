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
    private static final byte[] MAGIC = {'F', 'B', 'L', 'K'};

    private final CloudKey key;
    private final SecretKeySpec spec;
    private final Cipher cipher;
    private final SecureRandom random = new SecureRandom();
    private final byte[] nonce = new byte[BlockStreamFormat.SEAL_NONCE_BYTES];
    private final ByteBuffer aad = ByteBuffer.allocate(4 + 8 + 8);

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

    public static int sealedLength(int blockSize) {
        return BlockStreamFormat.SEAL_NONCE_BYTES + blockSize + BlockStreamFormat.SEAL_TAG_BYTES;
    }

    /** Writes nonce | ciphertext | tag of {@code plain} into {@code out}. */
    void seal(long blockIndex, long diskSizeBytes, ByteBuffer plain, ByteBuffer out) {
        random.nextBytes(nonce);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(BlockStreamFormat.SEAL_TAG_BYTES * 8, nonce));
            cipher.updateAAD(associatedData(blockIndex, diskSizeBytes));
            out.put(nonce);
            cipher.doFinal(plain, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal block " + blockIndex, e);
        }
    }

    /** Opens a SEALED payload into {@code plain}; a forged, moved or differently keyed block fails. */
    void open(long blockIndex, long diskSizeBytes, ByteBuffer sealed, ByteBuffer plain) {
        try {
            cipher.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(BlockStreamFormat.SEAL_TAG_BYTES * 8, sealed.array(),
                    sealed.arrayOffset() + sealed.position(), BlockStreamFormat.SEAL_NONCE_BYTES));
            cipher.updateAAD(associatedData(blockIndex, diskSizeBytes));
            cipher.doFinal(sealed.slice(sealed.position() + BlockStreamFormat.SEAL_NONCE_BYTES,
                    sealed.remaining() - BlockStreamFormat.SEAL_NONCE_BYTES), plain);
        } catch (GeneralSecurityException e) {
            throw new BlockStreamException("block " + blockIndex + " fails authentication under key " + key.certificateId()
                    + ": it was altered, moved, or sealed with another key");
        }
    }

    private ByteBuffer associatedData(long blockIndex, long diskSizeBytes) {
        return aad.clear().put(MAGIC).putLong(blockIndex).putLong(diskSizeBytes).flip();
    }
}
