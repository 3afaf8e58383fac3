package io.failback.system;

import static io.failback.system.SystemTests.assertProven;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's whole story for a recovery plan of three VMs in two boot groups, on real processes with a real Kafka
 * broker and PostgreSQL: once through the REST API, once through the Kafka command API alone. Every VM runs and
 * writes on-premises and is protected; the plan fails over to Azure group by group and is committed; it fails back
 * with ForDownTime while every Azure VM keeps writing (one plan job synchronizes every VM's snapshot, suspends, and one
 * Resume completes the groups in boot order: the second group's VM shuts down in Azure only once the first group's
 * VMs run on-premises); Commit deletes the Azure VMs and their disks; Reverse Replicate sends exactly the blocks each
 * VM wrote on-premises since the failback. Each step that moves data ends with every disk byte-identical on both
 * sides, checked here on the image files themselves.
 */
class RecoveryPlanIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);
    private static final String FAILOVER_TO_AZURE = "{\"failoverDirection\": \"PrimaryToRecovery\"}";
    private static final String FAILBACK_FOR_DOWNTIME = """
            {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "HyperVReplicaAzureFailback",
              "dataSyncOption": "ForDownTime", "recoveryVmCreationOption": "NoAction"}}""";
    // No ongoing replication in between (ProtectionLifecycleIT shows it): only the plan's jobs write the replicas, so
    // each replica file can be compared with what the job that wrote it proved.
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("plan",
            builder -> builder.environment(LocalSystem.JOB_SERVICE, "FAILBACK_REPLICATION_INTERVAL", "1h"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;
    private static RecoveryPlanApi plans;
    private static HostAgent host;

    /** A VM of a story: its one disk, and how it writes wherever it runs. */
    /** What a plan of protected items offers: the operations every item allows, among those a plan runs. */
    private static final String PROTECTED_PLAN_ALLOWS = "[\"PlannedFailover\",\"UnplannedFailover\",\"TestFailover\"]";

    private record Vm(String name, long diskBytes, long seed, String pattern, int writesPerSecond) {
    }

    /** How a story sends its operations and follows its jobs and items: REST, or Kafka alone. */
    private interface Operator {
        /** Enables protection of the on-premises VM; answers the EnableProtection job. */
        String enableProtection(String vm) throws Exception;

        /** Starts a plan operation ({@code PlannedFailover}, {@code FailoverCommit}, {@code Reprotect}); answers the plan job. */
        String plan(String operation, String plan, String propertiesJson) throws Exception;

        void resume(String job) throws Exception;

        /** The job's properties once it reached one of {@code states}. */
        JsonNode awaitJob(String job, String... states) throws Exception;

        /** The item's properties once they satisfy {@code condition}. */
        JsonNode awaitItem(String item, Predicate<JsonNode> condition) throws Exception;

        /** Creates the plan with one Boot group per list, in order. */
        void createPlan(String plan, List<List<String>> bootGroups) throws Exception;

        /** Checks the plan's {@code allowedOperations}. */
        void assertPlanAllows(String plan, String allowedOperations) throws Exception;
    }

    @BeforeAll
    static void findThePlansAndTheHost() {
        plans = new RecoveryPlanApi(api, system.jobServiceUrl());
        host = system.hosts().get(0);
    }

    @Test
    void theWholeStoryOfAPlanThroughRest() throws Exception {
        wholeStory("plan-rest", List.of(
                List.of(new Vm("vm-rest-db-1", 16L << 20, 31, "HotSpot", 300), new Vm("vm-rest-db-2", 24L << 20, 32, "RandomSmall", 300)),
                List.of(new Vm("vm-rest-web", 32L << 20, 33, "Sequential", 200))), new Rest());
    }

    /**
     * Every operation is a request on asr.operations answered on asr.operation-results, and every job and item is
     * followed on asr.state-changes; the plan itself is created with a PutRecoveryPlan request and followed there too.
     */
    @Test
    void theWholeStoryOfAPlanThroughKafkaCommandsAlone() throws Exception {
        try (KafkaAutomation kafka = new KafkaAutomation(system.kafkaBootstrapServers())) {
            wholeStory("plan-kafka", List.of(
                    List.of(new Vm("vm-kafka-db-1", 8L << 20, 41, "RandomSmall", 300), new Vm("vm-kafka-db-2", 16L << 20, 42, "HotSpot", 300)),
                    List.of(new Vm("vm-kafka-web", 24L << 20, 43, "Sequential", 200))), new Kafka(kafka));
        }
    }

    private static void wholeStory(String plan, List<List<Vm>> groups, Operator operator) throws Exception {
        List<Vm> vms = groups.stream().flatMap(List::stream).toList();

        // Protect: every VM runs and writes on-premises; initial replication of a snapshot of each, proven.
        for (Vm vm : vms) {
            SystemTests.startOnPremisesVm(system, api, host, vm.name(), vm.diskBytes(), vm.seed(), vm.pattern(), vm.writesPerSecond());
        }
        Map<String, String> protections = new HashMap<>();
        for (Vm vm : vms) {
            protections.put(vm.name(), operator.enableProtection(vm.name()));
        }
        for (Vm vm : vms) {
            JsonNode enabled = succeeded(operator, protections.get(vm.name()));
            assertEquals("EnableProtection", enabled.path("scenarioName").asText());
            assertProven(enabled);
            assertEquals(verification(enabled).path("targetDigest").asText(), SystemTests.diskDigest(replicaDisk(vm)),
                    vm.name() + ": the replica holds the snapshot the job proved");
            operator.awaitItem(vm.name(), item -> is(item, "Protected", "Primary"));
        }
        operator.createPlan(plan, groups.stream().map(group -> group.stream().map(Vm::name).toList()).toList());
        operator.assertPlanAllows(plan, PROTECTED_PLAN_ALLOWS);

        // Planned failover to Azure, group by group: each VM shuts down on-premises, its last changes replicate, it
        // starts in Azure from the replica, which holds exactly the on-premises disk as it was at shutdown.
        JsonNode failover = succeeded(operator, operator.plan("PlannedFailover", plan, FAILOVER_TO_AZURE));
        assertEquals("RecoveryPlanPlannedFailover", failover.path("scenarioName").asText());
        assertGroupsRanInOrder(failover, groups);
        Map<String, JsonNode> failovers = itemJobs(operator, failover, vms, "PlannedFailover");
        Map<String, String> atFailover = new HashMap<>();
        for (Vm vm : vms) {
            JsonNode itemJob = failovers.get(vm.name());
            assertEquals("PrimaryToRecovery", itemJob.path("customDetails").path("failoverDirection").asText());
            assertProven(itemJob);
            assertEquals("Off", api.get(hostVm(vm)).path("state").asText(), vm.name());
            String onPremises = SystemTests.diskDigest(onPremisesDisk(vm));
            assertEquals(onPremises, verification(itemJob).path("targetDigest").asText(), vm.name());
            assertEquals(onPremises, SystemTests.diskDigest(replicaDisk(vm)), vm.name() + ": the replica is the on-premises disk at shutdown");
            atFailover.put(vm.name(), onPremises);
            assertEquals("Running", api.get(azureVm(vm)).path("state").asText(), vm.name());
            operator.awaitItem(vm.name(), item -> is(item, "PlannedFailoverCommitRequired", "Recovery"));
        }
        SystemTests.assertDataPlaneInBootOrder(names(groups), failovers, "FailoverToAzure", "ShutdownOnPremisesVm");

        JsonNode committedInAzure = succeeded(operator, operator.plan("FailoverCommit", plan, null));
        assertGroupsRanInOrder(committedInAzure, groups);
        itemJobs(operator, committedInAzure, vms, "FailoverCommit");
        for (Vm vm : vms) {
            operator.awaitItem(vm.name(), item -> is(item, "FailoverCompleted", "Recovery"));
        }
        operator.assertPlanAllows(plan, "[\"PlannedFailover\"]");

        // Failback with ForDownTime while every Azure VM keeps writing: phase 1 for every VM at once, one suspension.
        for (Vm vm : vms) {
            api.send("PUT", URI.create(azureVm(vm) + "/workload"), """
                    {"pattern": "%s", "writesPerSecond": 400, "writeSizeBytes": 8192, "seed": %d}""".formatted(vm.pattern(), vm.seed() + 100), 200);
        }
        String failback = operator.plan("PlannedFailover", plan, FAILBACK_FOR_DOWNTIME);
        JsonNode suspended = operator.awaitJob(failback, "Suspended", "Failed", "Cancelled", "Succeeded");
        assertEquals("Suspended", suspended.path("state").asText(), suspended.toPrettyString());
        assertEquals("Succeeded", SystemTests.task(suspended, "SnapshotSynchronization").path("state").asText());
        assertTrue(suspended.path("allowedActions").toString().contains("Resume"), suspended.toPrettyString());
        for (Vm vm : vms) {
            JsonNode itemJob = operator.awaitJob(itemJobName(suspended, vm), "Suspended", "Failed", "Cancelled", "Succeeded");
            assertEquals("Suspended", itemJob.path("state").asText(), vm.name() + ": " + itemJob.toPrettyString());
            assertEquals("Succeeded", SystemTests.task(itemJob, "SnapshotSynchronization").path("state").asText(), vm.name());
            assertEquals("Running", api.get(azureVm(vm)).path("state").asText(), vm.name());
            assertEquals(409, api.exchange("POST", URI.create(hostVm(vm) + "/start"), "").statusCode(),
                    vm.name() + ": a half-synchronized on-premises VM may not boot");
        }
        for (Vm vm : vms) {
            SystemTests.awaitNextWrite(api, URI.create(azureVm(vm) + "/disks/disk-0")); // written after its snapshot
        }

        operator.resume(failback);
        JsonNode failedBack = succeeded(operator, failback);
        assertGroupsRanInOrder(failedBack, groups);
        Map<String, JsonNode> failbacks = itemJobs(operator, failedBack, vms, "PlannedFailover");
        SystemTests.assertDataPlaneInBootOrder(names(groups), failbacks, "StartOnPremisesVm", "ShutdownAzureVm");
        Map<String, String> atFailback = new HashMap<>();
        for (Vm vm : vms) {
            JsonNode itemJob = failbacks.get(vm.name());
            assertEquals("RecoveryToPrimary", itemJob.path("customDetails").path("failoverDirection").asText());
            assertProven(itemJob);
            assertTrue(SystemTests.task(itemJob, "FinalDeltaSynchronization").path("progress").path("bytesToSend").asLong() > 0,
                    vm.name() + " wrote in Azure after its snapshot, and phase 2 sent that");
            String azure = SystemTests.diskDigest(azureDisk(vm));
            assertEquals(azure, verification(itemJob).path("sourceDigest").asText(), vm.name() + ": the proof is the Azure disk at shutdown");
            atFailback.put(vm.name(), azure);
            SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm.name(), vm.diskBytes());
            operator.awaitItem(vm.name(), item -> is(item, "PlannedFailoverCommitRequired", "Primary"));
        }

        // Commit: every Azure VM and its disks are deleted; Azure keeps each disk's final state as the replica.
        JsonNode committed = succeeded(operator, operator.plan("FailoverCommit", plan, null));
        assertGroupsRanInOrder(committed, groups);
        itemJobs(operator, committed, vms, "FailoverCommit");
        for (Vm vm : vms) {
            assertFalse(api.exists(azureVm(vm)), vm.name() + ": Commit deletes the Azure VM");
            assertFalse(azureDisk(vm).toFile().exists(), vm.name() + ": and its disk");
            assertEquals(atFailback.get(vm.name()), SystemTests.diskDigest(replicaDisk(vm)), vm.name() + ": the replica is the Azure disk at shutdown");
            JsonNode item = operator.awaitItem(vm.name(), i -> is(i, "FailoverCompleted", "Primary"));
            assertEquals("[\"ReverseReplicate\",\"DisableProtection\"]", item.path("allowedOperations").toString(), vm.name());
        }
        operator.assertPlanAllows(plan, "[\"ReverseReplicate\"]");

        // The VMs run and write on-premises; Reverse Replicate then sends exactly what each wrote since the failback.
        Map<String, Long> written = new HashMap<>();
        for (Vm vm : vms) {
            written.put(vm.name(), SystemTests.writeOnPremisesSinceFailback(system, api, host, vm.name()));
        }
        JsonNode reprotected = succeeded(operator, operator.plan("Reprotect", plan, null));
        assertEquals("RecoveryPlanReprotect", reprotected.path("scenarioName").asText());
        assertGroupsRanInOrder(reprotected, groups);
        Map<String, JsonNode> reprotections = itemJobs(operator, reprotected, vms, "Reprotect");
        for (Vm vm : vms) {
            JsonNode itemJob = reprotections.get(vm.name());
            assertProven(itemJob);
            assertEquals(written.get(vm.name()), SystemTests.task(itemJob, "ReplicateToAzure").path("progress").path("bytesToSend").asLong(),
                    vm.name() + ": Reverse Replicate sends only the blocks written on-premises since the failback");
            String onPremises = SystemTests.diskDigest(onPremisesDisk(vm));
            assertEquals(onPremises, verification(itemJob).path("targetDigest").asText(), vm.name());
            assertEquals(onPremises, SystemTests.diskDigest(replicaDisk(vm)), vm.name() + ": the replica is the on-premises disk");
            assertNotEquals(atFailover.get(vm.name()), onPremises, vm.name() + " changed since it failed over to Azure");
            operator.awaitItem(vm.name(), item -> is(item, "Protected", "Primary"));
        }
        operator.assertPlanAllows(plan, PROTECTED_PLAN_ALLOWS);
    }

    /** The plan job's item jobs, each ended, succeeded and of {@code scenario}, by item name. */
    private static Map<String, JsonNode> itemJobs(Operator operator, JsonNode planJob, List<Vm> vms, String scenario) throws Exception {
        Map<String, JsonNode> jobs = new HashMap<>();
        for (Vm vm : vms) {
            JsonNode job = succeeded(operator, itemJobName(planJob, vm));
            assertEquals(scenario, job.path("scenarioName").asText(), job.toPrettyString());
            assertEquals(vm.name(), job.path("targetObjectId").asText());
            jobs.put(vm.name(), job);
        }
        return jobs;
    }

    /** The item job that the plan job's task for {@code vm} names. */
    private static String itemJobName(JsonNode planJob, Vm vm) {
        String job = SystemTests.itemJobsOfPlan(planJob).get(vm.name());
        assertTrue(job != null, "the plan's task for " + vm.name() + " names its item job: " + planJob.path("tasks").toPrettyString());
        return job;
    }

    /** Every task of the plan job succeeded, and each group's item tasks started only once the group before ended. */
    private static void assertGroupsRanInOrder(JsonNode planJob, List<List<Vm>> groups) {
        for (JsonNode task : planJob.path("tasks")) {
            assertEquals("Succeeded", task.path("state").asText(), task.toPrettyString());
        }
        for (int g = 1; g < groups.size(); g++) {
            Instant previousEnded = Instant.parse(SystemTests.task(planJob, "Group" + g).path("endTime").asText());
            for (Vm vm : groups.get(g)) {
                Instant started = Instant.parse(SystemTests.task(planJob, "Group" + (g + 1) + "/" + vm.name()).path("startTime").asText());
                assertFalse(started.isBefore(previousEnded), vm.name() + " started before group " + g + " ended: "
                        + planJob.path("tasks").toPrettyString());
            }
        }
    }

    private static List<List<String>> names(List<List<Vm>> groups) {
        return groups.stream().map(group -> group.stream().map(Vm::name).toList()).toList();
    }

    private static JsonNode succeeded(Operator operator, String job) throws Exception {
        JsonNode ended = operator.awaitJob(job, "Succeeded", "Failed", "Cancelled");
        assertEquals("Succeeded", ended.path("state").asText(), ended.toPrettyString());
        return ended;
    }

    private static boolean is(JsonNode item, String protectionState, String activeLocation) {
        return protectionState.equals(item.path("protectionState").asText()) && activeLocation.equals(item.path("activeLocation").asText())
                && !item.hasNonNull("currentScenario");
    }

    private static JsonNode verification(JsonNode job) {
        return job.path("customDetails").path("verifications").get(0);
    }


    private static URI hostVm(Vm vm) {
        return system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm.name());
    }

    private static URI azureVm(Vm vm) {
        return system.azureSimUrl().resolve("/api/vms/" + vm.name());
    }

    private static Path onPremisesDisk(Vm vm) {
        return system.hostStorageDir(host.id()).resolve("vms/" + vm.name() + "/disk-0.img");
    }

    private static Path azureDisk(Vm vm) {
        return system.azureStorageDir().resolve("vms/" + vm.name() + "/disk-0.img");
    }

    /** The item's replica storage in Azure (not sealed: the cloud does not encrypt here). */
    private static Path replicaDisk(Vm vm) {
        return system.azureStorageDir().resolve("replicas/" + vm.name() + "/disk-0.img");
    }

    /** Operations and reads through job-service's REST API. */
    private static final class Rest implements Operator {
        @Override
        public String enableProtection(String vm) {
            return api.enableProtection(vm, host.id(), host.virtualSwitches().get(0)).path("properties").path("currentScenario")
                    .path("jobId").asText();
        }

        @Override
        public String plan(String operation, String plan, String propertiesJson) {
            String path = Character.toLowerCase(operation.charAt(0)) + operation.substring(1); // plannedFailover, failoverCommit, reprotect
            return plans.start(plan, path, propertiesJson);
        }

        @Override
        public void resume(String job) {
            api.resume(job);
        }

        @Override
        public JsonNode awaitJob(String job, String... states) {
            return api.awaitJobState(job, JOB_TIMEOUT, states).path("properties");
        }

        @Override
        public JsonNode awaitItem(String item, Predicate<JsonNode> condition) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            JsonNode properties = api.item(item).path("properties");
            while (!condition.test(properties)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("item " + item + " is not as expected: " + properties.toPrettyString());
                }
                Thread.sleep(250);
                properties = api.item(item).path("properties");
            }
            return properties;
        }

        @Override
        public void createPlan(String plan, List<List<String>> bootGroups) {
            plans.createBootOrderPlan(plan, bootGroups);
        }

        @Override
        public void assertPlanAllows(String plan, String allowedOperations) {
            assertEquals(allowedOperations, plans.get(plan).path("properties").path("allowedOperations").toString(), plan);
        }
    }

    /** Operations as requests on asr.operations; jobs and items as published on asr.state-changes. */
    private record Kafka(KafkaAutomation kafka) implements Operator {
        @Override
        public String enableProtection(String vm) throws Exception {
            return kafka.request("EnableProtection", vm, """
                    {"activeLocation": "Primary", "primaryProviderId": "%s", "primaryVirtualSwitchName": "%s"}"""
                    .formatted(host.id(), host.virtualSwitches().get(0)));
        }

        @Override
        public String plan(String operation, String plan, String propertiesJson) throws Exception {
            return kafka.request("RecoveryPlan" + operation, plan, propertiesJson);
        }

        @Override
        public void resume(String job) throws Exception {
            assertEquals(job, kafka.request("ResumeJob", job, null));
        }

        @Override
        public JsonNode awaitJob(String job, String... states) throws Exception {
            return kafka.awaitJob(job, JOB_TIMEOUT, states);
        }

        @Override
        public JsonNode awaitItem(String item, Predicate<JsonNode> condition) throws Exception {
            return kafka.awaitItem(item, condition, Duration.ofSeconds(60));
        }

        @Override
        public void createPlan(String plan, List<List<String>> bootGroups) throws Exception {
            String groups = bootGroups.stream()
                    .map(items -> items.stream().map(item -> "{\"id\": \"" + item + "\"}").collect(java.util.stream.Collectors.joining(", ",
                            "{\"groupType\": \"Boot\", \"replicationProtectedItems\": [", "]}")))
                    .collect(java.util.stream.Collectors.joining(", "));
            kafka.request("PutRecoveryPlan", plan, "{\"groups\": [" + groups + "]}");
        }

        /** The plan as last published on asr.state-changes: each time its row changes, with its allowed operations then. */
        @Override
        public void assertPlanAllows(String plan, String allowedOperations) throws Exception {
            kafka.awaitPlan(plan, properties -> allowedOperations.equals(properties.path("allowedOperations").toString()),
                    Duration.ofSeconds(60));
        }
    }
}
