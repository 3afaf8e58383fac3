package io.failback.sitedisk;

import io.failback.contracts.blockstream.CloudKey;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replica storage at rest under the cloud's key: each block sealed with AES-256-GCM, a fresh random nonce per
 * write, and the disk id and block index as associated data, so a block cannot be moved to another place or disk
 * unnoticed. The ciphertext sits at the block's own offset in one sparse file (GCM does not change the length); each
 * block's nonce and tag (28 bytes) sit at {@code index * 28} in a second file. A block whose nonce and tag are all
 * zero was never written (or was all zeros) and reads as zeros: which blocks hold data is visible, their content is
 * not. Blocking; one writer at a time (the block stream receiver writes in order).
 */
public final class EncryptedReplicaDisk implements BlockDevice, Closeable {
    private static final int NONCE = 12;
    private static final int TAG = 16;
    private static final int SEAL = NONCE + TAG;

    private final String diskId;
    private final DiskFile data;
    private final DiskFile seals;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();
    /** A block's stored form when it holds zeros (and the zeros it reads as). */
    private final byte[] zeros;

    private EncryptedReplicaDisk(String diskId, DiskFile data, DiskFile seals, CloudKey key) {
        this.diskId = diskId;
        this.data = data;
        this.seals = seals;
        this.key = new SecretKeySpec(key.key(), "AES");
        this.zeros = new byte[NONCE + data.blockSize() + TAG];
    }

    public static EncryptedReplicaDisk create(Path dir, String diskId, long sizeBytes, int blockSize, CloudKey key) {
        DiskFile.createZeroed(dataPath(dir, diskId), sizeBytes);
        DiskFile.createZeroed(sealsPath(dir, diskId), sizeBytes / blockSize * SEAL);
        return open(dir, diskId, blockSize, key);
    }

    public static EncryptedReplicaDisk open(Path dir, String diskId, int blockSize, CloudKey key) {
        return new EncryptedReplicaDisk(diskId, DiskFile.open(dataPath(dir, diskId), blockSize),
                DiskFile.open(sealsPath(dir, diskId), SEAL), key);
    }

    public static Path dataPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".sealed.img");
    }

    static Path sealsPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".seals");
    }

    public static void deleteFiles(Path dir, String diskId) {
        try {
            Files.deleteIfExists(dataPath(dir, diskId));
            Files.deleteIfExists(sealsPath(dir, diskId));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public String diskId() {
        return diskId;
    }

    @Override
    public int blockSize() {
        return data.blockSize();
    }

    @Override
    public long sizeBytes() {
        return data.sizeBytes();
    }

    @Override
    public void read(long firstBlock, ByteBuffer dst) {
        int blockSize = data.blockSize();
        ByteBuffer stored = ByteBuffer.allocate(storedBlockBytes());
        for (long block = firstBlock; dst.hasRemaining(); block++) {
            readStored(block, stored.clear());
            openStored(block, stored.flip(), dst.slice(dst.position(), blockSize));
            dst.position(dst.position() + blockSize);
        }
    }

    /**
     * Bytes of one block as it is stored: nonce (12) | ciphertext (block size) | tag (16), the layout of a SEALED
     * frame's payload. All zeros for a block never written or written as zeros.
     */
    public int storedBlockBytes() {
        return NONCE + data.blockSize() + TAG;
    }

    /**
     * Reads one block as stored, without opening it ({@link #storedBlockBytes()} bytes into {@code dst}): what a
     * journal of old content keeps, so that it never holds the block in the clear.
     */
    public void readStored(long block, ByteBuffer dst) {
        int blockSize = data.blockSize();
        int at = dst.position();
        ByteBuffer seal = ByteBuffer.allocate(SEAL);
        seals.read(block, seal);
        if (DiskFile.isAllZero(seal.flip())) {
            dst.put(zeros);
            return;
        }
        data.read(block, dst.slice(at + NONCE, blockSize));
        dst.put(at, seal, 0, NONCE).put(at + NONCE + blockSize, seal, NONCE, TAG).position(at + storedBlockBytes());
    }

    /** Puts back a block's stored form that {@link #readStored} read from the same block of this disk. */
    public void writeStored(long block, ByteBuffer src) {
        int blockSize = data.blockSize();
        int at = src.position();
        data.write(block, src.slice(at + NONCE, blockSize));
        seals.write(block, ByteBuffer.allocate(SEAL).put(src.slice(at, NONCE)).put(src.slice(at + NONCE + blockSize, TAG)).flip());
        src.position(at + storedBlockBytes());
    }

    /**
     * Opens block {@code block}'s stored form into {@code dst} (one block); fails when it does not authenticate for
     * that block of this disk under this key.
     */
    public void openStored(long block, ByteBuffer stored, ByteBuffer dst) {
        int blockSize = data.blockSize();
        int at = stored.position();
        ByteBuffer nonce = stored.slice(at, NONCE);
        ByteBuffer tag = stored.slice(at + NONCE + blockSize, TAG);
        if (DiskFile.isAllZero(nonce) && DiskFile.isAllZero(tag)) {
            dst.put(zeros, 0, blockSize);
        } else {
            byte[] iv = new byte[NONCE];
            nonce.get(iv);
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, iv));
                cipher.updateAAD(associatedData(block));
                cipher.doFinal(stored.slice(at + NONCE, blockSize + TAG), dst);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("block " + block + " of replica disk '" + diskId
                        + "' fails authentication: tampered with, or sealed under another key", e);
            }
        }
        stored.position(at + storedBlockBytes());
    }

    @Override
    public void writeBlocks(long firstBlock, ByteBuffer blocks) {
        int blockSize = data.blockSize();
        ByteBuffer sealed = ByteBuffer.allocate(blockSize + TAG);
        byte[] nonce = new byte[NONCE];
        for (long block = firstBlock; blocks.hasRemaining(); block++) {
            ByteBuffer plain = blocks.slice(blocks.position(), blockSize);
            blocks.position(blocks.position() + blockSize);
            if (DiskFile.isAllZero(plain)) {
                data.write(block, ByteBuffer.allocate(blockSize));
                seals.write(block, ByteBuffer.allocate(SEAL));
                continue;
            }
            random.nextBytes(nonce);
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
                cipher.updateAAD(associatedData(block));
                cipher.doFinal(plain, sealed.clear());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot seal block " + block + " of replica disk '" + diskId + "'", e);
            }
            data.write(block, sealed.flip().limit(blockSize));
            seals.write(block, ByteBuffer.allocate(SEAL).put(nonce).put(sealed.limit(blockSize + TAG).position(blockSize)).flip());
        }
    }

    private byte[] associatedData(long block) {
        return (diskId + "/" + block).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void zeroAll() {
        DiskFile.createZeroed(data.path(), data.sizeBytes());
        DiskFile.createZeroed(seals.path(), seals.sizeBytes());
    }

    @Override
    public void force() {
        data.force();
        seals.force();
    }

    @Override
    public String digest() {
        return DiskFile.digest(this::read, data.blockSize(), blockCount());
    }

    @Override
    public void close() {
        data.close();
        seals.close();
    }
}
