package io.failback.system.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** YAML in and out as Jackson trees, one tree a document. */
final class Yaml {
    static final ObjectMapper MAPPER = new YAMLMapper(new YAMLFactory());

    private Yaml() {
    }

    static List<ObjectNode> documents(String text, String origin) {
        List<ObjectNode> documents = new ArrayList<>();
        try (var parser = MAPPER.getFactory().createParser(text)) {
            for (var iterator = MAPPER.readValues(parser, JsonNode.class); iterator.hasNext(); ) {
                JsonNode document = iterator.next();
                if (document == null || document.isNull() || document.isMissingNode()) {
                    continue;
                }
                if (!(document instanceof ObjectNode object)) {
                    throw new IllegalArgumentException(origin + ": a document is not a mapping: " + document);
                }
                documents.add(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(origin + ": not YAML", e);
        }
        return documents;
    }

    static List<ObjectNode> documents(Path file) {
        try {
            return documents(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode document(Path file) {
        List<ObjectNode> documents = documents(file);
        if (documents.size() != 1) {
            throw new IllegalArgumentException(file + ": expected one document, found " + documents.size());
        }
        return documents.get(0);
    }
}
