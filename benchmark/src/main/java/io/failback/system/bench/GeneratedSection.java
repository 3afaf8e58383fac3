package io.failback.system.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A document's section that a command rewrites on every run, between two marker lines, keeping whatever people wrote
 * around it (docs/benchmarks.md, docs/reliability.md).
 */
record GeneratedSection(String beginMarker, String endMarker) {

    /**
     * Puts {@code content} between the markers of {@code doc}: in place of the last run's, or at the end when the
     * document has no markers yet. A document that does not exist is {@code newDocument} applied to the section.
     */
    void writeTo(Path doc, String content, UnaryOperator<String> newDocument) throws IOException {
        writeTo(doc, content, null, newDocument);
    }

    /**
     * As {@link #writeTo(Path, String, UnaryOperator)}, except that a document without this section's markers gets it
     * right after the first {@code after} in it, where it has one (null: none): next to the section it belongs with
     * rather than below every note written since.
     */
    void writeTo(Path doc, String content, String after, UnaryOperator<String> newDocument) throws IOException {
        String section = beginMarker + "\n" + content + endMarker;
        String text;
        if (Files.isRegularFile(doc)) {
            String old = Files.readString(doc);
            int begin = old.indexOf(beginMarker);
            int end = old.indexOf(endMarker);
            int anchor = after == null ? -1 : old.indexOf(after);
            if (begin >= 0 && end > begin) {
                text = old.substring(0, begin) + section + old.substring(end + endMarker.length());
            } else if (anchor >= 0) {
                int at = anchor + after.length();
                text = old.substring(0, at) + "\n\n" + section + old.substring(at);
            } else {
                text = old.stripTrailing() + "\n\n" + section + "\n";
            }
        } else {
            text = newDocument.apply(section);
        }
        Files.writeString(doc, text);
    }
}
