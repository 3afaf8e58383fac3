package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several instances of each service against one broker and one database, as Kubernetes runs replicas: job-service ×2
 * and sync-service ×2, two Hyper-V hosts, a ForDownTime recovery plan of ten Azure VMs that keep writing, five failing
 * back to each host. During phase 1's copies one instance of each service is killed ({@code kill -9}) and not
 * started again: the survivors take over the dead ones' partitions, the items the dead sync-service was copying are
 * given back when their lease runs out and resume on the other, the plan suspends once, and one Resume completes it.
 * Each sync-service instance runs three copies at once and each host serves two: the others wait, and their tasks say so.
 * Every item has exactly one failback job, every disk is compared byte for byte.
 */
class ScaleOutIT {
    private static final HostAgent HOST_A = new HostAgent("host-a", "hyperv-a.contoso.local", "vSwitch-Prod");
    private static final HostAgent HOST_B = new HostAgent("host-b", "hyperv-b.contoso.local", "vSwitch-Prod");
    private static final int VMS = 10;
    private static final int COPIES_PER_INSTANCE = 3;
    private static final int COPIES_PER_HOST = 2;
    /** Small disks: the link's pace, not their size, makes phase 1 last long enough to be hit. */
    private static final long DISK_BYTES = 16L << 20;
    /** How long phase 1's copies of all the disks together take on the paced link. */
    private static final Duration COPY_TIME = Duration.ofSeconds(12);
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);
    /** sync-service's log lines for a run it starts (FailbackRunner) and one that ended (CommandRun). */
    private static final Pattern RUN_STARTED = Pattern.compile("job (\\S+) on vm-scale-\\d+ started \\(command");
    private static final Pattern RUN_ENDED = Pattern.compile("job (\\S+) on vm-scale-\\d+ ended \\(command");
    private static final String FAILBACK_FOR_DOWNTIME = """
            {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "HyperVReplicaAzureFailback",
              "dataSyncOption": "ForDownTime", "recoveryVmCreationOption": "CreateVmIfNotFound"}}""";

    private static final FaultInjectingProxy azureLink = FaultInjectingProxy.listening("azure");
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("scale-out", builder -> builder
            .host(HOST_A).host(HOST_B)
            .instances(LocalSystem.JOB_SERVICE, 2)
            .instances(LocalSystem.SYNC_SERVICE, 2)
            // Every sync-service instance reaches azure-sim through the one paced link.
            .environment(LocalSystem.SYNC_SERVICE, "FAILBACK_AZURE_URL", azureLink.url().toString())
            // Three copies at once per instance: of the ten, at least four wait in line, and say so.
            .environment(LocalSystem.SYNC_SERVICE, "FAILBACK_SYNC_MAX_COPIES", String.valueOf(COPIES_PER_INSTANCE))
            // Two streams at once per host: with up to six copies started, some find their host busy, and say so.
            .environment(HOST_A.serviceName(), "HOST_AGENT_MAX_COPIES", String.valueOf(COPIES_PER_HOST))
            .environment(HOST_B.serviceName(), "HOST_AGENT_MAX_COPIES", String.valueOf(COPIES_PER_HOST))
            // The dead sync-service's items are given back once they were silent this long.
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_JOB_LEASE", "6s")
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "1h"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    @AfterAll
    static void closeTheLink() {
        azureLink.close();
    }

    @Test
    void aForDownTimePlanOfTenWritingVmsSurvivesLosingAnInstanceOfEachService() throws Exception {
        azureLink.forwardTo(system.azureSimUrl());
        // The second job-service serves the same API from the same database: the plan is made and started there.
        FailbackApi secondJobService = new FailbackApi(new JobServiceAccess(system.serviceUrl("job-service-2"),
                system.jobServiceTls().trustAnchors(), system.jobServiceTls().clientContext(),
                system.issuer().contributorTokens("scale-out-test")), system.azureSimUrl());
        RecoveryPlanApi plans = new RecoveryPlanApi(secondJobService, system.serviceUrl("job-service-2"));

        Map<String, HostAgent> hostOf = new HashMap<>();
        List<List<String>> groups = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < VMS; i++) {
            String vm = "vm-scale-" + i;
            HostAgent host = i % 2 == 0 ? HOST_A : HOST_B;
            hostOf.put(vm, host);
            groups.get(i < VMS / 2 ? 0 : 1).add(vm);
            api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                    {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 0,
                     "workload": {"pattern": "RandomSmall", "writesPerSecond": 100, "writeSizeBytes": 4096, "seed": %d}}"""
                    .formatted(vm, DISK_BYTES, 700 + i, 700 + i), 201);
        }
        for (HostAgent host : List.of(HOST_A, HOST_B)) {
            api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        }
        for (String vm : hostOf.keySet()) {
            HostAgent host = hostOf.get(vm);
            api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
        }
        plans.createBootOrderPlan("plan-scale-out", groups);

        // Phase 1 sends every disk whole (no host has the VMs yet), paced so that it lasts COPY_TIME.
        azureLink.slowLink(VMS * DISK_BYTES * 1000 / COPY_TIME.toMillis());
        String planJob = plans.start("plan-scale-out", "plannedFailover", FAILBACK_FOR_DOWNTIME);
        Map<String, String> itemJobs = awaitItemJobs(secondJobService, planJob, hostOf.keySet().stream().sorted().toList());
        Set<String> waits = awaitPhase1Sent(itemJobs.values(), VMS * DISK_BYTES / 4);
        assertTrue(waits.stream().anyMatch(wait -> wait.startsWith("Waiting: a copy slot on this sync-service instance, which runs "
                + COPIES_PER_INSTANCE + " copies at once")), "some copies waited for a slot of their sync-service instance: " + waits);
        assertTrue(waits.stream().anyMatch(wait -> wait.contains("is busy: this site serves " + COPIES_PER_HOST + " block streams at once")),
                "some copies waited for their busy host: " + waits);
        List<String> underWayOnTheDoomedInstance = runs("sync-service-2", RUN_STARTED);
        underWayOnTheDoomedInstance.removeAll(runs("sync-service-2", RUN_ENDED));
        assertTrue(!underWayOnTheDoomedInstance.isEmpty(), "sync-service-2 had items of the plan to copy when it was killed");
        system.killService("sync-service-2");
        system.killService("job-service-2");

        JsonNode suspended = api.awaitJobState(planJob, JOB_TIMEOUT, "Suspended", "Failed", "Cancelled", "Succeeded");
        assertEquals("Suspended", suspended.path("properties").path("state").asText(), suspended.toPrettyString());
        azureLink.fullSpeed();
        for (String vm : itemJobs.keySet()) {
            JsonNode itemJob = api.awaitJobState(itemJobs.get(vm), JOB_TIMEOUT, "Suspended", "Failed", "Cancelled", "Succeeded");
            assertEquals("Suspended", itemJob.path("properties").path("state").asText(), vm + ": " + itemJob.toPrettyString());
        }
        assertTrue(runs(LocalSystem.SYNC_SERVICE, RUN_STARTED).containsAll(underWayOnTheDoomedInstance),
                "the jobs sync-service-2 was running resumed on the other instance: " + underWayOnTheDoomedInstance);

        api.resume(planJob);
        JsonNode done = api.awaitJobState(planJob, JOB_TIMEOUT, "Succeeded", "Failed", "Cancelled");
        assertEquals("Succeeded", done.path("properties").path("state").asText(), done.toPrettyString());
        for (String vm : itemJobs.keySet()) {
            SystemTests.assertProven(SystemTests.succeeded(api, itemJobs.get(vm)));
            JsonNode failbacks = api.get(system.jobServiceUrl().resolve("/api/replicationJobs?scenarioName=PlannedFailover&targetObjectId=" + vm));
            assertEquals(1, failbacks.path("value").size(), vm + " has exactly one failback job: " + failbacks.toPrettyString());
            SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, hostOf.get(vm), vm, DISK_BYTES);
        }
    }

    /** The jobs whose runs the sync-service instance started, or ended, as its log says. */
    private static List<String> runs(String instance, Pattern logLine) throws java.io.IOException {
        Matcher line = logLine.matcher(Files.readString(system.logFile(instance)));
        List<String> jobs = new ArrayList<>();
        while (line.find()) {
            jobs.add(line.group(1));
        }
        return jobs;
    }

    /** The item jobs the plan job's tasks name, by item, once it has started all of them (phase 1 runs them at once). */
    private static Map<String, String> awaitItemJobs(FailbackApi jobService, String planJob, List<String> vms) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Map<String, String> jobs = SystemTests.itemJobsOfPlan(jobService.job(planJob).path("properties"));
            if (jobs.keySet().containsAll(vms)) {
                return jobs;
            }
            assertTrue(System.nanoTime() < deadline, "the plan started only " + jobs + " of " + vms);
            Thread.sleep(100);
        }
    }

    /**
     * Waits until the items' SnapshotSynchronization tasks together have sent {@code bytes}, before most ended; answers
     * what the tasks said they waited for meanwhile.
     */
    private static Set<String> awaitPhase1Sent(Iterable<String> jobs, long bytes) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Set<String> waits = new TreeSet<>();
        while (true) {
            long sent = 0;
            int ended = 0;
            for (String job : jobs) {
                for (JsonNode task : api.job(job).path("properties").path("tasks")) {
                    if (task.path("name").asText().equals("SnapshotSynchronization")) {
                        if (task.path("stateDescription").asText().startsWith("Waiting: ")) {
                            waits.add(task.path("stateDescription").asText());
                        }
                        sent += task.path("progress").path("bytesSent").asLong();
                        ended += task.path("state").asText().equals("Succeeded") ? 1 : 0;
                    }
                }
            }
            if (sent >= bytes) {
                assertTrue(ended < VMS / 2, "most copies ended before the instances could be killed: " + ended + " of " + VMS);
                return waits;
            }
            assertTrue(System.nanoTime() < deadline, "phase 1 sent only " + sent + " bytes in 120 s");
            Thread.sleep(100);
        }
    }
}
