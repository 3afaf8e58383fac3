package io.failback.system.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The add, replace, remove and test operations of JSON Patch (RFC 6902) on a Jackson tree, for KustomizeRenderer. A
 * failed test fails the render, as in Kustomize: it guards a patch that addresses list items by index.
 */
final class JsonPatch {
    private JsonPatch() {
    }

    static void apply(JsonNode operation, ObjectNode document, Path origin) {
        String op = operation.path("op").asText();
        List<String> path = pointer(operation.path("path").asText());
        if (path.isEmpty()) {
            throw new IllegalArgumentException(origin + ": a patch operation on the whole document");
        }
        JsonNode parent = document;
        for (String token : path.subList(0, path.size() - 1)) {
            parent = parent.isArray() ? parent.path(Integer.parseInt(token)) : parent.path(token);
            if (parent.isMissingNode()) {
                throw new IllegalArgumentException(origin + ": " + operation.path("path").asText() + " does not exist");
            }
        }
        String last = path.get(path.size() - 1);
        JsonNode value = operation.get("value");
        if (value == null && !op.equals("remove")) {
            throw new IllegalArgumentException(origin + ": the '" + op + "' of " + operation.path("path").asText() + " has no value");
        }
        switch (op) {
            case "add" -> add(parent, last, value, origin);
            case "replace" -> {
                remove(parent, last, origin, operation);
                add(parent, last, value, origin);
            }
            case "remove" -> remove(parent, last, origin, operation);
            case "test" -> {
                JsonNode actual = parent.isArray() ? parent.path(Integer.parseInt(last)) : parent.path(last);
                if (!actual.equals(value)) {
                    throw new IllegalArgumentException(origin + ": the test of " + operation.path("path").asText() + " expected "
                            + value + ", found " + actual);
                }
            }
            default -> throw new IllegalArgumentException(origin + ": the JSON patch operation '" + op
                    + "' is not implemented by KustomizeRenderer");
        }
    }

    private static void add(JsonNode parent, String token, JsonNode value, Path origin) {
        if (parent instanceof ObjectNode object) {
            object.set(token, value.deepCopy());
        } else if (parent instanceof ArrayNode array) {
            if (token.equals("-")) {
                array.add(value.deepCopy());
            } else {
                array.insert(Integer.parseInt(token), value.deepCopy());
            }
        } else {
            throw new IllegalArgumentException(origin + ": cannot add under a scalar");
        }
    }

    private static void remove(JsonNode parent, String token, Path origin, JsonNode operation) {
        boolean removed = parent instanceof ObjectNode object ? object.remove(token) != null
                : parent instanceof ArrayNode array && array.remove(Integer.parseInt(token)) != null;
        if (!removed) {
            throw new IllegalArgumentException(origin + ": " + operation.path("path").asText() + " does not exist");
        }
    }

    private static List<String> pointer(String pointer) {
        List<String> tokens = new ArrayList<>();
        if (pointer.isEmpty()) {
            return tokens;
        }
        if (!pointer.startsWith("/")) {
            throw new IllegalArgumentException("Not a JSON pointer: " + pointer);
        }
        for (String token : pointer.substring(1).split("/", -1)) {
            tokens.add(token.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }
}
