package io.failback.contracts.blockstream;

/**
 * The block stream: how disk blocks travel between a site's block API and sync-service. Big-endian.
 *
 * <pre>
 * stream  = header frame* end
 * header  = magic "FBLK" (4) | version u16 (1 or 2) | flags u16 | blockSize u32 | diskSizeBytes u64
 *           | firstBlock u64 | blockCount u64 | crc32c u32 (over the preceding 36 bytes)            = 40 bytes
 * frame   = type u8 | blockIndex u64 | payloadLength u32 | payload | crc32c u32 (over type..payload)
 * types   = DATA  0x01  payload: the block's bytes (exactly blockSize)
 *           ZEROS 0x02  payload: u32 run length; blocks blockIndex .. blockIndex+run-1 are all zero
 *           KEY   0x03  payload: UTF-8 certificate id (1..64 bytes) of the key SEALED frames are sealed with
 *           SEALED 0x04 payload: nonce (12) | AES-256-GCM ciphertext (blockSize) | tag (16); associated data
 *                       "FBLK" | blockIndex u64 | diskSizeBytes u64
 *           ERROR 0x7E  payload: UTF-8 message; the sender failed and the stream is incomplete
 *           END   0x7F  blockIndex = firstBlock + blockCount; payload: u64 frames sent before END
 *                       | u64 block-content bytes delivered
 * version 2 only (blockSize a multiple of 4096, at most 64 pages):
 *           PAGES 0x05  payload: u64 pageMask | the pages' bytes in page order (4096 each); bit i = page i
 *           SEALED_PAGES 0x06 payload: u64 pageMask | nonce (12) | ciphertext (pages) | tag (16); associated
 *                       data "FBPG" | blockIndex u64 | diskSizeBytes u64 | pageMask u64
 *           COMPRESSED 0x07 payload: u8 innerType (DATA or PAGES) | u32 rawLength | LZ4 block of the inner
 *                       frame's payload (rawLength bytes once decompressed)
 *           COMPRESSED_ZSTD 0x08 payload: as COMPRESSED, with one Zstandard frame instead of the LZ4 block
 * </pre>
 *
 * With flag {@link #FLAG_SEALED} (set when the cloud encrypts data) the frame after the header is KEY and block
 * content travels only in SEALED (and SEALED_PAGES) frames, never in DATA, PAGES or COMPRESSED(_ZSTD): only a holder of the
 * key can read or forge a block, and a sealed block cannot be moved to another index or disk size. Sealed payloads are
 * never compressed: ciphertext does not compress, and compressing before sealing would let the length of a frame tell
 * something about its plaintext.
 * <p>
 * Block indexes increase from frame to frame and lie in [firstBlock, firstBlock + blockCount). END counts every
 * DATA, SEALED, ZEROS, PAGES, SEALED_PAGES and COMPRESSED(_ZSTD) frame as one frame (KEY is not counted), and the
 * block content they deliver: a block per DATA or SEALED frame, the present pages of a PAGES or SEALED_PAGES frame, and
 * what the inner frame of a compressed one delivers; never the mask, nonce, tag or compressed size. A stream that ends
 * without END (or with ERROR) is incomplete: the receiver must treat the target as inconsistent. CRC32C guards each
 * frame against corruption in transit; whole-disk SHA-256 digests, not these checksums, prove a copy complete.
 * <p>
 * Negotiation (docs/contracts.md): a reader asks for version 2 with {@code Accept: }{@link #MEDIA_TYPE_V2} and for
 * compression with {@link #COMPRESSION_HEADER}{@code : zstd, lz4} (the codecs it reads, preferred first; see
 * {@link Compression}); a source answers version 1 unless asked, its Content-Type says which version it sent, and
 * its {@link #COMPRESSION_HEADER} which codec its compressed frames use.
 */
public final class BlockStreamFormat {
    /** Version 1's media type; what a source answers unless the reader asks for version 2. */
    public static final String MEDIA_TYPE = "application/vnd.failback.block-stream.v1";
    public static final String MEDIA_TYPE_V2 = "application/vnd.failback.block-stream.v2";
    /**
     * Request header: the codecs of compressed frames the reader takes (version 2 only), preferred first; a source that
     * may send such frames answers with the one it uses ({@link Compression}).
     */
    public static final String COMPRESSION_HEADER = "Failback-Block-Compression";

    public static final int MAGIC = 0x46424C4B; // "FBLK"
    /** Version 1: what a writer writes unless its reader asked for version 2. */
    public static final short VERSION = 1;
    public static final short VERSION_2 = 2;
    public static final int HEADER_BYTES = 40;
    /** type + blockIndex + payloadLength before the payload. */
    public static final int FRAME_HEAD_BYTES = 1 + 8 + 4;
    /** type + blockIndex + payloadLength before the payload, crc32c after it. */
    public static final int FRAME_OVERHEAD_BYTES = FRAME_HEAD_BYTES + 4;
    public static final int END_PAYLOAD_BYTES = 16;
    /** Largest block a stream may declare: bounds the memory a receiver commits to one frame. */
    public static final int MAX_BLOCK_SIZE = 4 << 20;
    public static final int MAX_ERROR_MESSAGE_BYTES = 4096;

    public static final short FLAG_SEALED = 1;
    public static final int MAX_KEY_ID_BYTES = 64;
    public static final int SEAL_NONCE_BYTES = 12;
    public static final int SEAL_TAG_BYTES = 16;

    /** The unit of a PAGES frame, fixed in version 2: what guests write. */
    public static final int PAGE_SIZE = 4096;
    /** A page mask is a u64: a version 2 block has at most 64 pages (256 KiB). */
    public static final int MAX_PAGES_PER_BLOCK = 64;
    public static final int PAGE_MASK_BYTES = 8;
    /** innerType u8 | rawLength u32 before the compressed bytes of a COMPRESSED or COMPRESSED_ZSTD payload. */
    public static final int COMPRESSED_HEAD_BYTES = 1 + 4;

    public static final byte TYPE_DATA = 0x01;
    public static final byte TYPE_ZEROS = 0x02;
    public static final byte TYPE_KEY = 0x03;
    public static final byte TYPE_SEALED = 0x04;
    public static final byte TYPE_PAGES = 0x05;
    public static final byte TYPE_SEALED_PAGES = 0x06;
    public static final byte TYPE_COMPRESSED = 0x07;
    public static final byte TYPE_COMPRESSED_ZSTD = 0x08;
    public static final byte TYPE_ERROR = 0x7E;
    public static final byte TYPE_END = 0x7F;

    private BlockStreamFormat() {
    }

    /** Whether a version 2 stream may have blocks of this size: whole pages, at most 64 of them. */
    public static boolean version2Allows(int blockSize) {
        return blockSize > 0 && blockSize % PAGE_SIZE == 0 && blockSize / PAGE_SIZE <= MAX_PAGES_PER_BLOCK;
    }

    /** The version a source answers to a request with this Accept header (null for none): 2 only when asked for. */
    public static short versionAccepted(String acceptHeader) {
        return acceptHeader != null && acceptHeader.contains(MEDIA_TYPE_V2) ? VERSION_2 : VERSION;
    }

    public static String mediaType(short version) {
        return version == VERSION_2 ? MEDIA_TYPE_V2 : MEDIA_TYPE;
    }

    /** Bytes of the pages a mask names. */
    public static int pagesBytes(long pageMask) {
        return Long.bitCount(pageMask) * PAGE_SIZE;
    }
}
