package io.failback.azuresim.replica;

import io.failback.sitedisk.SiteFiles;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The file of one replica disk's undo journal ({@code <disk>.undo}, see {@link JournaledReplicaDisk}): for each block
 * overwritten since the recovery point named by the header's tag, the block as it was stored before — its stored
 * form, so a sealed replica's journal holds only sealed blocks. Append-only; big-endian.
 *
 * <pre>
 * header = magic "FBUJ" | version u16 = 2 | storedBlockBytes u32 | journalId u64 | tagLength u16 | tag (UTF-8)
 *          | crc32c u32 (of the header bytes before it)
 * record = block u64 | kind u8 (0: the block was zeros, nothing follows; 1: its stored form follows;
 *          2: some of its 4 KiB pages follow) | pageMask u64 (kind 2 only) | stored form (storedBlockBytes, kind 1)
 *          or the pages (4096 bytes each, in page order, kind 2) | crc32c u32 (of journalId, then block .. payload)
 * </pre>
 * Kind 2 saves only the pages a write overwrites (a guest's 4 KiB writes replicated as pages), for a disk whose stored
 * form is the block itself: each page of a block is saved at most once, before its first overwrite, so a block's
 * records cover disjoint pages. Version 1 journals (kinds 0 and 1 only) are still read; version 2 keeps an older
 * reader from cutting a journal at its first kind 2 record.
 *
 * A crash during an append can leave a torn tail: reading stops at the first record that does not check out and cuts
 * the file there. Nothing is lost by that, because the blocks of an append are overwritten only after the append was
 * forced. A journal is replaced, never truncated: {@link #create} writes a new file beside it and renames it over the
 * old one (then forces the folder), and the random journal id in every record's checksum keeps any record of an
 * earlier journal from counting in a later one. Not thread-safe: its disk serializes the calls.
 */
final class UndoLog implements Closeable {
    private static final byte[] MAGIC_BYTES = {'F', 'B', 'U', 'J'};
    private static final int VERSION = 2;
    private static final int RECORD_HEAD = 8 + 1;
    private static final int PAGE_MASK = 8;
    static final int PAGE_BYTES = io.failback.contracts.blockstream.BlockStreamFormat.PAGE_SIZE;
    private static final int CRC = 4;
    private static final SecureRandom IDS = new SecureRandom();

    /**
     * Where a saved block is: {@code payloadAt} in the file, or -1 when the block was zeros; {@code pageMask} 0 for the
     * whole block, else the pages saved (their bytes at {@code payloadAt}, in page order).
     */
    record Entry(long block, long payloadAt, long pageMask) {
        boolean zeros() {
            return payloadAt < 0;
        }

        boolean whole() {
            return pageMask == 0;
        }
    }

    /**
     * A block to save: its stored form (remaining bytes), or null when it holds zeros; or, with a {@code pageMask},
     * only those pages of it (in page order).
     */
    record Saved(long block, ByteBuffer stored, long pageMask) {
        Saved(long block, ByteBuffer stored) {
            this(block, stored, 0);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final String tag;
    private final long journalId;
    private final int storedBlockBytes;
    private final List<Entry> loaded;
    private long end;
    private ByteBuffer records = ByteBuffer.allocate(0);

    private UndoLog(Path file, FileChannel channel, String tag, long journalId, int storedBlockBytes, long end, List<Entry> loaded) {
        this.file = file;
        this.channel = channel;
        this.tag = tag;
        this.journalId = journalId;
        this.storedBlockBytes = storedBlockBytes;
        this.end = end;
        this.loaded = loaded;
    }

    static Path path(Path dir, String diskId) {
        return dir.resolve(diskId + ".undo");
    }

    /** A new, empty journal for the recovery point {@code tag}, replacing any file there (atomically and durably). */
    static UndoLog create(Path file, String tag, int storedBlockBytes) {
        byte[] tagBytes = tag.getBytes(StandardCharsets.UTF_8);
        long journalId = IDS.nextLong();
        ByteBuffer header = ByteBuffer.allocate(4 + 2 + 4 + 8 + 2 + tagBytes.length + CRC);
        header.put(MAGIC_BYTES).putShort((short) VERSION).putInt(storedBlockBytes).putLong(journalId)
                .putShort((short) tagBytes.length).put(tagBytes);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, header.position());
        header.putInt((int) crc.getValue()).flip();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (header.hasRemaining()) {
                    out.write(header);
                }
                out.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceFolder(file.getParent());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new UndoLog(file, channel, tag, journalId, storedBlockBytes, channel.size(), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create undo journal " + file, e);
        }
    }

    /**
     * The journal in {@code file} with its records ({@link #loaded()}), cut after the last whole one; null when there
     * is no file or its header does not check out.
     */
    static UndoLog open(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long size = channel.size();
            ByteBuffer fixed = ByteBuffer.allocate(4 + 2 + 4 + 8 + 2);
            if (size < fixed.capacity() + CRC || !readFully(channel, fixed, 0)) {
                channel.close();
                return null;
            }
            byte[] magic = new byte[4];
            fixed.flip().get(magic);
            int version = fixed.getShort();
            int storedBlockBytes = fixed.getInt();
            long journalId = fixed.getLong();
            int tagLength = Short.toUnsignedInt(fixed.getShort());
            ByteBuffer rest = ByteBuffer.allocate(tagLength + CRC);
            if (!java.util.Arrays.equals(magic, MAGIC_BYTES) || (version != 1 && version != VERSION) || storedBlockBytes <= 0
                    || !readFully(channel, rest, fixed.capacity())) {
                channel.close();
                return null;
            }
            CRC32C crc = new CRC32C();
            crc.update(fixed.array());
            crc.update(rest.array(), 0, tagLength);
            if ((int) crc.getValue() != rest.getInt(tagLength)) {
                channel.close();
                return null;
            }
            String tag = new String(rest.array(), 0, tagLength, StandardCharsets.UTF_8);
            long position = fixed.capacity() + rest.capacity();
            List<Entry> entries = new ArrayList<>();
            // The pages of each block saved so far (-1: all of them).
            java.util.Map<Long, Long> covered = new java.util.HashMap<>();
            ByteBuffer record = ByteBuffer.allocate(RECORD_HEAD + PAGE_MASK + Math.max(storedBlockBytes, 64 * PAGE_BYTES) + CRC);
            ByteBuffer id = ByteBuffer.allocate(8).putLong(0, journalId);
            while (true) {
                record.clear().limit(RECORD_HEAD);
                if (!readFully(channel, record, position)) {
                    break;
                }
                long block = record.getLong(0);
                byte kind = record.get(8);
                if (kind != 0 && kind != 1 && !(kind == 2 && version == VERSION)) {
                    break;
                }
                if (kind == 2 && !readFully(channel, record.limit(RECORD_HEAD + PAGE_MASK), position + RECORD_HEAD)) {
                    break;
                }
                long pageMask = kind == 2 ? record.getLong(RECORD_HEAD) : 0;
                if (kind == 2 && pageMask == 0) {
                    break;
                }
                int head = RECORD_HEAD + (kind == 2 ? PAGE_MASK : 0);
                int length = head + (kind == 1 ? storedBlockBytes : kind == 2 ? Long.bitCount(pageMask) * PAGE_BYTES : 0);
                record.limit(length + CRC);
                if (!readFully(channel, record.position(head), position + head)) {
                    break;
                }
                crc.reset();
                crc.update(id.array());
                crc.update(record.array(), 0, length);
                if ((int) crc.getValue() != record.getInt(length)) {
                    break;
                }
                // A page is saved once per journal; should it appear again, the first (oldest) content counts.
                long before = covered.getOrDefault(block, 0L);
                long saves = kind == 2 ? pageMask : -1L;
                if ((before & saves) == 0) {
                    entries.add(new Entry(block, kind == 0 ? -1 : position + head, kind == 2 ? pageMask : 0));
                    covered.put(block, before | saves);
                }
                position += length + CRC;
            }
            if (position < size) {
                channel.truncate(position);
                channel.force(true);
            }
            return new UndoLog(file, channel, tag, journalId, storedBlockBytes, position, List.copyOf(entries));
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // reporting the first failure
                }
            }
            throw new UncheckedIOException("cannot read undo journal " + file, e);
        }
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete undo journal " + file, e);
        }
    }

    String tag() {
        return tag;
    }

    int storedBlockBytes() {
        return storedBlockBytes;
    }

    /** The records found when the journal was opened. */
    List<Entry> loaded() {
        return loaded;
    }

    /** Bytes in the file. */
    long sizeBytes() {
        return end;
    }

    /** Appends one record per block, in one write; durable only after {@link #force()}. */
    List<Entry> append(List<Saved> blocks) {
        int bytes = 0;
        for (Saved saved : blocks) {
            bytes += RECORD_HEAD + (saved.pageMask() != 0 ? PAGE_MASK + saved.stored().remaining()
                    : saved.stored() == null ? 0 : storedBlockBytes) + CRC;
        }
        if (records.capacity() < bytes) {
            records = ByteBuffer.allocate(bytes);
        }
        records.clear();
        List<Entry> entries = new ArrayList<>(blocks.size());
        CRC32C crc = new CRC32C();
        byte[] id = ByteBuffer.allocate(8).putLong(journalId).array();
        for (Saved saved : blocks) {
            int start = records.position();
            if (saved.pageMask() != 0) {
                if (saved.stored().remaining() != Long.bitCount(saved.pageMask()) * PAGE_BYTES) {
                    throw new IllegalArgumentException("pages " + Long.toHexString(saved.pageMask()) + " of block " + saved.block()
                            + " are " + Long.bitCount(saved.pageMask()) * PAGE_BYTES + " bytes, got " + saved.stored().remaining());
                }
                records.putLong(saved.block()).put((byte) 2).putLong(saved.pageMask()).put(saved.stored().duplicate());
                crc.reset();
                crc.update(id);
                crc.update(records.array(), start, records.position() - start);
                records.putInt((int) crc.getValue());
                entries.add(new Entry(saved.block(), end + start + RECORD_HEAD + PAGE_MASK, saved.pageMask()));
                continue;
            }
            records.putLong(saved.block()).put((byte) (saved.stored() == null ? 0 : 1));
            if (saved.stored() != null) {
                if (saved.stored().remaining() != storedBlockBytes) {
                    throw new IllegalArgumentException("a stored block has " + storedBlockBytes + " bytes, got " + saved.stored().remaining());
                }
                records.put(saved.stored().duplicate());
            }
            crc.reset();
            crc.update(id);
            crc.update(records.array(), start, records.position() - start);
            records.putInt((int) crc.getValue());
            entries.add(new Entry(saved.block(), saved.stored() == null ? -1 : end + start + RECORD_HEAD, 0));
        }
        records.flip();
        try {
            int length = records.remaining();
            SiteFiles.writeFully(channel, records, end);
            end += length;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write undo journal " + file, e);
        }
        return entries;
    }

    void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot flush undo journal " + file, e);
        }
    }

    /**
     * Reads a saved block's stored form ({@link #storedBlockBytes()} bytes), or for a page entry its pages, into
     * {@code dst}.
     */
    void read(Entry entry, ByteBuffer dst) {
        int bytes = entry.whole() ? storedBlockBytes : Long.bitCount(entry.pageMask()) * PAGE_BYTES;
        try {
            if (!readFully(channel, dst.limit(dst.position() + bytes), entry.payloadAt())) {
                throw new IllegalStateException("undo journal " + file + " ends inside the record of block " + entry.block());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read undo journal " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fills {@code dst} from {@code position}; false when the file ends first. */
    private static boolean readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        return SiteFiles.readFully(channel, dst, position);
    }

    private static void forceFolder(Path dir) {
        // Makes the rename durable; a file system that cannot open folders for this has nothing to force.
        try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
            folder.force(true);
        } catch (IOException e) {
            // best effort
        }
    }
}
