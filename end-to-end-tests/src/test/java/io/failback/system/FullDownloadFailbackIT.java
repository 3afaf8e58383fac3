package io.failback.system;

import io.failback.testing.ReferenceDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.security.LocalIssuer;
import io.failback.system.security.TokenRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The walking skeleton, end to end on real processes: a Kafka broker, PostgreSQL, azure-sim, one host-agent,
 * sync-service and job-service. A failback triggered over the API (HTTPS, with a token) must leave the on-premises disk byte-identical to the
 * Azure disk, proven here by hashing both image files directly, not by asking the services.
 */
class FullDownloadFailbackIT {
    private static final long DISK_BYTES = 24L << 20;
    /**
     * Where sync-service exports its spans over OTLP; the other services export none (no endpoint: the default). All
     * four trace (OTEL_SDK_DISABLED=false, as in the Kubernetes manifests) and log JSON lines.
     */
    private static final SpanCollector spans = new SpanCollector();
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("full-download", system -> system
            .environment("job-service", "FAILBACK_LOG_JSON", "true")
            .environment("job-service", "OTEL_SDK_DISABLED", "false")
            .environment("sync-service", "FAILBACK_LOG_JSON", "true")
            .environment("sync-service", "OTEL_SDK_DISABLED", "false")
            .environment("sync-service", "OTEL_EXPORTER_OTLP_ENDPOINT", spans.endpoint().toString())
            .environment("sync-service", "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
            .environment("sync-service", "QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms")
            .environment("azure-sim", "FAILBACK_LOG_JSON", "true")
            .environment("azure-sim", "OTEL_SDK_DISABLED", "false")
            .environment("host-agent-host-a", "FAILBACK_LOG_JSON", "true")
            .environment("host-agent-host-a", "OTEL_SDK_DISABLED", "false"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void failbackWithFullDownloadCreatesTheOnPremisesVmWithTheAzureDiskBytes() throws Exception {
        HostAgent host = system.hosts().get(0);
        api.createAzureVm("vm-e2e", DISK_BYTES, 20261126L);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure("vm-e2e", host.id(), host.virtualSwitches().get(0));

        String jobName = api.failbackWithFullDownload("vm-e2e", "CreateVmIfNotFound");
        List<String> statesSeen = new ArrayList<>();
        JsonNode job = api.awaitJobEnd(jobName, Duration.ofSeconds(120),
                update -> statesSeen.add(update.path("properties").path("state").asText()));

        JsonNode properties = job.path("properties");
        assertEquals("Succeeded", properties.path("state").asText(), "job ended as " + job.toPrettyString());
        for (JsonNode task : properties.path("tasks")) {
            assertEquals("Succeeded", task.path("state").asText(), "task " + task.path("name").asText());
        }

        Path azureDisk = system.azureStorageDir().resolve("vms/vm-e2e/disk-0.img");
        String azureDigest = SystemTests.diskDigest(azureDisk);
        assertNotEquals(digestOfZeros(DISK_BYTES), azureDigest, "the Azure disk must hold real content, not zeros");
        JsonNode verification = properties.path("customDetails").path("verifications").get(0);
        assertEquals(azureDigest, verification.path("sourceDigest").asText(), "the digest recorded on the job is the Azure disk's");
        assertEquals(azureDigest, verification.path("targetDigest").asText());

        JsonNode item = api.item("vm-e2e").path("properties");
        assertEquals("PlannedFailoverCommitRequired", item.path("protectionState").asText());
        assertEquals("Primary", item.path("activeLocation").asText());

        JsonNode azureVm = api.get(system.azureSimUrl().resolve("/api/vms/vm-e2e"));
        assertEquals("Stopped", azureVm.path("state").asText(), "failback shuts the Azure VM down");
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/vm-e2e");
        JsonNode onPremisesVm = api.get(hostVm);
        assertEquals("Running", onPremisesVm.path("state").asText(), "failback starts the VM on-premises");
        assertEquals(host.virtualSwitches().get(0), onPremisesVm.path("virtualSwitchName").asText());
        assertEquals(true, onPremisesVm.path("disks").get(0).path("consistent").asBoolean());

        // The on-premises VM writes from the moment it starts; everything else must be the Azure disk's bytes.
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, "vm-e2e", DISK_BYTES);

        // Commit deletes the Azure VM and its disk files.
        String commitJob = api.commit("vm-e2e");
        assertEquals("Succeeded", api.awaitJobEnd(commitJob, Duration.ofSeconds(60), update -> {
        }).path("properties").path("state").asText());
        assertEquals(false, Files.exists(azureDisk), "Commit deletes the Azure disk file");
        assertEquals(404, api.exchange("GET", system.azureSimUrl().resolve("/api/vms/vm-e2e"), null).statusCode());
        JsonNode committed = api.item("vm-e2e").path("properties");
        assertEquals("FailoverCompleted", committed.path("protectionState").asText());
        assertEquals("Primary", committed.path("activeLocation").asText());
        assertEquals("ReverseReplicate", committed.path("allowedOperations").get(0).asText());
    }


    /**
     * Issue #15's metrics, on the real processes: the bytes sync-service counts as relayed are exactly those the host
     * counts as received and azure-sim as served, the stream covers the whole disk, the counter only grows while the
     * job runs, and job-service counts the job and its tasks when it ends.
     */
    @Test
    void metricsCountAFailbacksBytesAsTheyTravelAndTheJobWhenItEnds() throws Exception {
        HostAgent host = system.hosts().get(0);
        URI sync = system.syncServiceUrl();
        URI hostAgent = system.hostAgentUrl(host.id());
        URI azure = system.azureSimUrl();
        URI jobService = system.jobServiceUrl();
        Map<String, String> dataSync = Map.of("task", "DataSynchronization");
        Map<String, String> succeededFailback = Map.of("scenario", "PlannedFailover", "state", "Succeeded");
        api.createAzureVm("vm-metered", DISK_BYTES, 15L);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure("vm-metered", host.id(), host.virtualSwitches().get(0));
        String syncBefore = metrics(sync);
        double receivedBefore = PrometheusText.value(metrics(hostAgent), "failback_blockstream_received_bytes_total");
        double servedBefore = PrometheusText.value(metrics(azure), "failback_blockstream_served_bytes_total");
        String jobsBefore = metrics(jobService);

        String jobName = api.failbackWithFullDownload("vm-metered", "CreateVmIfNotFound");
        List<Double> sentWhileRunning = new ArrayList<>();
        JsonNode job = api.awaitJobEnd(jobName, Duration.ofSeconds(120),
                update -> sentWhileRunning.add(PrometheusText.value(metrics(sync), "failback_blockstream_sent_bytes_total", dataSync)));
        assertEquals("Succeeded", job.path("properties").path("state").asText(), job.toPrettyString());

        String syncAfter = metrics(sync);
        double sent = PrometheusText.value(syncAfter, "failback_blockstream_sent_bytes_total", dataSync)
                - PrometheusText.value(syncBefore, "failback_blockstream_sent_bytes_total", dataSync);
        assertEquals(DISK_BYTES, PrometheusText.value(syncAfter, "failback_blockstream_covered_bytes_total", dataSync)
                - PrometheusText.value(syncBefore, "failback_blockstream_covered_bytes_total", dataSync), "a full download covers the disk");
        assertTrue(sent > 0 && sent < DISK_BYTES, "zero blocks travel as runs, so less than the disk is sent: " + sent);
        assertEquals(sent, PrometheusText.value(metrics(hostAgent), "failback_blockstream_received_bytes_total") - receivedBefore,
                "the host received what sync-service relayed");
        assertEquals(sent, PrometheusText.value(metrics(azure), "failback_blockstream_served_bytes_total") - servedBefore,
                "azure-sim served what sync-service relayed");
        for (int i = 1; i < sentWhileRunning.size(); i++) {
            assertTrue(sentWhileRunning.get(i) >= sentWhileRunning.get(i - 1), "a counter never goes back: " + sentWhileRunning);
        }
        assertEquals(0, PrometheusText.value(syncAfter, "failback_copies_running"), "the copy gave its slot back");

        Map<String, String> provenOnPremises = Map.of("target", "OnPremises", "outcome", "proven");
        assertEquals(1, PrometheusText.value(syncAfter, "failback_proof_duration_seconds_count", provenOnPremises)
                - PrometheusText.value(syncBefore, "failback_proof_duration_seconds_count", provenOnPremises), "the disk proven once");

        // Job durations are recorded when the state-change feed publishes the job's end, a moment after it.
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(1,
                PrometheusText.value(metrics(jobService), "failback_job_duration_seconds_count", succeededFailback)
                        - PrometheusText.value(jobsBefore, "failback_job_duration_seconds_count", succeededFailback), "the job counted once"));
        String jobsAfter = metrics(jobService);
        Map<String, String> dataSyncTask = Map.of("scenario", "PlannedFailover", "task", "DataSynchronization", "state", "Succeeded");
        assertEquals(1, PrometheusText.value(jobsAfter, "failback_task_duration_seconds_count", dataSyncTask)
                - PrometheusText.value(jobsBefore, "failback_task_duration_seconds_count", dataSyncTask));
        // The gauges of stored state are read every 10 s: the count comes to what the API lists.
        int succeededFailbacks = api.get(jobService.resolve("/api/replicationJobs?scenarioName=PlannedFailover&state=Succeeded&$top=1000"))
                .path("value").size();
        assertTrue(succeededFailbacks >= 1);
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(succeededFailbacks,
                PrometheusText.value(metrics(jobService), "failback_jobs", succeededFailback), "jobs counted"));
        assertTrue(PrometheusText.value(metrics(jobService), "failback_provider_heartbeat_age_seconds", Map.of("provider", host.id())) < 15,
                "the host's heartbeat is recent");

        HttpResponse<String> anonymous = api.exchange("GET", jobService.resolve("/q/metrics"), null, null);
        assertEquals(401, anonymous.statusCode(), "job-service's metrics need a Reader's token: " + anonymous.body());
    }

    /**
     * Issue #15's structured logs: with FAILBACK_LOG_JSON, sync-service writes one JSON object a line, and every line of
     * a failback's run names its job, item and command as MDC fields, whichever callback logged it.
     */
    @Test
    void jsonLogLinesOfAFailbacksRunNameItsJobItemAndCommand() throws Exception {
        String jobName = failedBackInFull("vm-logged", 16L);

        List<JsonNode> ofTheJob = jsonLines("sync-service", entry -> entry.path("message").asText().contains(jobName));
        assertFalse(ofTheJob.isEmpty(), "sync-service logged the run of " + jobName);
        for (JsonNode entry : ofTheJob) {
            JsonNode mdc = entry.path("mdc");
            assertEquals(jobName, mdc.path("jobName").asText(), entry.toString());
            assertEquals("vm-logged", mdc.path("itemName").asText(), entry.toString());
            assertFalse(mdc.path("commandId").asText().isEmpty(), entry.toString());
        }
    }

    /**
     * Issue #15's traces: one failback is one trace, from job-service's API request through the outbox and the command's
     * record to sync-service's run, the site calls and block streams it makes to azure-sim and the host, and the events
     * job-service applies. The proof is in the logs: the trace id of sync-service's run is the one of job-service's
     * lines about the job, and of the sites' lines while they served the run, which name the run's job, item and
     * command too (from the baggage sync-service sends with the trace).
     */
    @Test
    void oneFailbackIsOneTraceWhoseIdEveryServiceLogs() throws Exception {
        String jobName = failedBackInFull("vm-traced", 23L);

        List<JsonNode> runLines = jsonLines("sync-service", entry -> jobName.equals(entry.path("mdc").path("jobName").asText()));
        assertFalse(runLines.isEmpty(), "sync-service logged the run of " + jobName);
        String traceId = runLines.get(0).path("mdc").path("traceId").asText();
        assertTrue(traceId.matches("[0-9a-f]{32}") && !traceId.matches("0+"), "a W3C trace id, not " + runLines.get(0));
        for (JsonNode line : runLines) {
            assertEquals(traceId, line.path("mdc").path("traceId").asText(), "every line of the run is in its trace: " + line);
        }

        List<JsonNode> jobLines = jsonLines("job-service", entry -> jobName.equals(entry.path("mdc").path("jobName").asText())
                || entry.path("message").asText().contains(jobName));
        assertFalse(jobLines.isEmpty(), "job-service logged " + jobName);
        Set<String> jobServiceTraces = new TreeSet<>();
        jobLines.forEach(line -> jobServiceTraces.add(line.path("mdc").path("traceId").asText()));
        assertEquals(Set.of(traceId), jobServiceTraces, "job-service's lines about " + jobName + ": " + jobLines);

        for (String site : List.of("azure-sim", "host-agent-host-a")) {
            List<JsonNode> siteLines = jsonLines(site, entry -> traceId.equals(entry.path("mdc").path("traceId").asText()));
            assertFalse(siteLines.isEmpty(), site + " logged nothing in trace " + traceId);
            assertTrue(siteLines.stream().anyMatch(line -> line.path("message").asText().contains("vm-traced")),
                    site + "'s lines in the trace are about vm-traced: " + siteLines);
            for (JsonNode line : siteLines) {
                assertEquals(jobName, line.path("mdc").path("jobName").asText(), "the site names the run's job: " + line);
                assertEquals("vm-traced", line.path("mdc").path("itemName").asText(), line.toString());
                assertFalse(line.path("mdc").path("commandId").asText().isEmpty(), line.toString());
            }
        }

        // And the spans leave sync-service for the collector its OTLP endpoint names, the run's among them.
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> spans.received(traceId, "run PlannedFailbackRun"));

        // What the logs never hold: a token that read the job, in any service's lines (the header is traced, not logged).
        String reader = system.issuer().issue(TokenRole.READER, "it-log-reader", Duration.ofMinutes(5));
        assertEquals(200, api.exchange("GET", system.jobServiceUrl().resolve("/api/replicationJobs/" + jobName), null, reader)
                .statusCode());
        String signature = reader.substring(reader.lastIndexOf('.') + 1);
        for (String service : List.of("job-service", "sync-service", "azure-sim", "host-agent-host-a")) {
            assertFalse(Files.readString(system.logFile(service)).contains(signature), service + " logged a bearer token");
        }
    }

    @AfterAll
    static void stopSpanCollector() {
        spans.close();
    }

    /** The JSON lines a service logged that {@code wanted} accepts. */
    private static List<JsonNode> jsonLines(String service, Predicate<JsonNode> wanted) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(system.logFile(service))) {
            if (line.startsWith("{")) { // not the JVM's own words on stdout, before logging starts
                JsonNode entry = FailbackApi.json(line);
                if (wanted.test(entry)) {
                    lines.add(entry);
                }
            }
        }
        return lines;
    }

    /** An Azure VM of {@code vm}'s name, registered and failed back with a full download; answers the job's name. */
    private static String failedBackInFull(String vm, long contentSeed) {
        HostAgent host = system.hosts().get(0);
        api.createAzureVm(vm, DISK_BYTES, contentSeed);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
        String jobName = api.failbackWithFullDownload(vm, "CreateVmIfNotFound");
        assertEquals("Succeeded", api.awaitJobEnd(jobName, Duration.ofSeconds(120), update -> {
        }).path("properties").path("state").asText());
        return jobName;
    }

    /** A service's Prometheus metrics; job-service's with the API's token (a Reader's would do). */
    private static String metrics(URI service) {
        HttpResponse<String> answer = api.exchange("GET", service.resolve("/q/metrics"), null);
        assertEquals(200, answer.statusCode(), answer.body());
        return answer.body();
    }

    @Test
    void cancelFailoverBeforeCommitRunsTheVmInAzureAgain() throws Exception {
        HostAgent host = system.hosts().get(0);
        failedBackInFull("vm-undo", 7L);
        URI azureVm = system.azureSimUrl().resolve("/api/vms/vm-undo");
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/vm-undo");
        assertEquals("Stopped", api.get(azureVm).path("state").asText());
        assertEquals("Running", api.get(hostVm).path("state").asText());

        String cancel = api.send("POST", system.jobServiceUrl().resolve("/api/replicationProtectedItems/vm-undo/failoverCancel"), "", 202)
                .path("name").asText();
        JsonNode done = api.awaitJobEnd(cancel, Duration.ofSeconds(120), update -> {
        }).path("properties");
        assertEquals("Succeeded", done.path("state").asText(), done.toPrettyString());
        assertEquals("Running", api.get(azureVm).path("state").asText(), "the VM runs in Azure again");
        assertEquals("Off", api.get(hostVm).path("state").asText(), "and no longer on-premises");
        JsonNode item = api.item("vm-undo").path("properties");
        assertEquals("FailoverCompleted", item.path("protectionState").asText());
        assertEquals("Recovery", item.path("activeLocation").asText());
        assertEquals("PlannedFailover", item.path("allowedOperations").get(0).asText());
        assertEquals(409, api.exchange("POST", system.jobServiceUrl().resolve("/api/replicationProtectedItems/vm-undo/failoverCancel"), "")
                .statusCode(), "there is no failover left to cancel");
    }

    @Test
    void jobServiceAnswersOnlyOverHttpsAndOnlyToTokensOfItsIssuerWithTheRole() {
        URI items = system.jobServiceUrl().resolve("/api/replicationProtectedItems");
        assertEquals("https", items.getScheme());
        assertFalse(QuarkusService.isReady(URI.create("http://" + items.getAuthority() + "/q/health/ready")),
                "no plain HTTP on job-service's port");

        assertEquals(401, api.exchange("GET", items, null, null).statusCode(), "no token");
        String reader = system.issuer().issue(TokenRole.READER, "it-reader", Duration.ofMinutes(5));
        assertEquals(200, api.exchange("GET", items, null, reader).statusCode(), "a Reader reads");
        HttpResponse<String> refused = api.exchange("PUT", URI.create(items + "/vm-denied"), """
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "host-a",
                  "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "vm-denied"}}""", reader);
        assertEquals(403, refused.statusCode(), refused.body());
        assertEquals("AuthorizationFailed", FailbackApi.json(refused.body()).path("type").asText());

        String otherIssuers = LocalIssuer.openOrCreate(system.workDir().resolve("another-issuer"))
                .issue(TokenRole.CONTRIBUTOR, "it-intruder", Duration.ofMinutes(5));
        assertEquals(401, api.exchange("GET", items, null, otherIssuers).statusCode(), "a key job-service does not trust");
    }

    /** The digest of an all-zero disk, computed by the contract. */
    private static String digestOfZeros(long bytes) {
        return io.failback.testing.ReferenceDigest.ofZeros(Math.toIntExact(bytes / SystemTests.BLOCK_BYTES), SystemTests.BLOCK_BYTES);
    }

}
