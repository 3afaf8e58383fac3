package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #18's proof, on real processes: the failback estimate of a large VM holds within ±25% of the failback that
 * follows, after what usually misleads it. First a recovery plan of many small VMs fails back, its items' copies
 * sharing the link (each moves at a fraction of what a lone copy gets, and most wait for a copy slot); then a failback
 * is killed half-way (sync-service {@code kill -9}, the job taken up again once its lease runs out). Each time the
 * estimate of a fresh large VM is read just before its failback starts, and set against the job's own start and end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EstimateAccuracyIT {
    /** Many small VMs: more than sync-service's four copy slots, so the plan's copies share the link and queue. */
    private static final int PLAN_VMS = 12;
    private static final long SMALL_DISK_BYTES = 64L << 20;
    private static final long LARGE_DISK_BYTES = 1L << 30;
    /** The bound: the estimate within a quarter of what the failback took. */
    private static final double TOLERANCE = 0.25;
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(300);

    @RegisterExtension
    static final RunningSystem running = new RunningSystem("estimates",
            // A killed sync-service's job is given to the restarted one when its lease runs out.
            builder -> builder.environment(LocalSystem.JOB_SERVICE, "FAILBACK_JOB_LEASE", "6s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;
    private static HostAgent host;
    private static RecoveryPlanApi plans;

    @BeforeAll
    static void findTheHost() {
        host = system.hosts().get(0);
        plans = new RecoveryPlanApi(api, system.jobServiceUrl());
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
    }

    @Test
    @Order(1)
    void afterARecoveryPlanOfManySmallVmsALargeVmsEstimateHolds() throws Exception {
        List<String> vms = new ArrayList<>();
        for (int i = 0; i < PLAN_VMS; i++) {
            String vm = "vm-small-" + i;
            createInAzure(vm, SMALL_DISK_BYTES, 100 + i);
            vms.add(vm);
        }
        plans.createBootOrderPlan("plan-small", List.of(vms));
        String planJob = plans.start("plan-small", "plannedFailover", """
                {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "HyperVReplicaAzureFailback",
                  "dataSyncOption": "ForSynchronization", "recoveryVmCreationOption": "CreateVmIfNotFound"}}""");
        SystemTests.succeeded(api, planJob);

        assertLargeFailbackWithinItsEstimate("vm-large-after-plan", 201);
    }

    @Test
    @Order(2)
    void afterAFailbackKilledHalfWayALargeVmsEstimateHolds() throws Exception {
        createInAzure("vm-killed", LARGE_DISK_BYTES, 301);
        String killed = api.failbackWithFullDownload("vm-killed", "CreateVmIfNotFound");
        awaitSent(killed, "DataSynchronization", LARGE_DISK_BYTES / 2);
        system.killService(LocalSystem.SYNC_SERVICE);
        Thread.sleep(2000);
        system.startService(LocalSystem.SYNC_SERVICE);
        JsonNode done = SystemTests.succeeded(api, killed);
        // Taken up again once its lease ran out: it waited for sync-service, and went on from the host's last
        // checkpoint if the copy had reached one.
        JsonNode copy = SystemTests.task(done, "DataSynchronization");
        assertTrue(copy.path("waitedForAPart").asBoolean() || copy.path("progress").path("bytesResumed").asLong() > 0,
                "the killed failback was taken up again: " + done.toPrettyString());
        SystemTests.assertProven(done);

        assertLargeFailbackWithinItsEstimate("vm-large-after-kill", 401);
    }

    /** Reads the estimate of a fresh large VM, fails it back, and sets the job's duration against the estimate. */
    private static void assertLargeFailbackWithinItsEstimate(String vm, long seed) throws Exception {
        createInAzure(vm, LARGE_DISK_BYTES, seed);
        JsonNode estimate = api.get(system.jobServiceUrl().resolve("/api/replicationProtectedItems/" + vm + "/failbackEstimate"));
        JsonNode option = null;
        for (JsonNode candidate : estimate.path("options")) {
            if ("ForSynchronization".equals(candidate.path("dataSyncOption").asText())) {
                option = candidate;
            }
        }
        assertTrue(option != null, "the estimate has a ForSynchronization option: " + estimate.toPrettyString());
        double estimated = option.path("totalSeconds").asDouble();

        JsonNode job = SystemTests.succeeded(api, api.failbackWithFullDownload(vm, "CreateVmIfNotFound"));
        SystemTests.assertProven(job);
        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, LARGE_DISK_BYTES);
        double measured = Duration.between(Instant.parse(job.path("startTime").asText()), Instant.parse(job.path("endTime").asText()))
                .toNanos() / 1e9;
        System.out.printf("[estimates] %s: estimated %.2f s, took %.2f s (%+.0f%%); basis: %s%n", vm, estimated, measured,
                100 * (estimated - measured) / measured, estimate.path("basis").path("summary").asText());
        assertTrue(Math.abs(estimated - measured) <= TOLERANCE * measured, vm + ": estimated " + estimated + " s, the failback took "
                + measured + " s; the estimate was " + estimate.toPrettyString());
    }

    /** A running, idle VM in Azure with one disk of seeded content, recorded in job-service as failed over there. */
    private static void createInAzure(String vm, long diskBytes, long seed) {
        api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": %d, "zeroPercent": 30}"""
                .formatted(vm, diskBytes, seed), 201);
        api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));
    }

    /** Waits until the job's task has sent {@code bytes}. */
    private static void awaitSent(String job, String taskName, long bytes) throws InterruptedException {
        long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
        while (true) {
            JsonNode task = null;
            for (JsonNode candidate : api.job(job).path("properties").path("tasks")) {
                task = taskName.equals(candidate.path("name").asText()) ? candidate : task;
            }
            if (task != null) {
                assertTrue(!"Succeeded".equals(task.path("state").asText()), taskName + " ended before it could be killed: " + task);
                if (task.path("progress").path("bytesSent").asLong() >= bytes) {
                    return;
                }
            }
            assertTrue(System.nanoTime() < deadline, taskName + " of " + job + " never sent " + bytes + " bytes: " + task);
            Thread.sleep(50);
        }
    }
}
