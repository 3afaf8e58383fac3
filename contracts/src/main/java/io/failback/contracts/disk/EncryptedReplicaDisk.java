package io.failback.contracts.disk;

import io.failback.contracts.blockstream.DiskFile;
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

    private EncryptedReplicaDisk(String diskId, DiskFile data, DiskFile seals, CloudKey key) {
        this.diskId = diskId;
        this.data = data;
        this.seals = seals;
        this.key = new SecretKeySpec(key.key(), "AES");
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
        ByteBuffer seal = ByteBuffer.allocate(SEAL);
        ByteBuffer sealed = ByteBuffer.allocate(blockSize + TAG);
        for (long block = firstBlock; dst.hasRemaining(); block++) {
            seals.read(block, seal.clear());
            ByteBuffer out = dst.slice(dst.position(), blockSize);
            if (DiskFile.isAllZero(seal.flip())) {
                out.put(new byte[blockSize]);
            } else {
                data.read(block, sealed.clear().limit(blockSize));
                sealed.limit(blockSize + TAG).put(blockSize, seal, NONCE, TAG).position(0);
                try {
                    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, seal.array(), 0, NONCE));
                    cipher.updateAAD(associatedData(block));
                    cipher.doFinal(sealed, out);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("block " + block + " of replica disk '" + diskId
                            + "' fails authentication: tampered with, or sealed under another key", e);
                }
            }
            dst.position(dst.position() + blockSize);
        }
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
