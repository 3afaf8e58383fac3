package io.failback.system.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metrics the services serve, as docs/metrics.md lists them: its tables' rows, each with the names as scraped
 * (or a prefix such as {@code jvm_*}), a type, tags and the service serving it. A query may read a listed name, the
 * series a histogram or timer is served as ({@code _bucket} for histograms only, {@code _count}, {@code _sum},
 * {@code _max}), Prometheus's own {@code up}, with the listed tags and the labels Prometheus gives every target. So a
 * metric renamed in the code and in the doc, but not in the dashboard or the alerts, fails the build.
 */
final class MetricCatalog {
    /** The labels the Prometheus operator gives every scraped series, besides the metric's own tags. */
    static final Set<String> TARGET_LABELS = Set.of("namespace", "pod", "job", "instance", "service", "container", "endpoint");
    /** Prometheus's own series for each target: 1 when the scrape worked. */
    static final String UP = "up";
    private static final String BUCKET = "_bucket";
    private static final Map<String, List<String>> SUFFIXES_BY_TYPE = Map.of(
            "histogram", List.of(BUCKET, "_count", "_sum", "_max"),
            "timer", List.of("_count", "_sum", "_max"));
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]*\\*?");
    private static final Pattern TAG = Pattern.compile("[a-z_]+");
    private static final Pattern SUMMED = Pattern.compile("\\bsum\\s*(?:(?:by|without)\\s*\\([^)]*\\)\\s*)?\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");

    /**
     * @param name     as scraped, or a prefix when {@code prefix}
     * @param type     counter, gauge, histogram, timer, or empty where the doc does not say
     * @param servedBy the services the doc names, as written
     */
    record Metric(String name, boolean prefix, String type, Set<String> tags, String servedBy) {
        boolean isGaugeOfEveryJobServiceReplica() {
            return type.equals("gauge") && servedBy.equals("job-service");
        }
    }

    /** A series name resolved to the metric it belongs to. */
    record Series(Metric metric, String suffix) {
    }

    final Path source;
    final Map<String, Metric> metrics;

    private MetricCatalog(Path source, Map<String, Metric> metrics) {
        this.source = source;
        this.metrics = metrics;
    }

    static MetricCatalog read(Path doc) {
        List<String> lines;
        try {
            lines = Files.readAllLines(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Metric> metrics = new LinkedHashMap<>();
        List<String> header = null;
        for (String line : lines) {
            if (!line.startsWith("|")) {
                header = null;
                continue;
            }
            List<String> cells = cells(line);
            if (header == null) {
                header = cells.stream().map(cell -> cell.toLowerCase(Locale.ROOT)).toList();
                continue;
            }
            if (!header.get(0).equals("metric") || cells.get(0).startsWith("---")) {
                continue;
            }
            String type = cell(cells, header, "type").toLowerCase(Locale.ROOT).replaceAll("s$", "");
            Set<String> tags = new LinkedHashSet<>();
            codes(cell(cells, header, "tags")).stream().filter(tag -> TAG.matcher(tag).matches()).forEach(tags::add);
            String servedBy = cell(cells, header, "served by");
            for (String name : codes(cells.get(0))) {
                if (NAME.matcher(name).matches()) {
                    boolean prefix = name.endsWith("*");
                    String key = prefix ? name.substring(0, name.length() - 1) : name;
                    metrics.put(key, new Metric(key, prefix, type, Set.copyOf(tags), servedBy));
                }
            }
        }
        metrics.put(UP, new Metric(UP, false, "gauge", Set.of(), "Prometheus"));
        return new MetricCatalog(doc, Map.copyOf(metrics));
    }

    Optional<Series> resolve(String seriesName) {
        Metric exact = metrics.get(seriesName);
        if (exact != null && !exact.prefix() && !SUFFIXES_BY_TYPE.containsKey(exact.type())) {
            return Optional.of(new Series(exact, ""));
        }
        for (Metric metric : metrics.values()) {
            if (metric.prefix() && seriesName.startsWith(metric.name())) {
                return Optional.of(new Series(metric, ""));
            }
            for (String suffix : SUFFIXES_BY_TYPE.getOrDefault(metric.type(), List.of())) {
                if (seriesName.equals(metric.name() + suffix)) {
                    return Optional.of(new Series(metric, suffix));
                }
            }
        }
        return Optional.empty();
    }

    /** What in the query docs/metrics.md does not list: names, labels, and job-service's shared gauges summed. */
    List<String> problems(PromQl.Query query) {
        List<String> problems = new ArrayList<>(query.problems());
        Set<String> known = new LinkedHashSet<>(TARGET_LABELS);
        boolean anyLabel = false;
        for (PromQl.Selector selector : query.selectors()) {
            if (selector.metric() == null) {
                problems.add("a selector without a metric name: " + selector.matchers());
                continue;
            }
            Optional<Series> series = resolve(selector.metric());
            if (series.isEmpty()) {
                problems.add(selector.metric() + " is not a series of a metric in " + source.getFileName());
                continue;
            }
            Metric metric = series.get().metric();
            Set<String> labels = new LinkedHashSet<>(TARGET_LABELS);
            labels.addAll(metric.tags());
            if (series.get().suffix().equals(BUCKET)) {
                labels.add("le");
            }
            known.addAll(labels);
            anyLabel |= metric.prefix();
            for (PromQl.Matcher matcher : selector.matchers()) {
                if (!metric.prefix() && !labels.contains(matcher.label())) {
                    problems.add(selector.metric() + " has no label " + matcher.label() + " (its tags: " + metric.tags() + ")");
                }
            }
        }
        if (!anyLabel) {
            query.groupingLabels().stream().filter(label -> !known.contains(label))
                    .forEach(label -> problems.add("groups by " + label + ", which none of its metrics has"));
        }
        Matcher summed = SUMMED.matcher(query.text());
        while (summed.find()) {
            Metric metric = metrics.get(summed.group(1));
            if (metric != null && metric.isGaugeOfEveryJobServiceReplica()) {
                problems.add("sums " + metric.name() + ", which every job-service replica reports alike: take the max");
            }
        }
        return problems;
    }

    private static List<String> cells(String line) {
        String inner = line.strip();
        inner = inner.substring(1, inner.endsWith("|") ? inner.length() - 1 : inner.length());
        return List.of(inner.split("\\|", -1)).stream().map(String::strip).toList();
    }

    private static String cell(List<String> cells, List<String> header, String column) {
        int index = header.indexOf(column);
        return index < 0 || index >= cells.size() ? "" : cells.get(index);
    }

    private static List<String> codes(String cell) {
        List<String> codes = new ArrayList<>();
        Matcher matcher = CODE.matcher(cell);
        while (matcher.find()) {
            codes.add(matcher.group(1));
        }
        return codes;
    }
}
