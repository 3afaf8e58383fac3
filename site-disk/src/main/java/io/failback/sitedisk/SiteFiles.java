package io.failback.sitedisk;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** How both sites keep their state: one JSON document per object, replaced atomically and durably. Blocking. */
public final class SiteFiles {
    private SiteFiles() {
    }

    /** Writes {@code value} to {@code file} so that a crash leaves either the old or the new document, never half. */
    public static void writeAtomically(ObjectMapper json, Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
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
