package io.failback.sitedisk;

import io.failback.contracts.blockstream.CloudKey;
import io.failback.contracts.site.PageTreeHash;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.BitSet;
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
 * <p>
 * The disk keeps each block's SHA-256 (of the plaintext) from the moment it writes it, so that its digest reads and
 * opens only blocks whose hash it does not know: none after writes through {@link #writeBlocks}, those put back by
 * {@link #writeStored}, and all of them after a crash. At {@link #close()} the hashes are saved sealed under the same
 * key ({@code <disk>.hashes}: the plain hashes of the blocks would tell which content they hold); opening reads them
 * back and deletes the file before anything can be written, so a crash never leaves hashes that no longer hold.
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
    private final Path hashFile;
    private final byte[] zeroBlockHash;
    /** Each block's hash ({@link PageTreeHash}) where {@link #hashKnown} says it is known; guarded by {@code this}. */
    private final byte[] hashes;
    /** Scratch for a block's page hashes; guarded by {@code this}. */
    private final byte[] pageHashes;
    private final BitSet hashKnown = new BitSet();

    private EncryptedReplicaDisk(String diskId, DiskFile data, DiskFile seals, CloudKey key, Path hashFile) {
        this.diskId = diskId;
        this.data = data;
        this.seals = seals;
        this.key = new SecretKeySpec(key.key(), "AES");
        this.zeros = new byte[NONCE + data.blockSize() + TAG];
        this.hashFile = hashFile;
        this.zeroBlockHash = PageTreeHash.zeroBlock(data.blockSize());
        this.pageHashes = new byte[PageTreeHash.pagesPerBlock(data.blockSize()) * 32];
        this.hashes = new byte[Math.toIntExact(data.blockCount() * 32)];
    }

    public static EncryptedReplicaDisk create(Path dir, String diskId, long sizeBytes, int blockSize, CloudKey key) {
        DiskFile.createZeroed(dataPath(dir, diskId), sizeBytes);
        DiskFile.createZeroed(sealsPath(dir, diskId), sizeBytes / blockSize * SEAL);
        EncryptedReplicaDisk disk = open(dir, diskId, blockSize, key);
        disk.allZeros();
        return disk;
    }

    public static EncryptedReplicaDisk open(Path dir, String diskId, int blockSize, CloudKey key) {
        EncryptedReplicaDisk disk = new EncryptedReplicaDisk(diskId, DiskFile.open(dataPath(dir, diskId), blockSize),
                DiskFile.open(sealsPath(dir, diskId), SEAL), key, hashesPath(dir, diskId));
        disk.loadHashes();
        return disk;
    }

    static Path hashesPath(Path dir, String diskId) {
        return dir.resolve(diskId + ".hashes");
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
            Files.deleteIfExists(hashesPath(dir, diskId));
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

    /**
     * Puts back a block's stored form that {@link #readStored} read from the same block of this disk. Its hash is
     * not known until the next digest opens it (unless it is the zero block's).
     */
    public synchronized void writeStored(long block, ByteBuffer src) {
        int blockSize = data.blockSize();
        int at = src.position();
        if (DiskFile.isAllZero(src.slice(at, storedBlockBytes()))) {
            fileHash(block, zeroBlockHash);
        } else {
            hashKnown.clear((int) block);
        }
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

    /**
     * Seals the blocks one by one into one buffer and writes the ciphertext as one positional write and the nonces and
     * tags as another; each block's plaintext hash is filed on the way.
     */
    @Override
    public synchronized void writeBlocks(long firstBlock, ByteBuffer blocks) {
        int blockSize = data.blockSize();
        int count = blocks.remaining() / blockSize;
        // Each block's ciphertext is followed by its tag, which the next block's ciphertext then overwrites once the
        // tag is copied out: hence the room for one tag more.
        ByteBuffer sealedRun = ByteBuffer.allocate(count * blockSize + TAG);
        ByteBuffer sealRun = ByteBuffer.allocate(count * SEAL);
        java.security.MessageDigest sha256 = DiskFile.sha256();
        byte[] nonce = new byte[NONCE];
        byte[] hash = new byte[32];
        for (int i = 0; i < count; i++) {
            long block = firstBlock + i;
            ByteBuffer plain = blocks.slice(blocks.position() + i * blockSize, blockSize);
            if (DiskFile.isAllZero(plain)) {
                // Stored as zeros: clear the tag the block before may have left at the start of this one's place.
                sealedRun.put(i * blockSize, new byte[TAG]);
                sealRun.put(new byte[SEAL]);
                fileHash(block, zeroBlockHash);
                continue;
            }
            PageTreeHash.hashBlock(plain, sha256, pageHashes, 0, hash, 0);
            random.nextBytes(nonce);
            ByteBuffer out = sealedRun.slice(i * blockSize, blockSize + TAG);
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
                cipher.updateAAD(associatedData(block));
                cipher.doFinal(plain, out);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot seal block " + block + " of replica disk '" + diskId + "'", e);
            }
            sealRun.put(nonce).put(sealedRun.slice((i + 1) * blockSize, TAG));
            fileHash(block, hash);
        }
        blocks.position(blocks.position() + count * blockSize);
        data.write(firstBlock, sealedRun.limit(count * blockSize));
        seals.write(firstBlock, sealRun.flip());
    }

    private byte[] associatedData(long block) {
        return (diskId + "/" + block).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void zeroAll() {
        DiskFile.createZeroed(data.path(), data.sizeBytes());
        DiskFile.createZeroed(seals.path(), seals.sizeBytes());
        allZeros();
    }

    @Override
    public void force() {
        data.force();
        seals.force();
    }

    /**
     * The digest of the plaintext ({@link DiskFile#digest}): only blocks whose hash is not known are read, opened and
     * hashed.
     */
    @Override
    public synchronized String digest() {
        hashUnknown(0, (int) blockCount());
        return DiskFile.digestOfBlockHashes(hashes);
    }

    /** The hash ({@link PageTreeHash}) of each block's plaintext in the range: known ones copied, others read and opened. */
    @Override
    public synchronized byte[] blockHashes(long firstBlock, int count) {
        if (firstBlock < 0 || count < 0 || firstBlock + count > blockCount()) {
            throw new IllegalArgumentException("blocks " + firstBlock + " + " + count + " are outside replica disk " + diskId);
        }
        hashUnknown((int) firstBlock, (int) firstBlock + count);
        return java.util.Arrays.copyOfRange(hashes, (int) firstBlock * 32, ((int) firstBlock + count) * 32);
    }

    private void hashUnknown(int from, int to) {
        int blockSize = data.blockSize();
        java.security.MessageDigest sha256 = DiskFile.sha256();
        ByteBuffer plain = ByteBuffer.allocate(blockSize);
        byte[] hash = new byte[32];
        for (int b = hashKnown.nextClearBit(from); b < to; b = hashKnown.nextClearBit(b + 1)) {
            read(b, plain.clear());
            plain.flip();
            if (DiskFile.isAllZero(plain)) {
                fileHash(b, zeroBlockHash);
                continue;
            }
            PageTreeHash.hashBlock(plain, sha256, pageHashes, 0, hash, 0);
            fileHash(b, hash);
        }
    }

    /** Blocks whose hash a digest would have to compute (read and open) now. */
    public synchronized long unhashedBlocks() {
        return blockCount() - hashKnown.cardinality();
    }

    private void fileHash(long block, byte[] hash) {
        System.arraycopy(hash, 0, hashes, (int) block * 32, 32);
        hashKnown.set((int) block);
    }

    private void allZeros() {
        int blocks = (int) blockCount();
        for (int b = 0; b < blocks; b++) {
            System.arraycopy(zeroBlockHash, 0, hashes, b * 32, 32);
        }
        hashKnown.set(0, blocks);
    }

    /**
     * Reads the hashes a clean {@link #close()} saved, if they open under this disk's key, then deletes the file
     * durably: from now on they live in memory, and a crash must find none.
     */
    private void loadHashes() {
        if (!Files.exists(hashFile)) {
            return;
        }
        try {
            byte[] sealed = SiteFiles.readFile(hashFile).array();
            if (sealed.length > NONCE + TAG) {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, 0, NONCE));
                cipher.updateAAD(hashesAssociatedData());
                ByteBuffer saved = ByteBuffer.wrap(cipher.doFinal(sealed, NONCE, sealed.length - NONCE));
                if (saved.remaining() == hashes.length + (hashes.length / 32 + 7) / 8) {
                    saved.get(hashes);
                    byte[] known = new byte[saved.remaining()];
                    saved.get(known);
                    hashKnown.or(BitSet.valueOf(known));
                }
            }
        } catch (GeneralSecurityException e) {
            // Saved under another key, or damaged: the hashes are computed again when needed.
            hashKnown.clear();
        }
        try {
            Files.delete(hashFile);
            forceFolder(hashFile.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot delete " + hashFile, e);
        }
    }

    private void saveHashes() {
        int blocks = (int) blockCount();
        byte[] known = new byte[(blocks + 7) / 8];
        byte[] bits = hashKnown.toByteArray();
        System.arraycopy(bits, 0, known, 0, Math.min(bits.length, known.length));
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
            cipher.updateAAD(hashesAssociatedData());
            byte[] sealed = cipher.doFinal(ByteBuffer.allocate(hashes.length + known.length).put(hashes).put(known).array());
            ByteBuffer file = ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).flip();
            SiteFiles.writeFile(hashFile, file);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal the block hashes of replica disk '" + diskId + "'", e);
        }
    }

    /** Makes a deletion in the folder durable; a file system that cannot open folders for this has nothing to force. */
    private static void forceFolder(Path dir) {
        try (java.nio.channels.FileChannel folder = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            folder.force(true);
        } catch (java.io.IOException e) {
            // best effort
        }
    }

    /** Names the hashes' algorithm too: hashes saved by a version that hashed blocks otherwise do not open. */
    private byte[] hashesAssociatedData() {
        return (diskId + "/hashes/" + DiskFile.DIGEST_ALGORITHM).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() {
        data.force();
        seals.force();
        saveHashes();
        data.close();
        seals.close();
    }
}
