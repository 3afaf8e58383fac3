package io.failback.jobs;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.ProviderHeartbeat;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The failback estimate, over the REST API, from azure-sim's metrics (played by {@link AzureSimStandIn}: a 4 GiB disk
 * of which 57% holds data, 1% written since its last shutdown) and from the finished failbacks in PostgreSQL, written
 * here as job-service writes them. Each test uses a host of its own: the estimate learns from failbacks to the item's
 * host. The expected figures are the model's as README.md ("Failback estimates") documents it.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
@WithTestResource(value = AzureSimStandIn.class, scope = TestResourceScope.GLOBAL)
class FailbackEstimateTest {
    private static final long DISK = AzureSimStandIn.SHAPED_DISK_BYTES;
    private static final long DATA = AzureSimStandIn.SHAPED_DATA_BYTES;
    private static final long BLOCK = AzureSimStandIn.SHAPED_BLOCK_SIZE;
    /** The benchmark's defaults (README.md): per phase, and per step. */
    private static final double CONTROL = 0.12;
    private static final double SNAPSHOT_PHASE_CONTROL = 0.10;
    private static final double FINAL_PHASE_CONTROL = 0.06;
    private static final double PREPARE = 0.03;
    private static final double SHUTDOWN = 0.02;
    private static final double START = 0.02;
    private static final double DEFAULT_FULL_COPY = 0.1 + DATA / 400e6 + (DISK - DATA) / 10e9;
    private static final double DEFAULT_FULL_DOWNLOAD = CONTROL + PREPARE + SHUTDOWN + DEFAULT_FULL_COPY + START;

    @Inject
    Pool database;

    @Test
    void aHostWithoutFailbacksGetsTheBenchmarksFiguresAndSaysSo() {
        JsonPath estimate = estimate(registered("host-est-new", "shaped-new"));

        assertEquals(DISK, estimate.getLong("diskBytes"));
        assertEquals(DATA, estimate.getLong("dataBytes"));
        assertEquals(AzureSimStandIn.SHAPED_WRITTEN_SINCE_SHUTDOWN, estimate.getLong("blocksToSendInPhase1"));
        assertEquals(0, estimate.getInt("basis.runs"));
        assertTrue(estimate.getString("basis.summary").contains("benchmark"), estimate.prettify());

        Map<String, Object> full = option(estimate, "ForSynchronization");
        assertSeconds(DEFAULT_FULL_DOWNLOAD, full.get("totalSeconds"));
        assertSeconds(DEFAULT_FULL_DOWNLOAD - PREPARE, full.get("downtimeSeconds"));
        assertEquals(DISK, ((Number) full.get("bytesToSend")).longValue());

        Map<String, Object> delta = option(estimate, "ForDownTime");
        long differing = AzureSimStandIn.SHAPED_WRITTEN_SINCE_SHUTDOWN * BLOCK;
        long changed = AzureSimStandIn.SHAPED_CHANGED_BYTES_SINCE_SHUTDOWN;
        double phase1 = SNAPSHOT_PHASE_CONTROL + PREPARE + 0.04 + DISK / 150e9 + changed / 175e6;
        double phase2 = FINAL_PHASE_CONTROL + SHUTDOWN + 0.045 + START; // the VM does not write: nothing to send in phase 2
        assertSeconds(phase1, delta.get("phase1Seconds"));
        assertSeconds(phase2, delta.get("phase2Seconds"));
        assertSeconds(phase2, delta.get("downtimeSeconds"));
        assertSeconds(phase1 + phase2, delta.get("totalSeconds"));
        assertEquals(changed, ((Number) delta.get("bytesToSend")).longValue());

        // Without runs of its own, the estimate is not sure of much: a machine may be twice as fast or slow.
        assertTrue(((Number) full.get("totalUncertaintySeconds")).doubleValue() > 0.5 * DEFAULT_FULL_COPY, estimate.prettify());
        assertTrue(((Number) delta.get("downtimeUncertaintySeconds")).doubleValue() > 0, estimate.prettify());
    }

    @Test
    @SuppressWarnings("unchecked")
    void blocksWrittenInPartSendTheirPagesAndCostTheirComparisonInPhase1() {
        JsonPath estimate = estimate(registered("host-est-pages", AzureSimStandIn.SMALL_WRITES_PREFIX + "est"));

        Map<String, Object> delta = option(estimate, "ForDownTime");
        long differing = AzureSimStandIn.SHAPED_WRITTEN_SINCE_SHUTDOWN * BLOCK;
        long changed = AzureSimStandIn.SMALL_WRITES_CHANGED_BYTES_SINCE_SHUTDOWN;
        assertEquals(changed, ((Number) delta.get("bytesToSend")).longValue(), "only the pages travel");
        // The differing blocks are compared page by page on both sites: what that costs beyond the pages sent.
        double phase1 = SNAPSHOT_PHASE_CONTROL + PREPARE + 0.04 + DISK / 150e9 + changed / 175e6 + (differing - changed) / 1.9e9;
        assertSeconds(phase1, delta.get("phase1Seconds"));
        Map<String, Object> rates = (Map<String, Object>) step(estimate, "SnapshotSynchronization").get("bytesPerSecond");
        assertEquals(java.util.Set.of("listed", "sent", "compared"), rates.keySet());
    }

    @Test
    void finishedFailbacksToTheHostSetTheFiguresOfTheNextEstimate() {
        String item = registered("host-est-learn", "shaped-learn");
        Instant at = Instant.now().minus(Duration.ofHours(2));
        // A full download of the same disk that went nearly twice as fast as the benchmark's, and a delta at 1%.
        String fullDownload = insertJob("est-learn-full", "host-est-learn", "ForSynchronization", "Succeeded", 1, DATA, at, 0.12, List.of(
                task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", 0.03, null, false),
                task("ShutdownAzureVm", 0.02, null, false), task("DataSynchronization", 6.0, progress(DISK, DISK, DISK, 0), false),
                task("StartOnPremisesVm", 0.03, null, false)));
        String delta = insertJob("est-learn-delta", "host-est-learn", "ForDownTime", "Succeeded", 2, null, at.plusSeconds(600), 0.2, List.of(
                task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", 0.03, null, false),
                task("SnapshotSynchronization", 0.5, progress(DISK, DISK + 655 * BLOCK, 655 * BLOCK, 0), false),
                task("ShutdownAzureVm", 0.02, null, false), task("FinalDeltaSynchronization", 0.05, progress(DISK, 0, 0, 0), false),
                task("StartOnPremisesVm", 0.03, null, false)));

        JsonPath estimate = estimate(item);
        assertEquals(2, estimate.getInt("basis.runs"), estimate.prettify());
        assertEquals(List.of(delta, fullDownload), estimate.getList("basis.measuredFrom"));
        Duration sinceDeltaStarted = Duration.between(at.plusSeconds(600), Instant.parse(estimate.getString("basis.newestRun")));
        assertTrue(!sinceDeltaStarted.isNegative() && sinceDeltaStarted.getSeconds() < 5, "the delta's end: " + estimate.prettify());

        // The fixed steps are the medians of their runs and of their default counted twice: one run's 0.12 s outside the
        // tasks does not move the default 0.25 s; the two runs of each task step meet the default half-way. The copy's
        // rate is the run's, the prior barely pulling on a run as large as the one estimated.
        double control = CONTROL;
        double prepare = (PREPARE + 0.03) / 2;
        double shutdown = (SHUTDOWN + 0.02) / 2;
        double start = (START + 0.03) / 2;
        assertEquals(control, ((Number) step(estimate, "control").get("fixedSeconds")).doubleValue(), 0.001);
        Map<String, Object> full = option(estimate, "ForSynchronization");
        assertEquals(control + prepare + shutdown + 6.0 + start, ((Number) full.get("totalSeconds")).doubleValue(), 0.05, estimate.prettify());
        Map<String, Object> forDownTime = option(estimate, "ForDownTime");
        // The delta recorded no suspension and resumption (a job from before V6): its phases' time outside the tasks
        // stays the defaults'.
        assertEquals(SNAPSHOT_PHASE_CONTROL + prepare + 0.5, ((Number) forDownTime.get("phase1Seconds")).doubleValue(), 0.05,
                estimate.prettify());
        // Phase 2 sent nothing: that run speaks of its fixed cost only, between the default 0.045 s and the 0.05 s it took.
        double phase2 = ((Number) forDownTime.get("phase2Seconds")).doubleValue();
        double steps = FINAL_PHASE_CONTROL + shutdown + start;
        assertTrue(phase2 >= steps + 0.045 - 0.01 && phase2 <= steps + 0.05 + 0.01, estimate.prettify());
        // Learned from a run like it, the estimate is surer than the defaults.
        assertTrue(((Number) full.get("totalUncertaintySeconds")).doubleValue() < 0.25 * DEFAULT_FULL_COPY, estimate.prettify());
        Map<String, Object> copyStep = step(estimate, "DataSynchronization");
        assertEquals(1, copyStep.get("runs"));
    }

    @Test
    void eachPhaseOfForDownTimeLearnsItsOwnTimeOutsideItsTasks() {
        String item = registered("host-est-phases", "shaped-phases");
        Instant at = Instant.now().minus(Duration.ofHours(3));
        // Three failbacks whose phase 1 spent 0.04 s outside its tasks and phase 2 0.02 s, after a minute suspended; and
        // a full download that spent 0.3 s there, which teaches neither phase.
        for (int i = 0; i < 3; i++) {
            insertForDownTimeJob("est-phases-" + i, "host-est-phases", at.plusSeconds(600L * i), 0.04, 0.02);
        }
        insertJob("est-phases-full", "host-est-phases", "ForSynchronization", "Succeeded", 1, DATA, at.plusSeconds(2400), 0.3,
                fullDownloadTasks(6.0, 0, false));

        JsonPath estimate = estimate(item);
        assertEquals(0.04, ((Number) step(estimate, "controlSnapshotPhase").get("fixedSeconds")).doubleValue(), 0.001, estimate.prettify());
        assertEquals(3, step(estimate, "controlSnapshotPhase").get("runs"));
        assertEquals(0.02, ((Number) step(estimate, "controlFinalPhase").get("fixedSeconds")).doubleValue(), 0.001, estimate.prettify());
        // The full download's one run and the default counted twice: the default.
        assertEquals(CONTROL, ((Number) step(estimate, "control").get("fixedSeconds")).doubleValue(), 0.001, estimate.prettify());
        Map<String, Object> forDownTime = option(estimate, "ForDownTime");
        double phase2 = ((Number) forDownTime.get("phase2Seconds")).doubleValue();
        double finalDelta = ((Number) step(estimate, "FinalDeltaSynchronization").get("fixedSeconds")).doubleValue();
        assertEquals(0.02 + SHUTDOWN + finalDelta + START, phase2, 0.015, estimate.prettify());
    }

    @Test
    void aForDownTimeFailbackThatRanRecordsItsPhasesAndTeachesTheirTimeOutsideTheTasks() {
        String host = "host-est-flow";
        String item = registered(host, "shaped-flow");
        String job = given().contentType(ContentType.JSON).body("""
                        {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                          "instanceType": "HyperVReplicaAzureFailback", "dataSyncOption": "ForDownTime",
                          "recoveryVmCreationOption": "CreateVmIfNotFound"}}}""")
                .post("/api/replicationProtectedItems/" + item + "/plannedFailover").then().statusCode(202).extract().path("name");
        // Phase 1 as sync-service reports it, then the suspension.
        String phase1 = commandOf(job, false);
        runTasks(item, job, phase1, 1, SyncTask.PrepareOnPremisesVm, SyncTask.SnapshotSynchronization);
        sendEvent(item, job, phase1, SyncEvent.Type.SyncSuspended, null, 5, new DeltaCheckpoint("snap-flow", Map.of("disk-0", 7L)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Suspended")));
        registered(host, "shaped-flow-next"); // a fresh heartbeat for Resume, and the item the estimate is read for
        given().post("/api/replicationJobs/" + job + "/resume").then().statusCode(202);
        String phase2 = commandOf(job, true);
        runTasks(item, job, phase2, 10, SyncTask.ShutdownAzureVm, SyncTask.FinalDeltaSynchronization, SyncTask.StartOnPremisesVm);
        sendEvent(item, job, phase2, SyncEvent.Type.SyncSucceeded, null, 20, null);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationJobs/" + job).then()
                .body("properties.state", equalTo("Succeeded")));

        JsonPath estimate = estimate("shaped-flow-next");
        assertEquals(1, step(estimate, "controlSnapshotPhase").get("runs"), estimate.prettify());
        assertEquals(1, step(estimate, "controlFinalPhase").get("runs"), estimate.prettify());
        assertEquals(0, step(estimate, "control").get("runs"), "a ForDownTime failback teaches no full download's: " + estimate.prettify());
    }

    @Test
    void cancelledFailedInterruptedWaitingAndResumedRunsTeachNothing() {
        String item = registered("host-est-ignored", "shaped-ignored");
        Instant at = Instant.now().minus(Duration.ofHours(1));
        List<String> ignored = new ArrayList<>();
        // Each copy took 1 s where the benchmark's takes 24: any of them that taught would show.
        ignored.add(insertJob("est-cancelled", "host-est-ignored", "ForSynchronization", "Cancelled", 1, DATA, at, 0.2,
                fullDownloadTasks(1.0, 0, false)));
        ignored.add(insertJob("est-failed", "host-est-ignored", "ForSynchronization", "Failed", 1, DATA, at.plusSeconds(60), 0.2,
                fullDownloadTasks(1.0, 0, false)));
        // Given back to sync-service after it went silent (a second command), so its times include the silence.
        ignored.add(insertJob("est-redriven", "host-est-ignored", "ForSynchronization", "Succeeded", 2, DATA, at.plusSeconds(120), 0.2,
                fullDownloadTasks(1.0, 0, false)));
        String waited = insertJob("est-waited", "host-est-ignored", "ForSynchronization", "Succeeded", 1, DATA, at.plusSeconds(180), 0.25,
                fullDownloadTasks(1.0, 0, true));
        String resumed = insertJob("est-resumed", "host-est-ignored", "ForSynchronization", "Succeeded", 1, DATA, at.plusSeconds(240), 0.25,
                fullDownloadTasks(1.0, DISK / 2, false));

        JsonPath estimate = estimate(item);
        List<String> learnedFrom = estimate.getList("basis.measuredFrom");
        for (String job : ignored) {
            assertFalse(learnedFrom.contains(job), job + " taught: " + estimate.prettify());
        }
        // The waiting and the resumed one teach their other steps (which took the defaults' time here), not the copy.
        assertEquals(List.of(resumed, waited), learnedFrom);
        assertEquals(0, step(estimate, "DataSynchronization").get("runs"));
        assertSeconds(DEFAULT_FULL_DOWNLOAD, option(estimate, "ForSynchronization").get("totalSeconds"));
    }

    @Test
    void aTinyDisksFailbackDoesNotSetTheRatesOfALargeOne() {
        String item = registered("host-est-tiny", "shaped-tiny");
        long tiny = 64L << 20;
        long tinyData = tiny * 57 / 100;
        // The benchmark's warm-up: a 64 MiB full download in 0.12 s, twice as fast as the defaults say (0.26 s); the
        // first job after a start, it spent 1.5 s outside its tasks (JIT cold, Kafka's partitions new).
        insertJob("est-tiny", "host-est-tiny", "ForSynchronization", "Succeeded", 1, tinyData, Instant.now().minusSeconds(600), 1.5, List.of(
                task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", PREPARE, null, false),
                task("ShutdownAzureVm", SHUTDOWN, null, false), task("DataSynchronization", 0.12, progress(tiny, tiny, tiny, 0), false),
                task("StartOnPremisesVm", START, null, false)));

        JsonPath estimate = estimate(item);
        assertEquals(CONTROL, ((Number) step(estimate, "control").get("fixedSeconds")).doubleValue(), 0.001, "one odd run does not move it");
        double total = ((Number) option(estimate, "ForSynchronization").get("totalSeconds")).doubleValue();
        assertTrue(total > 0.8 * DEFAULT_FULL_DOWNLOAD && total <= DEFAULT_FULL_DOWNLOAD + 0.01,
                "the 4 GiB estimate stays near the defaults (" + DEFAULT_FULL_DOWNLOAD + " s), not a quarter of them: " + total);
    }

    @Test
    void copiesSideBySideTeachTheLinksThroughputTogetherNotEachCopysShare() {
        String item = registered("host-est-shared", "shaped-shared");
        Instant at = Instant.now().minus(Duration.ofMinutes(30));
        // A plan's eight copies of 512 MiB disks side by side, started half a second apart: each took 8 s (67 MB/s), the
        // link moved all 4 GiB in the 11.5 s from the first's start to the last's end (373 MB/s together).
        long disk = DISK / 8;
        long data = DATA / 8;
        List<String> plan = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            plan.add(insertJob("est-shared-" + i, "host-est-shared", "ForSynchronization", "Succeeded", 1, data,
                    at.plusMillis(500L * i), 0.1, List.of(task("PrerequisitesCheck", 0, null, false),
                            task("PrepareOnPremisesVm", PREPARE, null, false), task("ShutdownAzureVm", SHUTDOWN, null, false),
                            task("DataSynchronization", 8.0, progress(disk, disk, disk, 0), false), task("StartOnPremisesVm", START, null, false))));
        }

        JsonPath estimate = estimate(item);
        assertEquals(1, estimate.getInt("basis.copyPeriods"), estimate.prettify());
        assertEquals(8, estimate.getInt("basis.copiesLearnedFrom"), estimate.prettify());
        assertTrue(estimate.getString("basis.summary").contains("up to 8 at once"), estimate.prettify());
        assertEquals(1, step(estimate, "DataSynchronization").get("runs"));
        // Side by side, none ran alone: their fixed steps teach nothing (each waited behind the others for the host).
        assertEquals(0, step(estimate, "control").get("runs"), estimate.prettify());
        assertEquals(0, step(estimate, "PrepareOnPremisesVm").get("runs"), estimate.prettify());
        // The one 4 GiB disk's copy takes what the link took for the eight's 4 GiB, less part of the seven more copies'
        // fixed costs: not 8 s (one copy's time) nor 64 s (8 × 8 s at one copy's rate).
        double copy = ((Number) option(estimate, "ForSynchronization").get("totalSeconds")).doubleValue() - (CONTROL + PREPARE + SHUTDOWN + START);
        assertTrue(copy > 9.5 && copy < 11.5, copy + " s: " + estimate.prettify());
    }

    @Test
    void aPeriodWithAnInterruptedCopyTeachesNothingOfTheLinkEvenForTheCopiesBesideIt() {
        String item = registered("host-est-spoiled", "shaped-spoiled");
        Instant at = Instant.now().minus(Duration.ofMinutes(40));
        // Two copies side by side, one of them given back to sync-service (its time includes the silence): 1 s each,
        // where the benchmark's takes 6.
        insertJob("est-spoiled-ok", "host-est-spoiled", "ForSynchronization", "Succeeded", 1, DATA, at, 0.1, fullDownloadTasks(1.0, 0, false));
        insertJob("est-spoiled-redriven", "host-est-spoiled", "ForSynchronization", "Succeeded", 2, DATA, at.plusMillis(300), 0.1,
                fullDownloadTasks(1.0, 0, false));

        JsonPath estimate = estimate(item);
        assertEquals(0, estimate.getInt("basis.copyPeriods"), estimate.prettify());
        assertEquals(0, step(estimate, "DataSynchronization").get("runs"));
        assertSeconds(DEFAULT_FULL_DOWNLOAD, option(estimate, "ForSynchronization").get("totalSeconds"));
    }

    @Test
    void aLinkThatChangedSpeedIsLearnedFromItsFirstPeriodAtTheNewSpeed() {
        String item = registered("host-est-changed", "shaped-changed");
        Instant at = Instant.now().minus(Duration.ofMinutes(50));
        // Three full downloads of the disk at 6 s each, then the host moved behind a slower link: one at 18 s.
        for (int i = 0; i < 3; i++) {
            insertJob("est-changed-fast-" + i, "host-est-changed", "ForSynchronization", "Succeeded", 1, DATA, at.plusSeconds(60L * i), 0.1,
                    fullDownloadTasks(6.0, 0, false));
        }
        String slow = insertJob("est-changed-slow", "host-est-changed", "ForSynchronization", "Succeeded", 1, DATA, at.plusSeconds(300),
                0.1, fullDownloadTasks(18.0, 0, false));

        JsonPath estimate = estimate(item);
        assertEquals(1, estimate.getInt("basis.copyPeriods"), "the older periods are left out: " + estimate.prettify());
        assertTrue(estimate.getString("basis.summary").contains("the link changed"), estimate.prettify());
        assertEquals(slow, estimate.getList("basis.measuredFrom").get(0));
        // The estimate follows the new speed, not the average of four periods (9 s).
        double copy = ((Number) option(estimate, "ForSynchronization").get("totalSeconds")).doubleValue() - (CONTROL + PREPARE + SHUTDOWN + START);
        assertTrue(copy > 15 && copy < 19, copy + " s: " + estimate.prettify());
    }

    @Test
    void copiesUnderWayToTheHostShareTheLinkWithTheOneEstimated() {
        String item = registered("host-est-busy", "shaped-busy");
        // A full download of the same disk to the host, half sent.
        String busy = insertJob("est-busy", "host-est-busy", "ForSynchronization", "InProgress", 1, DATA, Instant.now().minusSeconds(3), 0.1,
                List.of(task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", PREPARE, null, false),
                        task("ShutdownAzureVm", SHUTDOWN, null, false), running("DataSynchronization", """
                                {"bytesTotal": %d, "bytesScanned": %d, "bytesToSend": %d, "bytesSent": %d, "bytesPerSecond": 0, "etaSeconds": null, "bytesResumed": 0}"""
                                .formatted(DISK, DISK / 2, DISK, DISK / 2))));

        JsonPath estimate = estimate(item);
        assertEquals(1, estimate.getInt("sharedLink.copiesUnderWay"), estimate.prettify());
        assertEquals(List.of(busy), estimate.getList("sharedLink.jobs"));
        // Sharing the link with it until it ends: its remaining half of the bytes' time comes on top.
        Map<String, Object> full = option(estimate, "ForSynchronization");
        double bytesSeconds = DEFAULT_FULL_COPY - 0.1;
        assertSeconds(DEFAULT_FULL_DOWNLOAD + bytesSeconds / 2, full.get("totalSeconds"));
        assertTrue(((String) full.get("note")).contains("1 copies to this host are under way"), estimate.prettify());
        // A phase 2 still to come (after phase 1) does not count on the copies under way now.
        Map<String, Object> delta = option(estimate, "ForDownTime");
        assertSeconds(FINAL_PHASE_CONTROL + SHUTDOWN + 0.045 + START, delta.get("phase2Seconds"));
    }

    @Test
    void aRecoveryPlansEstimateRunsItsGroupsInOrderAndTheItemsOfAGroupSideBySide() {
        String first = registered("host-est-plan", "shaped-plan-a");
        String second = registered("host-est-plan", "shaped-plan-b");
        String third = registered("host-est-plan", "shaped-plan-c");
        given().contentType(ContentType.JSON).body("""
                        {"properties": {"groups": [
                          {"groupType": "Boot", "replicationProtectedItems": [{"id": "%s"}, {"id": "%s"}]},
                          {"groupType": "Boot", "replicationProtectedItems": [{"id": "%s"}]}]}}""".formatted(first, second, third))
                .put("/api/replicationRecoveryPlans/plan-est").then().statusCode(201);

        JsonPath estimate = given().get("/api/replicationRecoveryPlans/plan-est/failbackEstimate").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(1, 2), estimate.getList("groups.group"), estimate.prettify());
        assertEquals(List.of(first, second), estimate.getList("groups[0].items"));
        // The first group's two disks share the host's link: both copies' costs, one after the other's on the link.
        double fixed = CONTROL + PREPARE + SHUTDOWN + START;
        double twoDisks = fixed + 2 * DEFAULT_FULL_COPY;
        assertSeconds(twoDisks, estimate.getDouble("groups[0].seconds.ForSynchronization"));
        assertSeconds(DEFAULT_FULL_DOWNLOAD, estimate.getDouble("groups[1].seconds.ForSynchronization"));
        Map<String, Object> full = option(estimate, "ForSynchronization");
        assertSeconds(twoDisks + DEFAULT_FULL_DOWNLOAD, full.get("totalSeconds"));
        assertSeconds(twoDisks - PREPARE, full.get("downtimeSeconds"));
        assertEquals(3 * DISK, ((Number) full.get("bytesToSend")).longValue());
        // ForDownTime: every VM's phase 1 at once, then phase 2 group by group.
        Map<String, Object> delta = option(estimate, "ForDownTime");
        long changed = AzureSimStandIn.SHAPED_CHANGED_BYTES_SINCE_SHUTDOWN;
        double phase1 = SNAPSHOT_PHASE_CONTROL + PREPARE + 3 * (0.04 + DISK / 150e9 + changed / 175e6);
        assertSeconds(phase1, delta.get("phase1Seconds"));
        // The VMs do not write: each phase 2 sends nothing, and costs its copies' fixed part; the first group has two.
        double oneVm = FINAL_PHASE_CONTROL + SHUTDOWN + 0.045 + START;
        assertSeconds(oneVm + 0.045 + oneVm, delta.get("phase2Seconds"));
        assertSeconds(oneVm + 0.045, delta.get("downtimeSeconds"));
        assertTrue(estimate.getString("basis.summary").startsWith("2 groups in order, 3 VMs on 1 host"), estimate.prettify());
        assertEquals(List.of("host-est-plan"), estimate.getList("basis.hosts.hostId"));

        given().get("/api/replicationRecoveryPlans/no-such-plan/failbackEstimate").then().statusCode(404);
    }

    @Test
    void aSuspendedFailbackIsEstimatedForItsPhase2() {
        String item = registered("host-est-suspended", "shaped-suspended");
        String job = insertJob("est-suspended", "host-est-suspended", "ForDownTime", "Suspended", 1, DATA, Instant.now().minusSeconds(30), 0,
                List.of(task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", 0.03, null, false),
                        task("SnapshotSynchronization", 2.0, progress(DISK, DISK, 0, 0), false)));
        query("update replication_job set details = jsonb_set(details, '{checkpoint}', '{\"snapshotId\": \"snap-1\", \"trackingPoints\": {\"disk-0\": 7}}')"
                + " where name = $1", job);
        query("update replication_protected_item set currentscenariojobname = $1, currentscenarioname = 'PlannedFailover' where name = $2", job, item);

        JsonPath estimate = estimate(item);
        List<Map<String, Object>> options = estimate.getList("options");
        assertEquals(1, options.size(), estimate.prettify());
        // Each block written since the snapshot in its first page: that page travels, the proof rehashes the block.
        long touched = AzureSimStandIn.SHAPED_CHANGED_SINCE_POINT * BLOCK;
        long written = AzureSimStandIn.SHAPED_CHANGED_SINCE_POINT * 4096;
        assertEquals(written, ((Number) options.get(0).get("bytesToSend")).longValue());
        double phase2 = FINAL_PHASE_CONTROL + SHUTDOWN + 0.045 + written / 300e6 + (touched - written) / 1.34e9 + START;
        assertSeconds(phase2, options.get(0).get("downtimeSeconds"));
        assertSeconds(phase2, options.get(0).get("totalSeconds"));
        assertEquals(null, options.get(0).get("phase1Seconds"));
    }

    // --- helpers ---

    private static String registered(String host, String item) {
        TestHosts.heartbeat(new ProviderHeartbeat(ContractVersions.PROVIDER_HEARTBEAT,
                host, host + ".contoso.local", "http://127.0.0.1:1/" + host, List.of("vSwitch-Prod"), Instant.now()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/replicationRecoveryServicesProviders/" + host)
                .then().statusCode(200));
        given().contentType(ContentType.JSON).body("""
                        {"properties": {"activeLocation": "Recovery", "primaryProviderId": "%s",
                          "primaryVirtualSwitchName": "vSwitch-Prod", "recoveryAzureVmName": "%s"}}""".formatted(host, item))
                .put("/api/replicationProtectedItems/" + item).then().statusCode(201);
        return item;
    }

    private static JsonPath estimate(String item) {
        return given().get("/api/replicationProtectedItems/" + item + "/failbackEstimate").then().statusCode(200).extract().jsonPath();
    }

    private static Map<String, Object> option(JsonPath estimate, String dataSyncOption) {
        return estimate.getMap("options.find { it.dataSyncOption == '" + dataSyncOption + "' }");
    }

    private static Map<String, Object> step(JsonPath estimate, String step) {
        return estimate.getMap("basis.steps.find { it.step == '" + step + "' }");
    }

    private static void assertSeconds(double expected, Object actual) {
        assertEquals(Math.round(expected * 100) / 100.0, ((Number) actual).doubleValue(), 0.0101);
    }

    /**
     * A task as the job stores it, lasting {@code seconds}; where it starts is set when the job is written. One that is
     * {@code InProgress} has not ended.
     */
    private record Task(String name, double seconds, String progressJson, boolean waited, String state) {
    }

    private static Task task(String name, double seconds, String progressJson, boolean waited) {
        return new Task(name, seconds, progressJson, waited, "Succeeded");
    }

    private static Task running(String name, String progressJson) {
        return new Task(name, 0, progressJson, false, "InProgress");
    }

    private static String progress(long total, long scanned, long toSend, long resumed) {
        return """
                {"bytesTotal": %d, "bytesScanned": %d, "bytesToSend": %d, "bytesSent": %d, "bytesPerSecond": 0, "etaSeconds": null, "bytesResumed": %d}"""
                .formatted(total, scanned, toSend, toSend, resumed);
    }

    private static List<Task> fullDownloadTasks(double copySeconds, long resumed, boolean waited) {
        return List.of(task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", PREPARE, null, false),
                task("ShutdownAzureVm", SHUTDOWN, null, false), task("DataSynchronization", copySeconds, progress(DISK, DISK, DISK, resumed), waited),
                task("StartOnPremisesVm", START, null, false));
    }

    /**
     * Writes a failback job that started at {@code start}: {@code outside} seconds of the job's own work before its first
     * task, then its tasks one after the other; it ends with its last task (a Suspended or InProgress one does not end).
     */
    private String insertJob(String name, String host, String dataSyncOption, String state, int attempts, Long sourceDataBytes,
            Instant start, double outside, List<Task> tasks) {
        io.vertx.core.json.JsonArray taskJson = laidOut(start.plusNanos((long) (outside * 1e9)), tasks);
        Instant at = endOf(taskJson, start.plusNanos((long) (outside * 1e9)));
        String details = "{\"tasks\": " + taskJson.encode() + ", \"errors\": [], \"verifications\": [], \"checkpoint\": null}";
        query("insert into replication_job (name, scenarioname, friendlyname, state, statedescription, targetobjectid, targetobjectname,"
                + " starttime, endtime, failoverdirection, datasyncoption, targetproviderid, attempts, version, publishedversion,"
                + " sourcedatabytes, details) values ($1, 'PlannedFailover', 'Planned failover', $2, $2, $3, $3, $4, $5,"
                + " 'RecoveryToPrimary', $6, $7, $8, 0, 0, $9, $10)",
                name, state, "item-of-" + name, utc(start), "Suspended".equals(state) || "InProgress".equals(state) ? null : utc(at),
                dataSyncOption, host, attempts,
                sourceDataBytes, new io.vertx.core.json.JsonObject(details));
        return name;
    }

    /**
     * A ForDownTime failback of the shaped disk that started at {@code start}: phase 1 spends {@code outside1} seconds
     * before its tasks and suspends as its snapshot's copy ends; a minute later Complete Failover resumes it, and phase 2
     * spends {@code outside2} seconds before its tasks and ends with them.
     */
    private void insertForDownTimeJob(String name, String host, Instant start, double outside1, double outside2) {
        insertJob(name, host, "ForDownTime", "Succeeded", 2, DATA, start, outside1, List.of(
                task("PrerequisitesCheck", 0, null, false), task("PrepareOnPremisesVm", PREPARE, null, false),
                task("SnapshotSynchronization", 0.3, progress(DISK, DISK + 655 * BLOCK, 655 * BLOCK, 0), false)));
        Instant suspended = start.plusNanos((long) ((outside1 + PREPARE + 0.3) * 1e9));
        Instant resumed = suspended.plusSeconds(60);
        Instant phase2Start = resumed.plusNanos((long) (outside2 * 1e9));
        io.vertx.core.json.JsonArray phase2Tasks = laidOut(phase2Start, List.of(task("ShutdownAzureVm", SHUTDOWN, null, false),
                task("FinalDeltaSynchronization", 0.05, progress(DISK, 0, 0, 0), false), task("StartOnPremisesVm", START, null, false)));
        Instant end = endOf(phase2Tasks, phase2Start);
        query("update replication_job set suspendedat = $2, resumedat = $3, endtime = $4,"
                + " details = jsonb_set(details, '{tasks}', (details->'tasks') || $5::jsonb) where name = $1",
                name, utc(suspended), utc(resumed), utc(end), phase2Tasks);
    }

    /** The tasks as the job stores them, succeeded one after the other from {@code at}. */
    private static io.vertx.core.json.JsonArray laidOut(Instant at, List<Task> tasks) {
        io.vertx.core.json.JsonArray json = new io.vertx.core.json.JsonArray();
        for (Task task : tasks) {
            Instant end = at.plusNanos((long) (task.seconds() * 1e9));
            boolean ended = "Succeeded".equals(task.state());
            json.add(new io.vertx.core.json.JsonObject().put("taskId", task.name()).put("name", task.name())
                    .put("friendlyName", task.name()).put("state", task.state()).put("stateDescription", ended ? "Completed" : "In progress")
                    .put("startTime", at.toString()).put("endTime", ended ? end.toString() : null)
                    .put("progress", task.progressJson() == null ? null : new io.vertx.core.json.JsonObject(task.progressJson()))
                    .put("errors", new io.vertx.core.json.JsonArray()).put("lastSequence", 2).put("waitedForAPart", task.waited()));
            at = end;
        }
        return json;
    }

    /** When the last of the tasks {@link #laidOut} ended (or started, if it runs); {@code start} when there are none. */
    private static Instant endOf(io.vertx.core.json.JsonArray tasks, Instant start) {
        if (tasks.isEmpty()) {
            return start;
        }
        io.vertx.core.json.JsonObject last = tasks.getJsonObject(tasks.size() - 1);
        return Instant.parse(last.getString("endTime") == null ? last.getString("startTime") : last.getString("endTime"));
    }

    /** The job's failback command: phase 2's ({@code completeFrom} set) or phase 1's. */
    private static String commandOf(String job, boolean phase2) {
        return KafkaTestClient.awaitRecord(Topics.SYNC_COMMANDS, r -> {
            SyncCommand command = readCommand(r.value());
            return job.equals(command.jobName()) && command.plannedFailover() != null
                    && (command.plannedFailover().completeFrom() != null) == phase2;
        }, Duration.ofSeconds(30)).value().transform(value -> readCommand(value).commandId());
    }

    private static SyncCommand readCommand(String value) {
        try {
            return KafkaTestClient.JSON.readValue(value, SyncCommand.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Each task started and succeeded, in order, as sync-service reports them. */
    private static void runTasks(String item, String job, String command, long firstSequence, SyncTask... tasks) {
        long sequence = firstSequence;
        for (SyncTask task : tasks) {
            sendEvent(item, job, command, SyncEvent.Type.TaskStarted, task, sequence++, null);
            sendEvent(item, job, command, SyncEvent.Type.TaskSucceeded, task, sequence++, null);
        }
    }

    private static void sendEvent(String item, String job, String command, SyncEvent.Type type, SyncTask task, long sequence,
            DeltaCheckpoint checkpoint) {
        KafkaTestClient.send(Topics.SYNC_EVENTS, item, new SyncEvent(ContractVersions.SYNC_EVENT, java.util.UUID.randomUUID().toString(),
                command, job, item, type, task, sequence, Instant.now(), null, null, null, checkpoint, null, null));
    }

    private void query(String sql, Object... parameters) {
        database.preparedQuery(sql).execute(Tuple.from(java.util.Arrays.asList(parameters))).await().atMost(Duration.ofSeconds(30));
    }

    private static OffsetDateTime utc(Instant at) {
        return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }
}
