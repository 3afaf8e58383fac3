package io.failback.sitedisk;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** How both sites keep their state: one JSON document per object, replaced atomically and durably. Blocking. */
public final class SiteFiles {
    /**
     * At most this much of a heap buffer goes to the file system per call. The JDK copies a heap buffer through a
     * temporary direct buffer as large as the call, and keeps it for the thread's next call: one 10 MiB write of a
     * 16 GiB disk's block hashes left 10 MiB of direct memory on every worker thread that ever made one, and a 4 GiB
     * benchmark ran host-agent out of direct memory (192 MB) by its second Reverse Replicate.
     */
    public static final int HEAP_IO_SLICE = 256 << 10;

    private SiteFiles() {
    }

    /** Writes {@code bytes}' remaining bytes at {@code position}, in slices of at most {@link #HEAP_IO_SLICE}. */
    public static void writeFully(FileChannel channel, ByteBuffer bytes, long position) throws IOException {
        while (bytes.hasRemaining()) {
            int length = Math.min(bytes.remaining(), HEAP_IO_SLICE);
            ByteBuffer slice = bytes.slice(bytes.position(), length);
            while (slice.hasRemaining()) {
                position += channel.write(slice, position);
            }
            bytes.position(bytes.position() + length);
        }
    }

    /** Fills {@code dst}'s remaining space from {@code position}, in slices; answers false at the end of the file. */
    public static boolean readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int length = Math.min(dst.remaining(), HEAP_IO_SLICE);
            ByteBuffer slice = dst.slice(dst.position(), length);
            while (slice.hasRemaining()) {
                int n = channel.read(slice, position);
                if (n < 0) {
                    return false;
                }
                position += n;
            }
            dst.position(dst.position() + length);
        }
        return true;
    }

    /** Replaces {@code file}'s content with {@code bytes}' remaining bytes and makes it durable. */
    public static void writeFile(Path file, ByteBuffer bytes) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(channel, bytes, 0);
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The whole of {@code file}, read in slices (not {@code Files.readAllBytes}, which reads it in one call). */
    public static ByteBuffer readFile(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new IllegalStateException(file + " is too large to read whole: " + size + " bytes");
            }
            ByteBuffer bytes = ByteBuffer.allocate((int) size);
            readFully(channel, bytes, 0);
            return bytes.flip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Writes {@code value} to {@code file} so that a crash leaves either the old or the new document, never half. */
    public static void writeAtomically(ObjectMapper json, Path file, Object value) {
        write(json, file, value, false);
    }

    /**
     * As {@link #writeAtomically}, for a document that holds a key: readable and writable by this user only (mode
     * 600), from the moment it exists.
     */
    public static void writeSecretAtomically(ObjectMapper json, Path file, Object value) {
        write(json, file, value, true);
    }

    private static void write(ObjectMapper json, Path file, Object value, boolean ownerOnly) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(temporary);
            if (ownerOnly && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.write(temporary, json.writeValueAsBytes(value));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Deletes a folder and everything in it; a folder that is not there is already deleted. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** Reads {@code <root>/<each folder>/<fileName>}, skipping folders without one. */
    public static <T> List<T> readAll(ObjectMapper json, Path root, String fileName, Class<T> type) {
        List<T> values = new ArrayList<>();
        try {
            Files.createDirectories(root);
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path file : dirs.map(d -> d.resolve(fileName)).filter(Files::exists).toList()) {
                    values.add(json.readValue(file.toFile(), type));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + fileName + " files under " + root, e);
        }
        return values;
    }
}
