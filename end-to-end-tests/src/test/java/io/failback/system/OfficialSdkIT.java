package io.failback.system;

import static io.failback.system.SystemTests.assertProven;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.security.TokenRole;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bar issue #10 sets: Microsoft's official Site Recovery SDK ({@code @azure/arm-recoveryservices-siterecovery}
 * 5.1.0, api-version 2023-06-01), unchanged, drives the seed's whole story against the real system over HTTPS, with
 * a bearer token from Failback's local issuer and the local CA trusted by Node ({@code NODE_EXTRA_CA_CERTS}), never
 * with TLS checks off: enable protection, planned failover to Azure, Commit, failback with ForDownTime (the job waits
 * Suspended, "Complete Failover" resumes it), Commit, Reverse Replicate. The SDK's pollers must end each operation
 * only when its job ends. Between the steps this test acts on the sites as a user would, and compares the disks. All
 * of it runs with the system secured inside (issue #16): TLS between services, Kafka with authentication and ACLs.
 */
class OfficialSdkIT {
    /** Small: this proves the API, not the data path, which the other system tests load. */
    private static final long DISK_BYTES = 4L << 20;
    private static final String VM = "vm-sdk";
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(180);

    // Ongoing replication every 2 s, so the SDK's operations meet replication cycles in flight, as they would in Azure.
    @RegisterExtension
    // The seed's story with every lock the Kubernetes overlays have on: mutual TLS between the services, Kafka over
    // SASL_SSL with a principal and ACLs per service, and hosts that registered with a one-time key.
    static final RunningSystem running = new RunningSystem("official-sdk",
            builder -> builder.tlsInternal(true).environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "2s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;
    private static SeedStoryScript story;

    @BeforeAll
    static void installTheSdk() throws Exception {
        SeedStoryScript.install();
        story = new SeedStoryScript(Map.of(
                "FAILBACK_ARM_ENDPOINT", system.jobServiceUrl().toString(),
                // Contributor: enabling protection needs it; an hour outlasts the story.
                "FAILBACK_TOKEN", system.issuer().issue(TokenRole.CONTRIBUTOR, "official-sdk-it", Duration.ofHours(1)),
                "NODE_EXTRA_CA_CERTS", system.jobServiceTls().trustAnchors().toAbsolutePath().toString(),
                "FAILBACK_VM", VM,
                // Between the phases the Azure VM writes for a while, so that phase 2 has something to send.
                "FAILBACK_SUSPENDED_SECONDS", "1.5"),
                system.workDir().resolve("sdk-trace.jsonl"), STEP_TIMEOUT);
    }

    @Test
    void theOfficialSdkDrivesTheSeedStoryOverHttps() throws Exception {
        HostAgent host = system.hosts().get(0);
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + VM);
        URI azureVm = system.azureSimUrl().resolve("/api/vms/" + VM);
        Path onPremisesDisk = system.hostStorageDir(host.id()).resolve("vms/" + VM + "/disk-0.img");
        SystemTests.startOnPremisesVm(system, api, host, VM, DISK_BYTES, 31, "HotSpot", 100);

        // Reads through the SDK's paged iterators: the two sites, each with its protection container.
        JsonNode fabrics = onlyLine(story.run("fabrics"), "replicationFabrics.list");
        Map<String, String> containers = new TreeMap<>();
        fabrics.path("fabrics").forEach(fabric -> containers.put(fabric.path("name").asText(), fabric.path("containers").toString()));
        assertEquals(Map.of("hyperv-site", "[\"hyperv-site-container\"]", "azure", "[\"azure-container\"]"), containers, fabrics.toString());

        // TLS is checked: without the local CA, Node refuses job-service's certificate.
        JsonNode untrusted = story.withEnvironment("NODE_EXTRA_CA_CERTS", null).failure("fabrics").path("error");
        assertTrue(untrusted.toString().toLowerCase(Locale.ROOT).contains("cert"), "a certificate error: " + untrusted);
        // The token's role is checked: a Reader cannot enable protection, and nothing happens.
        String readerToken = system.issuer().issue(TokenRole.READER, "official-sdk-it-reader", Duration.ofMinutes(10));
        JsonNode refused = story.withEnvironment("FAILBACK_TOKEN", readerToken).failure("enableProtection").path("error");
        assertEquals(403, refused.path("statusCode").asInt(), refused.toString());
        assertTrue(refused.toString().contains("AuthorizationFailed"), refused.toString());
        assertFalse(api.exists(system.jobServiceUrl().resolve("/api/replicationProtectedItems/" + VM)), "a refused request protects nothing");

        // Enable protection: PUT create of the protected item, for the VM the host has.
        JsonNode enabled = onlyLine(story.run("enableProtection"), "replicationProtectedItems.beginCreateAndWait");
        assertSucceeded(enabled, "EnableProtection");
        assertItem(enabled, "Protected", "Primary");
        assertProven(api.job(enabled.path("job").asText()).path("properties"));

        // Planned failover to Azure: the on-premises VM is shut down and the replica holds its disk as it was then.
        JsonNode failover = onlyLine(story.run("failoverToAzure"), "replicationProtectedItems.beginPlannedFailoverAndWait");
        assertSucceeded(failover, "PlannedFailover");
        assertItem(failover, "PlannedFailoverCommitRequired", "Recovery");
        assertEquals("Off", api.get(hostVm).path("state").asText());
        assertEquals("Running", api.get(azureVm).path("state").asText());
        JsonNode failoverJob = api.job(failover.path("job").asText()).path("properties");
        assertProven(failoverJob);
        assertEquals(SystemTests.diskDigest(onPremisesDisk),
                failoverJob.path("customDetails").path("verifications").get(0).path("targetDigest").asText());

        JsonNode committed = onlyLine(story.run("commit"), "replicationProtectedItems.beginFailoverCommitAndWait");
        assertSucceeded(committed, "FailoverCommit");
        assertItem(committed, "FailoverCompleted", "Recovery");

        // Failback with ForDownTime while the Azure VM writes: phase 1, Suspended, "Complete Failover", phase 2.
        api.send("PUT", URI.create(azureVm + "/workload"), """
                {"pattern": "HotSpot", "writesPerSecond": 200, "writeSizeBytes": 4096, "seed": 32}""", 200);
        List<JsonNode> failback = story.run("failback");
        assertEquals(3, failback.size(), failback.toString());
        JsonNode suspended = failback.get(0);
        String failbackJob = suspended.path("job").asText();
        assertEquals("Suspended", suspended.path("jobState").asText(), suspended.toString());
        assertTrue(suspended.path("allowedActions").toString().contains("\"Resume\""), "Complete Failover is allowed: " + suspended);
        assertFalse(suspended.path("operationDone").asBoolean(), "the failback's operation runs while its job waits: " + suspended);
        JsonNode resumed = failback.get(1);
        assertEquals("replicationJobs.beginResumeAndWait", resumed.path("operation").asText(), resumed.toString());
        assertEquals(failbackJob, resumed.path("job").asText());
        assertEquals("Succeeded", resumed.path("jobState").asText(), resumed.toString());
        JsonNode failedBack = failback.get(2);
        assertEquals("replicationProtectedItems.beginPlannedFailover", failedBack.path("operation").asText(), failedBack.toString());
        assertEquals(failbackJob, failedBack.path("job").asText());
        assertSucceeded(failedBack, "PlannedFailover");
        assertEquals("Primary", failedBack.path("item").path("activeLocation").asText(), failedBack.toString());
        JsonNode failbackProperties = api.job(failbackJob).path("properties");
        assertProven(failbackProperties);
        long phase2ToSend = SystemTests.task(failbackProperties, "FinalDeltaSynchronization").path("progress").path("bytesToSend").asLong();
        assertTrue(phase2ToSend > 0 && phase2ToSend < DISK_BYTES,
                "phase 2 sends the blocks the Azure VM wrote while the job was suspended, not the disk: " + phase2ToSend);
        // Byte for byte: every block the on-premises VM did not write since it started is the Azure disk's.
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, VM, DISK_BYTES);

        // Commit: the Azure VM and its disks are deleted.
        JsonNode committedBack = onlyLine(story.run("commit"), "replicationProtectedItems.beginFailoverCommitAndWait");
        assertSucceeded(committedBack, "FailoverCommit");
        assertItem(committedBack, "FailoverCompleted", "Primary");
        assertTrue(committedBack.path("item").path("allowedOperations").toString().contains("ReverseReplicate"), committedBack.toString());
        assertFalse(api.exists(azureVm), "Commit deletes the Azure VM");

        // Reverse Replicate sends what the VM wrote on-premises since the failback; then the replica is its disk.
        long writtenBytes = SystemTests.writeOnPremisesSinceFailback(system, api, host, VM);
        JsonNode reprotected = onlyLine(story.run("reverseReplicate"), "replicationProtectedItems.beginReprotectAndWait");
        assertSucceeded(reprotected, "Reprotect");
        assertItem(reprotected, "Protected", "Primary");
        JsonNode reprotectJob = api.job(reprotected.path("job").asText()).path("properties");
        assertProven(reprotectJob);
        assertEquals(writtenBytes, reprotectJob.path("tasks").get(1).path("progress").path("bytesToSend").asLong(),
                "Reverse Replicate sends only the blocks written on-premises since the failback");
        assertSameBytes(onPremisesDisk, system.azureStorageDir().resolve("replicas/" + VM + "/disk-0.img"));
    }

    private static JsonNode onlyLine(List<JsonNode> lines, String operation) {
        assertEquals(1, lines.size(), lines.toString());
        assertEquals(operation, lines.get(0).path("operation").asText(), lines.get(0).toString());
        return lines.get(0);
    }

    private static void assertSucceeded(JsonNode line, String scenarioName) {
        assertEquals("Succeeded", line.path("jobState").asText(), line.toString());
        assertEquals(scenarioName, line.path("scenarioName").asText(), line.toString());
    }

    private static void assertItem(JsonNode line, String protectionState, String activeLocation) {
        JsonNode item = line.path("item");
        assertEquals(protectionState, item.path("protectionState").asText(), line.toString());
        assertEquals(activeLocation, item.path("activeLocation").asText(), line.toString());
    }

    private static void assertSameBytes(Path expected, Path actual) throws IOException {
        assertEquals(Files.size(expected), Files.size(actual), actual.toString());
        int chunk = 1 << 20;
        try (InputStream a = Files.newInputStream(expected); InputStream b = Files.newInputStream(actual)) {
            for (long offset = 0;; offset += chunk) {
                byte[] x = a.readNBytes(chunk);
                byte[] y = b.readNBytes(chunk);
                assertArrayEquals(x, y, actual + " differs from " + expected + " in the MiB at " + offset);
                if (x.length == 0) {
                    return;
                }
            }
        }
    }

}
