package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A generated section finds its place in a document that has none yet, and keeps it afterwards. */
class GeneratedSectionTest {
    private static final GeneratedSection FIRST = new GeneratedSection("<!-- BEGIN first -->", "<!-- END first -->");
    private static final GeneratedSection SECOND = new GeneratedSection("<!-- BEGIN second -->", "<!-- END second -->");

    @TempDir
    Path dir;

    @Test
    void aNewSectionGoesRightAfterTheSectionItBelongsWithAndIsReplacedThereLater() throws Exception {
        Path doc = dir.resolve("doc.md");
        Files.writeString(doc, "# Doc\n\n<!-- BEGIN first -->\none\n<!-- END first -->\n\n## Notes\n\nby hand\n");

        SECOND.writeTo(doc, "two\n", "<!-- END first -->", section -> section);
        assertEquals("# Doc\n\n<!-- BEGIN first -->\none\n<!-- END first -->\n\n<!-- BEGIN second -->\ntwo\n<!-- END second -->"
                + "\n\n## Notes\n\nby hand\n", Files.readString(doc));

        SECOND.writeTo(doc, "three\n", "<!-- END first -->", section -> section);
        FIRST.writeTo(doc, "four\n", section -> section);
        assertEquals("# Doc\n\n<!-- BEGIN first -->\nfour\n<!-- END first -->\n\n<!-- BEGIN second -->\nthree\n<!-- END second -->"
                + "\n\n## Notes\n\nby hand\n", Files.readString(doc));
    }

    @Test
    void withoutTheSectionItBelongsWithANewSectionGoesAtTheEnd() throws Exception {
        Path doc = dir.resolve("doc.md");
        Files.writeString(doc, "# Doc\n\nby hand\n");
        SECOND.writeTo(doc, "two\n", "<!-- END first -->", section -> section);
        assertEquals("# Doc\n\nby hand\n\n<!-- BEGIN second -->\ntwo\n<!-- END second -->\n", Files.readString(doc));
    }
}
