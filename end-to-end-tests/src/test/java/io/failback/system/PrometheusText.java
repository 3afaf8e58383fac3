package io.failback.system;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one sample out of a Prometheus text exposition (what /q/metrics answers), for tests. With tracing on, a sample
 * may end in an exemplar, the trace that last counted: {@code name{labels} 1.0 # {span_id="…",trace_id="…"} 1.0 …}.
 */
final class PrometheusText {
    /** Name, labels (quoted values may hold braces: uri="/api/vms/{vm}"), value, and an exemplar if any. */
    private static final Pattern SAMPLE = Pattern.compile(
            "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[^\"}]|\"(?:[^\"\\\\]|\\\\.)*\")*)})?\\s+(\\S+)(?:\\s+#\\s.*)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PrometheusText() {
    }

    /**
     * The value of the sample named {@code name} whose labels include all of {@code labels}; 0 when there is none (a
     * counter not yet registered has counted nothing). Fails when more than one sample matches.
     */
    static double value(String exposition, String name, Map<String, String> labels) {
        Double found = null;
        for (String line : exposition.split("\n")) {
            Matcher sample = SAMPLE.matcher(line.trim());
            if (line.startsWith("#") || !sample.matches() || !sample.group(1).equals(name) || !hasLabels(sample.group(3), labels)) {
                continue;
            }
            if (found != null) {
                throw new AssertionError("more than one sample of " + name + " with " + labels + " in:\n" + exposition);
            }
            found = Double.parseDouble(sample.group(4));
        }
        return found == null ? 0 : found;
    }

    static double value(String exposition, String name) {
        return value(exposition, name, Map.of());
    }

    private static boolean hasLabels(String labelText, Map<String, String> wanted) {
        if (wanted.isEmpty()) {
            return true;
        }
        Map<String, String> present = new java.util.HashMap<>();
        Matcher label = LABEL.matcher(labelText == null ? "" : labelText);
        while (label.find()) {
            present.put(label.group(1), label.group(2));
        }
        return wanted.entrySet().stream().allMatch(entry -> entry.getValue().equals(present.get(entry.getKey())));
    }
}
