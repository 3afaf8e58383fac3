package io.failback.contracts.blockstream;

/**
 * The block stream, version 1: how disk blocks travel between a site's block API and sync-service. Big-endian.
 *
 * <pre>
 * stream  = header frame* end
 * header  = magic "FBLK" (4) | version u16 = 1 | flags u16 = 0 | blockSize u32 | diskSizeBytes u64
 *           | firstBlock u64 | blockCount u64 | crc32c u32 (over the preceding 36 bytes)            = 40 bytes
 * frame   = type u8 | blockIndex u64 | payloadLength u32 | payload | crc32c u32 (over type..payload)
 * types   = DATA  0x01  payload: the block's bytes (exactly blockSize)
 *           ZEROS 0x02  payload: u32 run length; blocks blockIndex .. blockIndex+run-1 are all zero
 *           KEY   0x03  payload: UTF-8 certificate id (1..64 bytes) of the key SEALED frames are sealed with
 *           SEALED 0x04 payload: nonce (12) | AES-256-GCM ciphertext (blockSize) | tag (16); associated data
 *                       "FBLK" | blockIndex u64 | diskSizeBytes u64
 *           ERROR 0x7E  payload: UTF-8 message; the sender failed and the stream is incomplete
 *           END   0x7F  blockIndex = firstBlock + blockCount; payload: u64 frames sent before END
 *                       | u64 DATA payload bytes sent
 * </pre>
 *
 * With flag {@link #FLAG_SEALED} (set when the cloud encrypts data) the frame after the header is KEY and block
 * content travels only in SEALED frames, never in DATA: only a holder of the key can read or forge a block, and a
 * sealed block cannot be moved to another index or disk size. END's byte count is then of plaintext.
 * <p>
 * Block indexes increase from frame to frame and lie in [firstBlock, firstBlock + blockCount). A stream that ends
 * without END (or with ERROR) is incomplete: the receiver must treat the target as inconsistent. CRC32C guards each
 * frame against corruption in transit; whole-disk SHA-256 digests, not these checksums, prove a copy complete.
 */
public final class BlockStreamFormat {
    public static final String MEDIA_TYPE = "application/vnd.failback.block-stream.v1";
    public static final int MAGIC = 0x46424C4B; // "FBLK"
    public static final short VERSION = 1;
    public static final int HEADER_BYTES = 40;
    /** type + blockIndex + payloadLength before the payload, crc32c after it. */
    public static final int FRAME_OVERHEAD_BYTES = 1 + 8 + 4 + 4;
    public static final int END_PAYLOAD_BYTES = 16;
    /** Largest block a stream may declare: bounds the memory a receiver commits to one frame. */
    public static final int MAX_BLOCK_SIZE = 4 << 20;
    public static final int MAX_ERROR_MESSAGE_BYTES = 4096;

    public static final short FLAG_SEALED = 1;
    public static final int MAX_KEY_ID_BYTES = 64;
    public static final int SEAL_NONCE_BYTES = 12;
    public static final int SEAL_TAG_BYTES = 16;

    public static final byte TYPE_DATA = 0x01;
    public static final byte TYPE_ZEROS = 0x02;
    public static final byte TYPE_KEY = 0x03;
    public static final byte TYPE_SEALED = 0x04;
    public static final byte TYPE_ERROR = 0x7E;
    public static final byte TYPE_END = 0x7F;

    private BlockStreamFormat() {
    }
}
