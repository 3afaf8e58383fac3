package io.failback.system.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.OAuth2;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.fabric8.openshift.api.model.monitoring.v1.RuleGroup;
import io.fabric8.openshift.api.model.monitoring.v1.SafeAuthorization;
import io.fabric8.openshift.api.model.monitoring.v1.SafeTLSConfig;
import io.fabric8.openshift.api.model.monitoring.v1.SecretOrConfigMap;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.TLSConfig;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The monitoring component (deploy/components/monitoring) as the Prometheus operator and Grafana will read it: every
 * service scraped once, where and how it serves /q/metrics; Prometheus let through the network policies to exactly
 * those ports; the alerts issue #15 asks for; a dashboard Grafana can load; and every query of the alerts and the
 * dashboard reading only metrics, series and labels that docs/metrics.md lists ({@link MetricCatalog}).
 */
class MonitoringTest {
    static final String METRICS_PATH = "/q/metrics";
    /** Alerts issue #15 asks for, and the one that says the others cannot fire. */
    static final List<String> ALERTS = List.of("FailbackHostDisconnected", "FailbackJobStuck", "FailbackRpoOverThreshold",
            "FailbackDeadLetters", "FailbackOutboxStale", "FailbackScrapeFailing");
    static final Set<String> SEVERITIES = Set.of("critical", "warning");
    static final Path DASHBOARD_FILE = Path.of("deploy", "components", "monitoring", "failback-dashboard.json");
    static final String SIDECAR_LABEL = "grafana_dashboard";
    /** Where the component's NetworkPolicy expects Prometheus: deploy/README.md tells what to patch for another. */
    static final TrafficRules.Pod PROMETHEUS = new TrafficRules.Pod("Prometheus", "monitoring",
            Map.of("kubernetes.io/metadata.name", "monitoring"), Map.of("app.kubernetes.io/name", "prometheus"), List.of());
    private static final MetricCatalog CATALOG = MetricCatalog.read(Deploy.PROJECT.root().resolve("docs/metrics.md"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");
    private static final String NAMESPACE_FILTER = "$namespace";

    /** One scrape: a workload's pods on a port, through a ServiceMonitor's endpoint or a PodMonitor's. */
    record Scrape(String monitor, Workload workload, int port, String scheme, String path, String job, Tls tls,
            boolean authenticated, List<String> secrets, Optional<Service> service) {
    }

    /** What a scrape's TLS checks: the CA's Secret (null when the CA is not from a Secret) and the name it expects. */
    record Tls(String caSecret, String serverName, boolean skipsVerification) {
        static Tls of(SecretOrConfigMap ca, String serverName, Boolean insecureSkipVerify) {
            return new Tls(ca == null || ca.getSecret() == null ? null : ca.getSecret().getName(), serverName, Boolean.TRUE.equals(insecureSkipVerify));
        }
    }

    /** For {@code @MethodSource}: every overlay with a ServiceMonitor or a PodMonitor. */
    static Stream<String> monitoredOverlays() {
        return Deploy.overlays().filter(overlay -> !Deploy.overlay(overlay).all(ServiceMonitor.class).isEmpty()
                || !Deploy.overlay(overlay).all(PodMonitor.class).isEmpty());
    }

    @Test
    void theOperatorsOverlayIsMonitored() {
        assertTrue(monitoredOverlays().toList().contains("operators"), "operators has no ServiceMonitor or PodMonitor");
        RenderedOverlay operators = Deploy.overlay("operators");
        assertFalse(operators.all(PrometheusRule.class).isEmpty(), "operators has no PrometheusRule");
        assertFalse(dashboards(operators).isEmpty(), "operators has no ConfigMap labelled " + SIDECAR_LABEL);
    }

    /**
     * Each service's pods are scraped by exactly one monitor (two would double every series), on the port where the
     * service serves /q/metrics, with its scheme: a ServiceMonitor where a Service selects them, a PodMonitor where
     * none does (sync-service).
     */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void everyServiceIsScrapedOnceWhereItServesItsMetrics(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        List<Scrape> scrapes = scrapes(rendered, problems);
        for (Workload workload : rendered.workloads()) {
            for (Container container : workload.containers()) {
                String module = Workload.moduleOf(container);
                if (module == null) {
                    continue;
                }
                Listener listener = Listener.of(rendered, container, module);
                List<Scrape> ofWorkload = scrapes.stream().filter(scrape -> scrape.workload().equals(workload)).toList();
                if (ofWorkload.size() != 1) {
                    problems.add(workload + " is scraped " + ofWorkload.size() + " times: " + ofWorkload.stream().map(Scrape::monitor).toList());
                    continue;
                }
                Scrape scrape = ofWorkload.get(0);
                if (scrape.port() != listener.port() || !scrape.scheme().equalsIgnoreCase(listener.scheme())) {
                    problems.add(scrape.monitor() + " scrapes " + workload + " on " + scrape.scheme() + " " + scrape.port()
                            + ", where it serves " + listener.scheme() + " " + listener.port());
                }
                if (!METRICS_PATH.equals(scrape.path())) {
                    problems.add(scrape.monitor() + " scrapes " + workload + " on " + scrape.path() + ", not " + METRICS_PATH);
                }
                boolean hasService = rendered.all(Service.class).stream()
                        .anyMatch(service -> Selectors.matches(service.getSpec().getSelector(), workload.podLabels()));
                if (hasService != scrape.service().isPresent()) {
                    problems.add(scrape.monitor() + " scrapes " + workload + (hasService ? " past the Service that selects it" : " through a Service"));
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * A service whose /q/metrics asks for a token (a {@code quarkus.http.auth.permission} on the path) is scraped with
     * credentials, over HTTPS checked against the CA of the certificate its pods serve, under a name of its Service.
     */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void aServiceWhoseMetricsAskForATokenIsScrapedWithOneOverVerifiedTls(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        List<String> checked = new ArrayList<>();
        for (Scrape scrape : scrapes(rendered, problems)) {
            String module = scrape.workload().containers().stream().map(Workload::moduleOf).filter(Objects::nonNull).findFirst().orElseThrow();
            if (!metricsAskForAToken(module)) {
                continue;
            }
            checked.add(module);
            if (!scrape.authenticated()) {
                problems.add(scrape.monitor() + ": " + module + "'s " + METRICS_PATH + " asks for a token, the scrape sends none");
            }
            if (!scrape.scheme().equalsIgnoreCase("https")) {
                problems.add(scrape.monitor() + ": sends its credentials to " + module + " over " + scrape.scheme());
                continue;
            }
            Tls tls = scrape.tls() == null ? new Tls(null, null, false) : scrape.tls();
            Set<String> mounted = new TreeSet<>();
            Objects.requireNonNullElse(scrape.workload().template().getSpec().getVolumes(), List.<Volume>of()).stream()
                    .filter(volume -> volume.getSecret() != null).forEach(volume -> mounted.add(volume.getSecret().getSecretName()));
            String ca = tls.caSecret();
            if (ca == null || !mounted.contains(ca) || tls.skipsVerification()) {
                problems.add(scrape.monitor() + ": does not check " + module + "'s certificate against the CA in the Secret its pods serve"
                        + " (" + mounted + "), but " + ca);
            }
            Set<String> names = scrape.service().map(service -> serviceNames(service, rendered)).orElse(Set.of());
            if (!names.contains(tls.serverName())) {
                problems.add(scrape.monitor() + ": checks the certificate for " + tls.serverName()
                        + ", not one of the Service's names " + names);
            }
        }
        if (checked.isEmpty()) {
            problems.add("no scraped service asks for a token on " + METRICS_PATH + " (job-service does)");
        }
        Deploy.assertNone(overlay, problems);
    }

    /**
     * The scrapes' credentials and CA come from Secrets made in the cluster, never from git, and deploy/README.md says
     * how to make each.
     */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void theScrapesSecretsAreNotInGitAndTheReadmeSaysHowToMakeThem(String overlay) throws IOException {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        String readme = Files.readString(Deploy.PROJECT.deploy().resolve("README.md"));
        List<String> problems = new ArrayList<>();
        for (Scrape scrape : scrapes(rendered, problems)) {
            for (String secret : scrape.secrets()) {
                if (rendered.named(Secret.class, secret).isPresent()) {
                    problems.add(scrape.monitor() + " reads Secret " + secret + ", which is in git");
                }
                if (!readme.contains("`" + secret + "`")) {
                    problems.add(scrape.monitor() + " reads Secret " + secret + ", which deploy/README.md does not name");
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** Prometheus gets through the default deny to every port it scrapes, and to no other port of the namespace. */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void prometheusReachesExactlyThePortsItScrapes(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        TrafficRules rules = new TrafficRules(rendered);
        List<String> problems = new ArrayList<>();
        List<Scrape> scrapes = scrapes(rendered, problems);
        for (Scrape scrape : scrapes) {
            if (!rules.allows(PROMETHEUS, rules.pod(scrape.workload()), TrafficRules.TCP, scrape.port())) {
                problems.add(PROMETHEUS + " in namespace " + PROMETHEUS.namespace() + " cannot reach " + scrape.workload() + ":" + scrape.port());
            }
        }
        for (Workload workload : rendered.workloadsAndOperands()) {
            for (Container container : workload.containers()) {
                for (ContainerPort port : Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of())) {
                    int number = port.getContainerPort();
                    boolean scraped = scrapes.stream().anyMatch(scrape -> scrape.workload().equals(workload) && scrape.port() == number);
                    boolean openToAll = rules.allows(new TrafficRules.Outside(), rules.pod(workload), TrafficRules.TCP, number)
                            || rendered.operands.openPorts.stream().anyMatch(open -> open.workload().equals(workload) && open.port() == number);
                    if (!scraped && !openToAll && rules.allows(PROMETHEUS, rules.pod(workload), TrafficRules.TCP, number)) {
                        problems.add(PROMETHEUS + " may reach " + workload + ":" + number + ", which it does not scrape");
                    }
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** The alerts issue #15 asks for, each with a severity to route it by and a summary and description to act on. */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void theAlertsAreThereWithSeverityForAndAnnotations(String overlay) {
        List<String> problems = new ArrayList<>();
        Map<String, Rule> alerts = alerts(Deploy.overlay(overlay));
        if (!alerts.keySet().equals(new LinkedHashSet<>(ALERTS))) {
            problems.add("alerts " + alerts.keySet() + ", expected " + ALERTS);
        }
        alerts.forEach((name, rule) -> {
            Map<String, String> labels = Objects.requireNonNullElse(rule.getLabels(), Map.of());
            Map<String, String> annotations = Objects.requireNonNullElse(rule.getAnnotations(), Map.of());
            if (!SEVERITIES.contains(labels.get("severity"))) {
                problems.add(name + ": severity " + labels.get("severity") + ", not one of " + SEVERITIES);
            }
            for (String annotation : List.of("summary", "description")) {
                if (annotations.getOrDefault(annotation, "").isBlank()) {
                    problems.add(name + ": no " + annotation);
                }
            }
            if (rule.getExpr() == null || rule.getExpr().getStrVal() == null || rule.getExpr().getStrVal().isBlank()) {
                problems.add(name + ": no expression");
            }
        });
        Deploy.assertNone(overlay, problems);
    }

    /** A metric renamed in the services and docs/metrics.md but not in the alerts fails here. */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void everyAlertReadsOnlyWhatDocsMetricsMdLists(String overlay) {
        List<String> problems = new ArrayList<>();
        alerts(Deploy.overlay(overlay)).forEach((name, rule) -> CATALOG.problems(PromQl.parse(rule.getExpr().getStrVal()))
                .forEach(problem -> problems.add(name + ": " + problem)));
        Deploy.assertNone(overlay, problems);
    }

    /**
     * The dashboard Grafana loads is the file one imports by hand, valid JSON with a uid and title, a data source and
     * namespace variable, and every panel a query that reads only what docs/metrics.md lists, in the chosen namespace.
     */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void theDashboardQueriesOnlyWhatDocsMetricsMdListsInTheChosenNamespace(String overlay) throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, String> dashboards = dashboards(Deploy.overlay(overlay));
        String file = Files.readString(Deploy.PROJECT.root().resolve(DASHBOARD_FILE));
        if (!dashboards.containsValue(file)) {
            problems.add("no ConfigMap labelled " + SIDECAR_LABEL + " holds " + DASHBOARD_FILE + ": " + dashboards.keySet());
        }
        dashboards.forEach((key, json) -> problems.addAll(dashboardProblems(key, json)));
        Deploy.assertNone(overlay, problems);
    }

    /** The jobs the queries name are the jobs the monitors make: a job renamed in one place fails. */
    @ParameterizedTest
    @MethodSource("monitoredOverlays")
    void theJobsTheQueriesNameAreTheJobsTheMonitorsMake(String overlay) {
        RenderedOverlay rendered = Deploy.overlay(overlay);
        List<String> problems = new ArrayList<>();
        Set<String> jobs = new TreeSet<>();
        scrapes(rendered, problems).forEach(scrape -> jobs.add(scrape.job()));
        List<PromQl.Query> queries = new ArrayList<>();
        alerts(rendered).values().forEach(rule -> queries.add(PromQl.parse(rule.getExpr().getStrVal())));
        dashboards(rendered).values().forEach(json -> queries.addAll(dashboardQueries(readJson(json))));
        for (PromQl.Query query : queries) {
            for (PromQl.Selector selector : query.selectors()) {
                for (PromQl.Matcher matcher : selector.matchers()) {
                    if (!matcher.label().equals("job")) {
                        continue;
                    }
                    List<String> named = matcher.operator().endsWith("~") ? List.of(matcher.value().split("\\|")) : List.of(matcher.value());
                    named.stream().filter(job -> !jobs.contains(job))
                            .forEach(job -> problems.add(query.text() + " names job " + job + ", the monitors make " + jobs));
                }
            }
        }
        Deploy.assertNone(overlay, problems);
    }

    /** The checks above can fail: the catalog rejects what docs/metrics.md does not list. */
    @Test
    void theCatalogRejectsNamesSeriesAndLabelsThatDocsMetricsMdDoesNotList() {
        Map<String, String> wrong = new LinkedHashMap<>();
        wrong.put("max(failback_jobs_total)", "failback_jobs_total is not a series");
        wrong.put("histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket[5m])))", "http_server_requests_seconds_bucket is not a series");
        wrong.put("max(failback_job_duration_seconds)", "failback_job_duration_seconds is not a series");
        wrong.put("max(failback_jobs{status=\"InProgress\"})", "failback_jobs has no label status");
        wrong.put("max by (task) (failback_jobs)", "groups by task");
        wrong.put("sum(failback_outbox_messages)", "sums failback_outbox_messages");
        wrong.put("sum by (task) (rate(failback_blockstream_sent_bytes_total[5m])", "does not close");
        wrong.put("{__name__=\"failback_jobs\"}", "a selector without a metric name");
        wrong.forEach((query, expected) -> {
            List<String> problems = CATALOG.problems(PromQl.parse(query));
            assertTrue(problems.stream().anyMatch(problem -> problem.contains(expected)), query + ": " + problems);
        });
        List<String> right = List.of(
                "histogram_quantile(0.95, sum by (scenario, le) (rate(failback_job_duration_seconds_bucket{namespace=~\"$namespace\"}[$__rate_interval])))",
                "max by (namespace, provider) (failback_provider_heartbeat_age_seconds) > 30",
                "sum by (task) (rate(failback_blockstream_covered_bytes_total{task=\"DataSynchronization\"}[5m]))",
                "sum by (job, uri) (rate(http_server_requests_seconds_sum[5m])) / sum by (job, uri) (rate(http_server_requests_seconds_count[5m]))",
                "sum by (pod) (jvm_memory_used_bytes{area=\"heap\"})",
                "up{job=\"job-service\"} == 0");
        for (String query : right) {
            assertEquals(List.of(), CATALOG.problems(PromQl.parse(query)), query);
        }
    }

    @Test
    void theCatalogHasEveryTableOfDocsMetricsMd() {
        MetricCatalog.Metric jobs = CATALOG.metrics.get("failback_jobs");
        assertEquals(Set.of("scenario", "state"), jobs == null ? null : jobs.tags(), "failback_jobs");
        assertTrue(jobs.isGaugeOfEveryJobServiceReplica(), "failback_jobs: " + jobs);
        assertEquals("histogram", CATALOG.metrics.get("failback_job_duration_seconds").type());
        assertEquals("timer", CATALOG.metrics.get("http_server_requests_seconds").type());
        assertTrue(CATALOG.metrics.containsKey("failback_copies_waiting"), "the second of several names in a cell");
        assertTrue(CATALOG.resolve("jvm_gc_pause_seconds_sum").isPresent(), "a prefix");
    }

    private static List<String> dashboardProblems(String key, String text) {
        List<String> problems = new ArrayList<>();
        JsonNode dashboard;
        try {
            dashboard = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return List.of(key + " is not JSON: " + e.getOriginalMessage());
        }
        for (String field : List.of("uid", "title")) {
            if (dashboard.path(field).asText().isBlank()) {
                problems.add(key + ": no " + field);
            }
        }
        if (dashboard.path("schemaVersion").asInt() < 36) {
            problems.add(key + ": schemaVersion " + dashboard.path("schemaVersion") + ", older than Grafana 9's 36");
        }
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        dashboard.path("templating").path("list").forEach(variable -> variables.put(variable.path("name").asText(), variable));
        if (!variables.containsKey("datasource") || !variables.get("datasource").path("type").asText().equals("datasource")
                || !variables.get("datasource").path("query").asText().equals("prometheus")) {
            problems.add(key + ": no variable 'datasource' of Prometheus data sources");
        }
        if (!variables.containsKey("namespace")) {
            problems.add(key + ": no variable 'namespace'");
        }
        Set<Integer> ids = new LinkedHashSet<>();
        for (JsonNode panel : panels(dashboard)) {
            String title = key + " panel '" + panel.path("title").asText() + "'";
            if (!ids.add(panel.path("id").asInt())) {
                problems.add(title + ": id " + panel.path("id") + " is taken");
            }
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            if (!panel.path("gridPos").has("w") || !panel.path("gridPos").has("h")) {
                problems.add(title + ": no gridPos");
            }
            List<JsonNode> targets = new ArrayList<>();
            panel.path("targets").forEach(targets::add);
            if (targets.isEmpty()) {
                problems.add(title + ": no query");
            }
            for (JsonNode target : targets) {
                String expr = target.path("expr").asText();
                if (expr.isBlank()) {
                    problems.add(title + ": query " + target.path("refId").asText() + " is empty");
                    continue;
                }
                if (!"${datasource}".equals(target.path("datasource").path("uid").asText(panel.path("datasource").path("uid").asText()))) {
                    problems.add(title + ": does not query the chosen data source ${datasource}");
                }
                PromQl.Query query = PromQl.parse(expr);
                CATALOG.problems(query).forEach(problem -> problems.add(title + ": " + problem));
                for (PromQl.Selector selector : query.selectors()) {
                    boolean inNamespace = selector.matchers().stream().anyMatch(matcher -> matcher.label().equals("namespace")
                            && matcher.operator().startsWith("=") && matcher.value().equals(NAMESPACE_FILTER));
                    if (!inNamespace) {
                        problems.add(title + ": " + selector.metric() + " is not read in the chosen namespace (namespace=~\"" + NAMESPACE_FILTER + "\")");
                    }
                }
            }
        }
        variables.values().forEach(variable -> variableQueries(variable).forEach(query ->
                CATALOG.problems(query).forEach(problem -> problems.add(key + " variable " + variable.path("name").asText() + ": " + problem))));
        return problems;
    }

    /** Every panel's and every variable's query. */
    private static List<PromQl.Query> dashboardQueries(JsonNode dashboard) {
        List<PromQl.Query> queries = new ArrayList<>();
        panels(dashboard).forEach(panel -> panel.path("targets").forEach(target -> queries.add(PromQl.parse(target.path("expr").asText()))));
        dashboard.path("templating").path("list").forEach(variable -> queries.addAll(variableQueries(variable)));
        return queries;
    }

    /** Grafana's label_values(selector, label) is no PromQL: its selector is. */
    private static List<PromQl.Query> variableQueries(JsonNode variable) {
        if (!variable.path("type").asText().equals("query")) {
            return List.of();
        }
        String text = variable.path("query").isObject() ? variable.path("query").path("query").asText() : variable.path("query").asText();
        Matcher labelValues = LABEL_VALUES.matcher(text.strip());
        return List.of(PromQl.parse(labelValues.matches() ? labelValues.group(1) : text));
    }

    /** The panels, those inside collapsed rows too. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        });
        return panels;
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The data of every ConfigMap Grafana's sidecar loads, by ConfigMap and key. */
    private static Map<String, String> dashboards(RenderedOverlay rendered) {
        Map<String, String> dashboards = new LinkedHashMap<>();
        for (ConfigMap configMap : rendered.all(ConfigMap.class)) {
            if ("1".equals(Objects.requireNonNullElse(configMap.getMetadata().getLabels(), Map.<String, String>of()).get(SIDECAR_LABEL))) {
                Objects.requireNonNullElse(configMap.getData(), Map.<String, String>of())
                        .forEach((key, json) -> dashboards.put("ConfigMap " + configMap.getMetadata().getName() + " " + key, json));
            }
        }
        return dashboards;
    }

    private static Map<String, Rule> alerts(RenderedOverlay rendered) {
        Map<String, Rule> alerts = new LinkedHashMap<>();
        for (PrometheusRule rules : rendered.all(PrometheusRule.class)) {
            for (RuleGroup group : rules.getSpec().getGroups()) {
                group.getRules().stream().filter(rule -> rule.getAlert() != null).forEach(rule -> alerts.put(rule.getAlert(), rule));
            }
        }
        return alerts;
    }

    /** What the monitors make Prometheus scrape, resolved to the render's workloads and their containers' ports. */
    static List<Scrape> scrapes(RenderedOverlay rendered, List<String> problems) {
        List<Scrape> scrapes = new ArrayList<>();
        String namespace = rendered.namespace().getMetadata().getName();
        for (ServiceMonitor monitor : rendered.all(ServiceMonitor.class)) {
            String name = "ServiceMonitor/" + monitor.getMetadata().getName();
            requireOwnNamespace(name, monitor.getSpec().getNamespaceSelector(), problems);
            List<Service> services = rendered.all(Service.class).stream()
                    .filter(service -> matches(monitor.getSpec().getSelector(), service.getMetadata().getLabels())).toList();
            if (services.isEmpty()) {
                problems.add(name + " selects no Service");
            }
            for (Service service : services) {
                String jobLabel = monitor.getSpec().getJobLabel();
                String job = jobLabel != null && labels(service.getMetadata().getLabels()).containsKey(jobLabel)
                        ? service.getMetadata().getLabels().get(jobLabel) : service.getMetadata().getName();
                List<Workload> behind = rendered.workloads().stream()
                        .filter(workload -> Selectors.matches(service.getSpec().getSelector(), workload.podLabels())).toList();
                for (Endpoint endpoint : monitor.getSpec().getEndpoints()) {
                    Optional<ServicePort> port = service.getSpec().getPorts().stream().filter(candidate -> Objects.equals(candidate.getName(), endpoint.getPort())).findFirst();
                    if (port.isEmpty()) {
                        problems.add(name + ": Service " + service.getMetadata().getName() + " has no port named " + endpoint.getPort());
                        continue;
                    }
                    IntOrString target = port.get().getTargetPort() != null ? port.get().getTargetPort() : new IntOrString(port.get().getPort());
                    for (Workload workload : behind) {
                        OptionalInt number = RenderedOverlay.resolvePort(target, workload.containers());
                        if (number.isEmpty()) {
                            problems.add(name + ": " + workload + " has no port " + target.getValue());
                            continue;
                        }
                        TLSConfig tls = endpoint.getTlsConfig();
                        scrapes.add(new Scrape(name, workload, number.getAsInt(), Objects.requireNonNullElse(endpoint.getScheme(), "http"),
                                endpoint.getPath(), job, tls == null ? null : Tls.of(tls.getCa(), tls.getServerName(), tls.getInsecureSkipVerify()),
                                endpoint.getOauth2() != null || endpoint.getAuthorization() != null || endpoint.getBearerTokenSecret() != null,
                                secrets(tls == null ? List.of() : List.of(Optional.ofNullable(tls.getCa()), Optional.ofNullable(tls.getCert())),
                                        tls == null ? null : tls.getKeySecret(), endpoint.getOauth2(), endpoint.getAuthorization(), endpoint.getBearerTokenSecret()),
                                Optional.of(service)));
                    }
                }
            }
        }
        for (PodMonitor monitor : rendered.all(PodMonitor.class)) {
            String name = "PodMonitor/" + monitor.getMetadata().getName();
            requireOwnNamespace(name, monitor.getSpec().getNamespaceSelector(), problems);
            List<Workload> selected = rendered.workloads().stream().filter(workload -> matches(monitor.getSpec().getSelector(), workload.podLabels())).toList();
            if (selected.isEmpty()) {
                problems.add(name + " selects no pods");
            }
            for (Workload workload : selected) {
                String jobLabel = monitor.getSpec().getJobLabel();
                String job = jobLabel != null && workload.podLabels().containsKey(jobLabel) ? workload.podLabels().get(jobLabel)
                        : namespace + "/" + monitor.getMetadata().getName();
                for (PodMetricsEndpoint endpoint : monitor.getSpec().getPodMetricsEndpoints()) {
                    OptionalInt number = endpoint.getPortNumber() != null ? OptionalInt.of(endpoint.getPortNumber())
                            : RenderedOverlay.resolvePort(new IntOrString(endpoint.getPort()), workload.containers());
                    if (number.isEmpty()) {
                        problems.add(name + ": " + workload + " has no port named " + endpoint.getPort());
                        continue;
                    }
                    SafeTLSConfig tls = endpoint.getTlsConfig();
                    scrapes.add(new Scrape(name, workload, number.getAsInt(), Objects.requireNonNullElse(endpoint.getScheme(), "http"),
                            endpoint.getPath(), job, tls == null ? null : Tls.of(tls.getCa(), tls.getServerName(), tls.getInsecureSkipVerify()),
                            endpoint.getOauth2() != null || endpoint.getAuthorization() != null || endpoint.getBearerTokenSecret() != null,
                            secrets(tls == null ? List.of() : List.of(Optional.ofNullable(tls.getCa()), Optional.ofNullable(tls.getCert())),
                                    tls == null ? null : tls.getKeySecret(), endpoint.getOauth2(), endpoint.getAuthorization(), endpoint.getBearerTokenSecret()),
                            Optional.empty()));
                }
            }
        }
        return scrapes;
    }

    /** Without a namespaceSelector a monitor looks in its own namespace only, which the overlay sets. */
    private static void requireOwnNamespace(String monitor, Object namespaceSelector, List<String> problems) {
        if (namespaceSelector != null) {
            problems.add(monitor + " looks in other namespaces: " + namespaceSelector);
        }
    }

    /** A monitor's selector: an empty one would scrape everything in the namespace, the operators' pods too. */
    private static boolean matches(LabelSelector selector, Map<String, String> labels) {
        return !Selectors.isEmpty(selector) && Selectors.matches(selector, labels(labels));
    }

    private static Map<String, String> labels(Map<String, String> labels) {
        return Objects.requireNonNullElse(labels, Map.of());
    }

    /** Every Secret a scrape reads: its TLS's CA, certificate and key, and its credentials. */
    private static List<String> secrets(List<Optional<SecretOrConfigMap>> tlsSources, SecretKeySelector tlsKey, OAuth2 oauth2,
            SafeAuthorization authorization, SecretKeySelector bearerToken) {
        List<String> secrets = new ArrayList<>();
        tlsSources.forEach(source -> source.ifPresent(present -> secret(present, secrets)));
        if (tlsKey != null) {
            secrets.add(tlsKey.getName());
        }
        if (oauth2 != null) {
            secret(oauth2.getClientId(), secrets);
            if (oauth2.getClientSecret() != null) {
                secrets.add(oauth2.getClientSecret().getName());
            }
        }
        if (authorization != null && authorization.getCredentials() != null) {
            secrets.add(authorization.getCredentials().getName());
        }
        if (bearerToken != null) {
            secrets.add(bearerToken.getName());
        }
        return secrets.stream().distinct().toList();
    }

    private static void secret(SecretOrConfigMap source, List<String> secrets) {
        if (source != null && source.getSecret() != null) {
            secrets.add(source.getSecret().getName());
        }
    }

    /** The names a Service answers to in the cluster's DNS. */
    private static Set<String> serviceNames(Service service, RenderedOverlay rendered) {
        String name = service.getMetadata().getName();
        String namespace = rendered.namespace().getMetadata().getName();
        return Set.of(name, name + "." + namespace, name + "." + namespace + ".svc", name + "." + namespace + ".svc.cluster.local");
    }

    /**
     * Whether a service's /q/metrics asks for credentials: a {@code quarkus.http.auth.permission.<name>.paths} that
     * covers it with a policy other than {@code permit} (profile-specific keys aside: the manifests run the prod profile).
     */
    static boolean metricsAskForAToken(String module) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Deploy.PROJECT.root().resolve(module).resolve("src/main/resources/application.properties"))) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Pattern paths = Pattern.compile("quarkus\\.http\\.auth\\.permission\\.([^.]+)\\.paths");
        for (String key : properties.stringPropertyNames()) {
            Matcher matcher = paths.matcher(key);
            if (matcher.matches() && Stream.of(properties.getProperty(key).split(",")).map(String::strip).anyMatch(METRICS_PATH::equals)
                    && !"permit".equals(properties.getProperty("quarkus.http.auth.permission." + matcher.group(1) + ".policy"))) {
                return true;
            }
        }
        return false;
    }
}
