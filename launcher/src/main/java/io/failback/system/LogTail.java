package io.failback.system;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The end of a log file, for error messages. */
final class LogTail {

    /** Enough for 40 long lines without reading a large log whole. */
    private static final int MAX_BYTES = 64 * 1024;

    private LogTail() {
    }

    static String lastLines(Path file, int lines) {
        if (!Files.isRegularFile(file)) {
            return "(" + file + " does not exist)";
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(0, in.length() - MAX_BYTES);
            byte[] bytes = new byte[(int) (in.length() - start)];
            in.seek(start);
            in.readFully(bytes);
            List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\\R"));
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** The message for a component that did not come up, with what its log says. */
    static String explain(String problem, Path logFile) {
        return problem + System.lineSeparator() + "Last 40 lines of " + logFile + ":" + System.lineSeparator()
                + lastLines(logFile, 40);
    }
}
