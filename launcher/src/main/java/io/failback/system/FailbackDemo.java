package io.failback.system;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The main job {@code ./failback up} runs: a VM runs in (simulated) Azure after a committed failover; fail it back
 * to the on-premises host with a full download, following the job's tasks and progress, and show the proof that
 * the on-premises disk holds the Azure disk's bytes. Then it prints the requests to do the same by hand.
 */
public final class FailbackDemo implements DemoScenario {
    static final String DEMO_VM = "vm-01";
    static final long DEMO_DISK_BYTES = 256L << 20;

    private final PrintStream out;

    public FailbackDemo(PrintStream out) {
        this.out = out;
    }

    @Override
    public void run(SystemEndpoints endpoints) {
        FailbackApi api = new FailbackApi(endpoints.jobServiceAccess(), endpoints.azureSim());
        Map.Entry<String, URI> host = endpoints.hostAgents().entrySet().iterator().next();
        String switchName = api.get(host.getValue().resolve("/api/host")).path("virtualSwitches").get(0).asText();

        out.println("Main job: fail back " + DEMO_VM + " from Azure to Hyper-V host " + host.getKey() + " (full download)");
        api.awaitProviderConnected(host.getKey(), Duration.ofSeconds(60));
        if (!api.exists(endpoints.jobService().resolve("/api/replicationProtectedItems/" + DEMO_VM))) {
            api.createAzureVm(DEMO_VM, DEMO_DISK_BYTES, 1L);
            api.registerItemInAzure(DEMO_VM, host.getKey(), switchName);
            out.println("  " + DEMO_VM + " runs in Azure with a " + (DEMO_DISK_BYTES >> 20) + " MiB disk; registered with job-service");
        }
        JsonNode item = api.item(DEMO_VM).path("properties");
        if (!"Recovery".equals(item.path("activeLocation").asText())) {
            out.println("  " + DEMO_VM + " already failed back in an earlier run (" + item.path("protectionState").asText()
                    + "); remove .failback/data to start afresh.");
        } else {
            followFailback(api, api.failbackWithFullDownload(DEMO_VM, "CreateVmIfNotFound"));
        }
        printByHand(endpoints, host.getKey(), switchName);
    }

    private void followFailback(FailbackApi api, String jobName) {
        out.println("  job " + jobName + ":");
        Map<String, String> lastSeen = new HashMap<>();
        JsonNode job = api.awaitJobEnd(jobName, Duration.ofMinutes(30), update -> {
            for (JsonNode task : update.path("properties").path("tasks")) {
                String line = describe(task);
                if (!line.equals(lastSeen.put(task.path("name").asText(), line))) {
                    out.println("    " + line);
                }
            }
        });
        JsonNode properties = job.path("properties");
        out.println("  job " + properties.path("state").asText() + ": " + properties.path("stateDescription").asText());
        for (JsonNode disk : properties.path("customDetails").path("verifications")) {
            out.println("  " + disk.path("diskId").asText() + " " + disk.path("algorithm").asText() + " Azure   "
                    + disk.path("sourceDigest").asText());
            out.println("  " + disk.path("diskId").asText() + " " + disk.path("algorithm").asText() + " on-prem "
                    + disk.path("targetDigest").asText());
        }
        out.println("  " + DEMO_VM + " is now " + api.item(DEMO_VM).path("properties").path("protectionState").asText());
    }

    private static String describe(JsonNode task) {
        StringBuilder line = new StringBuilder(String.format("%-20s %-10s", task.path("name").asText(), task.path("state").asText()));
        JsonNode progress = task.path("progress");
        if (progress.isObject() && progress.path("bytesTotal").asLong() > 0) {
            long total = progress.path("bytesTotal").asLong();
            long sent = progress.path("bytesSent").asLong();
            line.append(String.format(" %3d%%  %d/%d MiB  %.0f MiB/s", 100 * sent / total, sent >> 20, total >> 20,
                    progress.path("bytesPerSecond").asDouble() / (1 << 20)));
            if (progress.hasNonNull("etaSeconds")) {
                line.append("  ETA ").append(progress.path("etaSeconds").asLong()).append(" s");
            }
        }
        return line.toString();
    }

    private void printByHand(SystemEndpoints endpoints, String hostId, String switchName) {
        URI jobs = endpoints.jobService();
        // job-service: HTTPS with its CA trusted, and a token in a shell variable, so that none is printed here.
        String jobService = "curl -s --cacert " + relativeToWorkingDir(endpoints.jobServiceAccess().trustedCertificates())
                + " -H \"Authorization: Bearer $TOKEN\"";
        out.println();
        out.println("Do it by hand with another VM (see README.md):");
        out.println("  TOKEN=$(./failback token --role Contributor)");
        out.println("  curl -s -X POST " + endpoints.azureSim().resolve("/api/vms")
                + " -H 'Content-Type: application/json' -d '{\"name\":\"vm-02\",\"disks\":[{\"diskId\":\"disk-0\",\"sizeBytes\":67108864}]}'");
        out.println("  " + jobService + " -X PUT " + jobs.resolve("/api/replicationProtectedItems/vm-02")
                + " -H 'Content-Type: application/json' -d '{\"properties\":{\"activeLocation\":\"Recovery\",\"primaryProviderId\":\""
                + hostId + "\",\"primaryVirtualSwitchName\":\"" + switchName + "\",\"recoveryAzureVmName\":\"vm-02\"}}'");
        out.println("  " + jobService + " -X POST " + jobs.resolve("/api/replicationProtectedItems/vm-02/plannedFailover")
                + " -H 'Content-Type: application/json' -d '{\"properties\":{\"failoverDirection\":\"RecoveryToPrimary\","
                + "\"providerSpecificDetails\":{\"instanceType\":\"HyperVReplicaAzureFailback\",\"dataSyncOption\":\"ForSynchronization\","
                + "\"recoveryVmCreationOption\":\"CreateVmIfNotFound\"}}}'");
        out.println("  " + jobService + " " + jobs.resolve("/api/replicationJobs") + "     # follow the job");
        out.println("  API docs: " + jobs.resolve("/q/swagger-ui"));
        out.println();
    }

    /** {@code .failback/tls/ca.pem} rather than the absolute path, when run from the checkout as the README does. */
    private static String relativeToWorkingDir(Path file) {
        Path workingDir = Path.of("").toAbsolutePath();
        return file.startsWith(workingDir) ? workingDir.relativize(file).toString() : file.toString();
    }
}
