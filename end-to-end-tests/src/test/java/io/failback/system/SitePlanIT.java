package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A site's failback: a ForDownTime recovery plan of 51 writing Azure VMs in three boot groups over three Hyper-V hosts,
 * run by job-service ×2 and sync-service ×3 (the prod overlay's replicas) against one broker and one database. Every
 * VM's phase 1 runs at once up to the copy limits; one Resume completes the groups in boot order, the items of a group
 * in parallel. One VM of the last group was deleted in Azure while the plan was suspended: its item fails, the plan
 * job says so on its task at once, follows the group's other 16 items to their end and then fails with that item's
 * error. Every other VM has exactly one failback job, proven, and its disk compared byte for byte.
 */
class SitePlanIT {
    private static final List<HostAgent> HOSTS = List.of(
            new HostAgent("host-a", "hyperv-a.contoso.local", "vSwitch-Prod"),
            new HostAgent("host-b", "hyperv-b.contoso.local", "vSwitch-Prod"),
            new HostAgent("host-c", "hyperv-c.contoso.local", "vSwitch-Prod"));
    private static final int GROUPS = 3;
    private static final int VMS_PER_GROUP = 17;
    /** Small disks: the plan's bookkeeping at site scale is under test here, not bandwidth. */
    private static final long DISK_BYTES = 4L << 20;
    /** Fewer copies per instance and per host than the defaults, so that a group's 17 items queue behind the caps. */
    private static final int COPIES_PER_INSTANCE = 3;
    private static final int COPIES_PER_HOST = 3;
    private static final String LOST_IN_AZURE = "vm-site-" + (GROUPS * VMS_PER_GROUP - 1);
    private static final Duration PLAN_TIMEOUT = Duration.ofSeconds(300);
    private static final String FAILBACK_FOR_DOWNTIME = """
            {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "HyperVReplicaAzureFailback",
              "dataSyncOption": "ForDownTime", "recoveryVmCreationOption": "CreateVmIfNotFound"}}""";

    @RegisterExtension
    static final RunningSystem running = new RunningSystem("site-plan", builder -> {
        HOSTS.forEach(host -> builder.host(host)
                .environment(host.serviceName(), "HOST_AGENT_MAX_COPIES", String.valueOf(COPIES_PER_HOST)));
        return builder
                .instances(LocalSystem.JOB_SERVICE, 2)
                .instances(LocalSystem.SYNC_SERVICE, 3)
                .environment(LocalSystem.SYNC_SERVICE, "FAILBACK_SYNC_MAX_COPIES", String.valueOf(COPIES_PER_INSTANCE))
                .environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "1h");
    });
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void aPlanOfFiftyOneWritingVmsOverThreeHostsFailsBackGroupByGroupAndReportsTheOneThatFailed() throws Exception {
        Map<String, HostAgent> hostOf = new HashMap<>();
        List<List<String>> groups = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < GROUPS * VMS_PER_GROUP; i++) {
            String vm = "vm-site-" + i;
            hostOf.put(vm, HOSTS.get(i % HOSTS.size()));
            groups.get(i / VMS_PER_GROUP).add(vm);
            api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                    {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 0,
                     "workload": {"pattern": "RandomSmall", "writesPerSecond": 20, "writeSizeBytes": 4096, "seed": %d}}"""
                    .formatted(vm, DISK_BYTES, 900 + i, 900 + i), 201);
        }
        for (HostAgent host : HOSTS) {
            api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        }
        hostOf.forEach((vm, host) -> api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0)));
        // The second job-service makes and starts the plan; the first follows it, from the same database.
        FailbackApi secondJobService = new FailbackApi(new JobServiceAccess(system.serviceUrl("job-service-2"),
                system.jobServiceTls().trustAnchors(), system.jobServiceTls().clientContext(),
                system.issuer().contributorTokens("site-plan-test")), system.azureSimUrl());
        RecoveryPlanApi plans = new RecoveryPlanApi(secondJobService, system.serviceUrl("job-service-2"));
        plans.createBootOrderPlan("plan-site", groups);

        String planJob = plans.start("plan-site", "plannedFailover", FAILBACK_FOR_DOWNTIME);
        JsonNode suspended = api.awaitJobState(planJob, PLAN_TIMEOUT, "Suspended", "Failed", "Cancelled", "Succeeded");
        assertEquals("Suspended", suspended.path("properties").path("state").asText(), suspended.toPrettyString());
        Map<String, String> itemJobs = SystemTests.itemJobsOfPlan(suspended.path("properties"));
        assertEquals(hostOf.keySet(), itemJobs.keySet(), "phase 1 ran for every item of the plan");

        // Gone in Azure while the plan waits: its phase 2 cannot shut it down, and nothing else can succeed for it.
        api.send("DELETE", system.azureSimUrl().resolve("/api/vms/" + LOST_IN_AZURE), "", 200);
        api.resume(planJob);
        JsonNode ended = api.awaitJobState(planJob, PLAN_TIMEOUT, "Succeeded", "Failed", "Cancelled").path("properties");

        assertEquals("Failed", ended.path("state").asText(), ended.toPrettyString());
        assertEquals("1 of " + VMS_PER_GROUP + " VMs failed in group " + GROUPS + ": " + LOST_IN_AZURE, ended.path("stateDescription").asText());
        assertEquals(1, ended.path("errors").size(), ended.path("errors").toPrettyString());
        assertEquals("AzureVmNotFound", ended.path("errors").get(0).path("errorCode").asText(), ended.path("errors").toPrettyString());
        assertTrue(ended.path("errors").get(0).path("message").asText().startsWith(LOST_IN_AZURE + " (job " + itemJobs.get(LOST_IN_AZURE) + "): "),
                ended.path("errors").toPrettyString());
        assertEquals("Failed", SystemTests.task(ended, "Group" + GROUPS + "/" + LOST_IN_AZURE).path("state").asText());
        assertEquals("Failed", SystemTests.task(ended, "Group" + GROUPS).path("state").asText());

        Map<String, JsonNode> itemJobsEnded = new HashMap<>();
        for (String vm : hostOf.keySet()) {
            if (vm.equals(LOST_IN_AZURE)) {
                continue;
            }
            String group = "Group" + (groups.indexOf(groups.stream().filter(items -> items.contains(vm)).findFirst().orElseThrow()) + 1);
            assertEquals("Succeeded", SystemTests.task(ended, group + "/" + vm).path("state").asText(),
                    vm + "'s task followed its job to its end, failed item beside it or not");
            JsonNode itemJob = SystemTests.succeeded(api, itemJobs.get(vm));
            SystemTests.assertProven(itemJob);
            itemJobsEnded.put(vm, itemJob);
            JsonNode failbacks = api.get(system.jobServiceUrl().resolve("/api/replicationJobs?scenarioName=PlannedFailover&targetObjectId=" + vm));
            assertEquals(1, failbacks.path("value").size(), vm + " has exactly one failback job: " + failbacks.toPrettyString());
            SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, hostOf.get(vm), vm, DISK_BYTES);
        }
        long waitedInLine = itemJobsEnded.values().stream()
                .filter(job -> SystemTests.task(job, "SnapshotSynchronization").path("waitedItsTurn").asBoolean()).count();
        assertTrue(waitedInLine > 0, "phase 1 started all 51 copies at once, beyond the 9 slots and 9 streams: some waited in line");
        List<List<String>> succeededGroups = groups.stream().map(items -> items.stream().filter(itemJobsEnded::containsKey).toList()).toList();
        for (int g = 0; g < GROUPS; g++) {
            assertTrue(mostAtOnce(succeededGroups.get(g).stream()
                            .map(vm -> SystemTests.task(itemJobsEnded.get(vm), "FinalDeltaSynchronization")).toList()) > 1,
                    "group " + (g + 1) + "'s items sent their final changes in parallel");
        }
        SystemTests.assertDataPlaneInBootOrder(succeededGroups, itemJobsEnded, "StartOnPremisesVm", "ShutdownAzureVm");
    }

    /** The most of these tasks that ran at the same moment. */
    private static int mostAtOnce(List<JsonNode> tasks) {
        int most = 0;
        for (JsonNode task : tasks) {
            Instant at = Instant.parse(task.path("startTime").asText());
            int running = (int) tasks.stream().filter(other -> !Instant.parse(other.path("startTime").asText()).isAfter(at)
                    && Instant.parse(other.path("endTime").asText()).isAfter(at)).count();
            most = Math.max(most, running);
        }
        return most;
    }
}
