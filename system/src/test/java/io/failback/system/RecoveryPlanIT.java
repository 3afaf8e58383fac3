package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A recovery plan of three VMs in two boot groups fails back from Azure on real processes with ForDownTime while every
 * Azure VM keeps writing: one plan job synchronizes every VM's snapshot, suspends, and one Resume completes the groups
 * in order (the second group's VM shuts down in Azure only once the first group's VMs run on-premises). Every disk ends
 * byte-identical to its Azure disk at shutdown; the plan's Commit then deletes the Azure VMs.
 */
class RecoveryPlanIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);
    /** Two database VMs boot first, then the web VM; small disks, each written its own way while it runs in Azure. */
    private static final List<Vm> VMS = List.of(
            new Vm("vm-plan-db-1", 16L << 20, "\"pattern\": \"HotSpot\", \"writesPerSecond\": 400, \"writeSizeBytes\": 4096, \"seed\": 31"),
            new Vm("vm-plan-db-2", 24L << 20, "\"pattern\": \"RandomSmall\", \"writesPerSecond\": 600, \"writeSizeBytes\": 8192, \"seed\": 32"),
            new Vm("vm-plan-web", 32L << 20, "\"pattern\": \"Sequential\", \"writesPerSecond\": 300, \"writeSizeBytes\": 16384, \"seed\": 33"));
    private static LocalSystem system;
    private static FailbackApi api;
    private static RecoveryPlanApi plans;

    private record Vm(String name, long diskBytes, String workload) {
    }

    @BeforeAll
    static void startSystem() throws IOException {
        system = SystemTests.start("plan", builder -> builder);
        api = new FailbackApi(system.jobServiceUrl(), system.azureSimUrl());
        plans = new RecoveryPlanApi(api, system.jobServiceUrl());
    }

    @AfterAll
    static void stopSystem() {
        if (system != null) {
            system.close();
        }
    }

    @Test
    void aPlanFailsBackWritingVmsGroupByGroupWithOneResumeAndLosesNoWrite() throws Exception {
        HostAgent host = system.hosts().get(0);
        for (Vm vm : VMS) {
            api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                    {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 40,
                     "workload": {%s}}""".formatted(vm.name(), vm.diskBytes(), vm.diskBytes(), vm.workload()), 201);
        }
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        VMS.forEach(vm -> api.registerItemInAzure(vm.name(), host.id(), host.virtualSwitches().get(0)));
        plans.createBootOrderPlan("plan-three-tier", List.of(List.of("vm-plan-db-1", "vm-plan-db-2"), List.of("vm-plan-web")));

        // Phase 1 for every VM at once, each in its own item job, while the Azure VMs keep running; then one suspension.
        String planJob = plans.failback("plan-three-tier", "ForDownTime", "CreateVmIfNotFound");
        Map<String, String> itemJobs = new LinkedHashMap<>();
        VMS.forEach(vm -> itemJobs.put(vm.name(), api.item(vm.name()).path("properties").path("currentScenario").path("jobId").asText()));
        JsonNode suspended = api.awaitJobState(planJob, JOB_TIMEOUT, "Suspended", "Failed").path("properties");
        assertEquals("Suspended", suspended.path("state").asText(), suspended.toPrettyString());
        assertEquals("Succeeded", task(suspended, "SnapshotSynchronization").path("state").asText());
        for (String vm : itemJobs.keySet()) {
            assertEquals("Suspended", api.job(itemJobs.get(vm)).path("properties").path("state").asText(), vm);
            assertEquals("Running", api.get(system.azureSimUrl().resolve("/api/vms/" + vm)).path("state").asText(), vm);
        }
        Thread.sleep(1500); // the Azure VMs keep writing between the phases

        api.resume(planJob);
        JsonNode done = api.awaitJobEnd(planJob, JOB_TIMEOUT, update -> {
        }).path("properties");
        assertEquals("Succeeded", done.path("state").asText(), done.toPrettyString());
        for (JsonNode task : done.path("tasks")) {
            assertEquals("Succeeded", task.path("state").asText(), task.toPrettyString());
        }
        Instant group1Ended = Instant.parse(task(done, "Group1").path("endTime").asText());
        assertFalse(Instant.parse(task(done, "Group2/vm-plan-web").path("startTime").asText()).isBefore(group1Ended),
                "group 2 starts after group 1 ended: " + done.path("tasks").toPrettyString());
        // The data plane's own times agree: the web VM shut down in Azure only after both database VMs were on-premises.
        Instant webShutdown = Instant.parse(task(itemJob(itemJobs, "vm-plan-web"), "ShutdownAzureVm").path("startTime").asText());
        for (String db : List.of("vm-plan-db-1", "vm-plan-db-2")) {
            Instant dbStarted = Instant.parse(task(itemJob(itemJobs, db), "StartOnPremisesVm").path("endTime").asText());
            assertTrue(dbStarted.isBefore(webShutdown), db + " started on-premises at " + dbStarted + ", web shut down at " + webShutdown);
        }

        for (Vm vm : VMS) {
            JsonNode itemJob = itemJob(itemJobs, vm.name());
            assertEquals("Succeeded", itemJob.path("state").asText(), vm.name());
            assertTrue(task(itemJob, "FinalDeltaSynchronization").path("progress").path("bytesToSend").asLong() > 0,
                    vm.name() + " wrote in Azure after its snapshot, and phase 2 sent that");
            JsonNode verification = itemJob.path("customDetails").path("verifications").get(0);
            assertEquals(verification.path("sourceDigest").asText(), verification.path("targetDigest").asText(), vm.name());
            assertEquals(verification.path("sourceDigest").asText(),
                    SystemTests.diskDigest(system.azureStorageDir().resolve("vms/" + vm.name() + "/disk-0.img")),
                    vm.name() + ": the proof is the Azure disk as it was at shutdown");
            SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm.name(), vm.diskBytes());
        }

        // Commit of the plan: every Azure VM and its disks are deleted.
        String commit = plans.commit("plan-three-tier");
        JsonNode committed = api.awaitJobEnd(commit, JOB_TIMEOUT, update -> {
        }).path("properties");
        assertEquals("Succeeded", committed.path("state").asText(), committed.toPrettyString());
        for (String vm : itemJobs.keySet()) {
            assertFalse(api.exists(system.azureSimUrl().resolve("/api/vms/" + vm)), vm + ": Commit deletes the Azure VM");
            assertFalse(system.azureStorageDir().resolve("vms/" + vm + "/disk-0.img").toFile().exists(), vm + ": and its disk");
            JsonNode item = api.item(vm).path("properties");
            assertEquals("FailoverCompleted", item.path("protectionState").asText(), vm);
            assertEquals("Primary", item.path("activeLocation").asText(), vm);
        }
        assertEquals("[\"ReverseReplicate\"]", api.get(system.jobServiceUrl().resolve("/api/replicationRecoveryPlans/plan-three-tier"))
                .path("properties").path("allowedOperations").toString());
    }

    private static JsonNode itemJob(Map<String, String> itemJobs, String vm) {
        return api.job(itemJobs.get(vm)).path("properties");
    }

    private static JsonNode task(JsonNode jobProperties, String name) {
        for (JsonNode task : jobProperties.path("tasks")) {
            if (name.equals(task.path("name").asText())) {
                return task;
            }
        }
        throw new AssertionError("no task " + name + " in " + jobProperties.toPrettyString());
    }
}
