package io.failback.system.deploy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a PromQL expression reads, for checking it against docs/metrics.md: its series selectors (metric name and
 * label matchers) and the labels it groups or matches on ({@code by}, {@code without}, {@code on}, {@code ignoring},
 * {@code group_left}, {@code group_right}). Not a parser of the whole language: it finds those pieces and reports
 * brackets and quotes that do not close. Grafana's variables ({@code $namespace}, {@code $__rate_interval}) may stand
 * where PromQL has a value or a duration.
 */
final class PromQl {
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
            "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");
    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan");
    private static final List<String> MATCH_OPERATORS = List.of("=~", "!~", "!=", "=");

    record Matcher(String label, String operator, String value) {
    }

    /** @param metric the metric's name, or null for a selector of matchers only */
    record Selector(String metric, List<Matcher> matchers) {
    }

    record Query(String text, List<Selector> selectors, Set<String> groupingLabels, List<String> problems) {
    }

    private final String text;
    private final List<Selector> selectors = new ArrayList<>();
    private final Set<String> groupingLabels = new LinkedHashSet<>();
    private final List<String> problems = new ArrayList<>();
    private int position;

    private PromQl(String text) {
        this.text = text;
    }

    static Query parse(String text) {
        PromQl parser = new PromQl(text);
        parser.parse();
        return new Query(text, List.copyOf(parser.selectors), Set.copyOf(parser.groupingLabels), List.copyOf(parser.problems));
    }

    private void parse() {
        Deque<Integer> parentheses = new ArrayDeque<>();
        while (position < text.length() && problems.isEmpty()) {
            char c = text.charAt(position);
            if (Character.isWhitespace(c)) {
                position++;
            } else if (c == '"' || c == '\'' || c == '`') {
                readString();
            } else if (c == '[') {
                int end = text.indexOf(']', position);
                if (end < 0) {
                    problems.add("'[' at " + position + " does not close");
                    return;
                }
                position = end + 1;
            } else if (c == '{') {
                selectors.add(new Selector(null, readMatchers()));
            } else if (c == '$') {
                skipVariable();
            } else if (Character.isDigit(c) || c == '.') {
                while (position < text.length() && (Character.isLetterOrDigit(text.charAt(position)) || text.charAt(position) == '.')) {
                    position++;
                }
            } else if (isIdentifierStart(c)) {
                readIdentifier();
            } else if (c == '(') {
                parentheses.push(position++);
            } else if (c == ')') {
                if (parentheses.isEmpty()) {
                    problems.add("')' at " + position + " closes nothing");
                }
                parentheses.poll();
                position++;
            } else if (c == '}' || c == ']') {
                problems.add("'" + c + "' at " + position + " closes nothing");
            } else {
                position++;
            }
        }
        if (problems.isEmpty() && !parentheses.isEmpty()) {
            problems.add("'(' at " + parentheses.peek() + " does not close");
        }
    }

    private void readIdentifier() {
        int start = position;
        while (position < text.length() && (isIdentifierStart(text.charAt(position)) || Character.isDigit(text.charAt(position)))) {
            position++;
        }
        String identifier = text.substring(start, position);
        int next = skipWhitespace(position);
        boolean call = next < text.length() && text.charAt(next) == '(';
        if (GROUPING.contains(identifier)) {
            if (call) {
                position = next;
                readLabelList();
            }
        } else if (AGGREGATIONS.contains(identifier) || KEYWORDS.contains(identifier.toLowerCase(Locale.ROOT)) || call) {
            // an operator or a function: what it applies to follows
        } else if (next < text.length() && text.charAt(next) == '{') {
            position = next;
            selectors.add(new Selector(identifier, readMatchers()));
        } else {
            selectors.add(new Selector(identifier, List.of()));
        }
    }

    private void readLabelList() {
        int end = text.indexOf(')', position);
        if (end < 0) {
            problems.add("the label list at " + position + " does not close");
            position = text.length();
            return;
        }
        for (String label : text.substring(position + 1, end).split(",")) {
            if (!label.isBlank()) {
                groupingLabels.add(label.trim());
            }
        }
        position = end + 1;
    }

    private List<Matcher> readMatchers() {
        int open = position++;
        List<Matcher> matchers = new ArrayList<>();
        while (true) {
            position = skipWhitespace(position);
            if (position >= text.length()) {
                problems.add("'{' at " + open + " does not close");
                return matchers;
            }
            if (text.charAt(position) == '}') {
                position++;
                return matchers;
            }
            int start = position;
            while (position < text.length() && (isIdentifierStart(text.charAt(position)) || Character.isDigit(text.charAt(position)))) {
                position++;
            }
            String label = text.substring(start, position);
            position = skipWhitespace(position);
            String operator = MATCH_OPERATORS.stream().filter(candidate -> text.startsWith(candidate, position)).findFirst().orElse(null);
            if (label.isEmpty() || operator == null) {
                problems.add("no label matcher at " + start + " in the selector at " + open);
                return matchers;
            }
            position = skipWhitespace(position + operator.length());
            if (position >= text.length() || "\"'`".indexOf(text.charAt(position)) < 0) {
                problems.add("label " + label + " at " + start + " is not matched against a string");
                return matchers;
            }
            matchers.add(new Matcher(label, operator, readString()));
            position = skipWhitespace(position);
            if (position < text.length() && text.charAt(position) == ',') {
                position++;
            }
        }
    }

    /** A quoted string from the current position, without its quotes (escapes kept as written). */
    private String readString() {
        char quote = text.charAt(position);
        int start = position + 1;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && quote != '`') {
                i++;
            } else if (c == quote) {
                position = i + 1;
                return text.substring(start, i);
            }
        }
        problems.add("the string at " + (start - 1) + " does not close");
        position = text.length();
        return "";
    }

    private void skipVariable() {
        position++;
        if (position < text.length() && text.charAt(position) == '{') {
            int end = text.indexOf('}', position);
            position = end < 0 ? text.length() : end + 1;
            return;
        }
        while (position < text.length() && (isIdentifierStart(text.charAt(position)) || Character.isDigit(text.charAt(position)))) {
            position++;
        }
    }

    private int skipWhitespace(int from) {
        int i = from;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isIdentifierStart(char c) {
        return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }
}
