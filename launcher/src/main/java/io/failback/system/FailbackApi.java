package io.failback.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The calls a user makes to drive a failback: set up a VM in Azure (the simulator, plain HTTP), register it with
 * job-service, trigger the failback and follow the job (HTTPS, trusting job-service's CA, with a bearer token). Shared
 * by the launcher's demo, the benchmark and the end-to-end tests, so that what the README shows is what the tests
 * prove. Every request to job-service carries {@code Authorization: Bearer}; requests to the sites (azure-sim, the
 * host agents) never do.
 */
public final class FailbackApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final JobServiceAccess access;
    private final URI jobService;
    private final URI azureSim;

    public FailbackApi(JobServiceAccess jobService, URI azureSim) {
        this.access = jobService;
        this.jobService = jobService.url();
        this.azureSim = azureSim;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(jobService.trust()).build();
    }

    /** job-service's base URL. */
    public URI jobService() {
        return jobService;
    }

    /** A running VM in Azure with one disk of generated content (seeded, so runs reproduce). */
    public JsonNode createAzureVm(String name, long diskBytes, long contentSeed) {
        return send("POST", azureSim.resolve("/api/vms"), """
                {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d}"""
                .formatted(name, diskBytes, contentSeed), 201);
    }

    /** Records the VM in job-service as failed over to Azure and committed there, owned by {@code providerId}. */
    public JsonNode registerItemInAzure(String name, String providerId, String virtualSwitch) {
        return send("PUT", jobService.resolve("/api/replicationProtectedItems/" + name), """
                {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                  "primaryVirtualSwitchName": "%s", "recoveryAzureVmName": "%s"}}"""
                .formatted(providerId, virtualSwitch, name), 201);
    }

    /**
     * Enables protection of an on-premises VM (an EnableProtection job replicates it to Azure); answers the item,
     * whose {@code currentScenario.jobId} names the job.
     */
    public JsonNode enableProtection(String name, String providerId, String virtualSwitch) {
        return send("PUT", jobService.resolve("/api/replicationProtectedItems/" + name), """
                {"properties": {"activeLocation": "Primary", "primaryProviderId": "%s", "primaryVirtualSwitchName": "%s"}}"""
                .formatted(providerId, virtualSwitch), 201);
    }

    /** Planned failover from on-premises to Azure; answers the job's name. */
    public String failoverToAzure(String item) {
        return send("POST", jobService.resolve("/api/replicationProtectedItems/" + item + "/plannedFailover"), """
                {"properties": {"failoverDirection": "PrimaryToRecovery"}}""", 202).path("name").asText();
    }

    /** "Reverse Replicate" after a committed failback; answers the job's name. */
    public String reverseReplicate(String item) {
        return send("POST", jobService.resolve("/api/replicationProtectedItems/" + item + "/reprotect"), "", 202).path("name").asText();
    }

    public void awaitProviderConnected(String providerId, Duration timeout) {
        awaitJson(jobService.resolve("/api/replicationRecoveryServicesProviders/" + providerId),
                body -> "Connected".equals(body.path("properties").path("connectionStatus").asText()), timeout, body -> {
                });
    }

    /** Failback with a full download; answers the job's name. */
    public String failbackWithFullDownload(String item, String recoveryVmCreationOption) {
        return failbackWithFullDownload(item, recoveryVmCreationOption, null);
    }

    /** Failback with a full download to {@code alternateProviderId} (null: the original host). */
    public String failbackWithFullDownload(String item, String recoveryVmCreationOption, String alternateProviderId) {
        return failback(item, "ForSynchronization", recoveryVmCreationOption, alternateProviderId);
    }

    /** Planned failover from Azure to on-premises; answers the job's name. */
    public String failback(String item, String dataSyncOption, String recoveryVmCreationOption, String alternateProviderId) {
        String alternate = alternateProviderId == null ? "" : ", \"providerIdForAlternateRecovery\": \"" + alternateProviderId + "\"";
        JsonNode job = send("POST", jobService.resolve("/api/replicationProtectedItems/" + item + "/plannedFailover"), """
                {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                  "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "%s",
                  "recoveryVmCreationOption": "%s"%s}}}""".formatted(dataSyncOption, recoveryVmCreationOption, alternate), 202);
        return job.path("name").asText();
    }

    /** "Complete Failover": resumes a suspended job. */
    public JsonNode resume(String jobName) {
        return send("POST", jobService.resolve("/api/replicationJobs/" + jobName + "/resume"), "", 202);
    }

    /** Polls the job until its state is one of {@code states}. */
    public JsonNode awaitJobState(String name, Duration timeout, String... states) {
        java.util.List<String> wanted = java.util.List.of(states);
        return awaitJson(jobService.resolve("/api/replicationJobs/" + name),
                job -> wanted.contains(job.path("properties").path("state").asText()), timeout, job -> {
                });
    }

    /** Commit; after failback it deletes the Azure VM and its disks. Answers the job's name. */
    public String commit(String item) {
        return send("POST", jobService.resolve("/api/replicationProtectedItems/" + item + "/failoverCommit"), "", 202)
                .path("name").asText();
    }

    /** Sends and answers the status code and body, whatever the status; to job-service with a Contributor token. */
    public HttpResponse<String> exchange(String method, URI uri, String jsonBody) {
        return exchange(method, uri, jsonBody, access.serves(uri) ? access.bearerTokens().get() : null);
    }

    /**
     * Sends with the given bearer token, or none when it is null, whatever the URI; answers the status code and body
     * whatever the status. For checking what job-service answers callers with other roles or without a token.
     */
    public HttpResponse<String> exchange(String method, URI uri, String jsonBody, String bearerToken) {
        return exchange(method, uri, jsonBody, bearerToken, java.util.Map.of());
    }

    /** As {@link #exchange(String, URI, String)}, with more request headers (an ARM client's {@code x-ms-client-request-id}). */
    public HttpResponse<String> exchangeWithHeaders(String method, URI uri, String jsonBody, java.util.Map<String, String> headers) {
        return exchange(method, uri, jsonBody, access.serves(uri) ? access.bearerTokens().get() : null, headers);
    }

    private HttpResponse<String> exchange(String method, URI uri, String jsonBody, String bearerToken,
            java.util.Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) {
            request.header("Content-Type", "application/json");
        }
        if (bearerToken != null) {
            request.header("Authorization", "Bearer " + bearerToken);
        }
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + uri + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public JsonNode job(String name) {
        return get(jobService.resolve("/api/replicationJobs/" + name));
    }

    public JsonNode item(String name) {
        return get(jobService.resolve("/api/replicationProtectedItems/" + name));
    }

    /** Polls the job until it ends, handing each state seen to {@code onUpdate}; answers the final job. */
    public JsonNode awaitJobEnd(String name, Duration timeout, Consumer<JsonNode> onUpdate) {
        return awaitJson(jobService.resolve("/api/replicationJobs/" + name), job -> {
            String state = job.path("properties").path("state").asText();
            return state.equals("Succeeded") || state.equals("Failed") || state.equals("Cancelled");
        }, timeout, onUpdate);
    }

    /**
     * Follows the job's Server-Sent Events ({@code GET /api/replicationJobs/{name}/events}, one event per change, the
     * first at once) until one satisfies {@code until}, and answers that one. Learns of a change when it is committed,
     * where polling learns of it at the next poll, and costs job-service a read per change instead of one per poll.
     * Throws when the stream ends first (the job ended otherwise) or {@code timeout} passes.
     */
    public JsonNode followJob(String name, Duration timeout, Predicate<JsonNode> until) {
        URI events = jobService.resolve("/api/replicationJobs/" + name + "/events");
        HttpRequest request = HttpRequest.newBuilder(events).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + access.bearerTokens().get()).GET().build();
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        JsonNode last = null;
        try {
            HttpResponse<java.util.stream.Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                String body = response.body().collect(java.util.stream.Collectors.joining("\n"));
                throw new IllegalStateException("GET " + events + " answered " + response.statusCode() + ": " + body);
            }
            try (java.util.stream.Stream<String> lines = response.body()) {
                // Closing the stream cancels the request, which ends the iteration below.
                timer.schedule(lines::close, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                java.util.Iterator<String> iterator = lines.iterator();
                while (iterator.hasNext()) {
                    String line = iterator.next();
                    if (line.startsWith("data:")) {
                        last = json(line.substring("data:".length()).trim());
                        if (until.test(last)) {
                            return last;
                        }
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // The timer closed the stream, or the connection broke: reported below with what was seen last.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            timer.shutdownNow();
        }
        throw new IllegalStateException("the events of job " + name + " ended or stopped within " + timeout
                + " before the awaited one; last event: " + last);
    }

    /** Whether a GET answers 200 (rather than 404). */
    public boolean exists(URI uri) {
        try {
            get(uri);
            return true;
        } catch (IllegalStateException e) {
            if (e.getMessage().contains(" answered 404")) {
                return false;
            }
            throw e;
        }
    }

    public JsonNode get(URI uri) {
        return send("GET", uri, null, 200);
    }

    private JsonNode awaitJson(URI uri, Predicate<JsonNode> done, Duration timeout, Consumer<JsonNode> onUpdate) {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                last = get(uri);
                onUpdate.accept(last);
                if (done.test(last)) {
                    return last;
                }
            } catch (IllegalStateException notYet) {
                // 404 until the resource exists
            }
            sleep(Duration.ofMillis(250));
        }
        throw new IllegalStateException("gave up after " + timeout + " waiting on " + uri + "; last answer: " + last);
    }

    /** Sends and answers the JSON body, or throws when the status is not the expected one. */
    public JsonNode send(String method, URI uri, String body, int expectedStatus) {
        HttpResponse<String> response = exchange(method, uri, body);
        if (response.statusCode() != expectedStatus) {
            throw new IllegalStateException(method + " " + uri + " answered " + response.statusCode() + ": " + response.body());
        }
        return json(response.body());
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text.isEmpty() ? "{}" : text);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + text, e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
