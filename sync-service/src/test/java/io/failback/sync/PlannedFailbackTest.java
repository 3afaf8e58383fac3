package io.failback.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncEvent.Type;
import io.failback.contracts.messaging.SyncTask;
import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A planned failback (ForSynchronization: the full download) carried out by sync-service from a command on the real
 * broker, between stand-in sites that speak azure-sim's and host-agent's HTTP contract over real disk images.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(StandInSites.class)
class PlannedFailbackTest {
    private static final int BLOCKS = 32; // 2 MiB
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String azureVm = "az-" + id;
    private final String hostVm = "onprem-" + id;
    private final String job = "job-" + id;

    @AfterEach
    void cleanUp() {
        StandInSites.host.awayUntil = Instant.MIN;
        StandInSites.host.requestsToDrop.set(0);
        StandInSites.azure.removeVm(azureVm);
        StandInSites.host.removeVm(hostVm);
    }

    @Test
    void theTaskEventsComeInTheOrderOfThePlannedFailbacksTasksAndTheHostGetsTheAzureDisksBytes() {
        byte[] source = content(1);
        StandInSites.azure.addVm(azureVm, source);

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(SyncTask.PLANNED_FAILBACK, tasksStarted(events));
        assertInOrder(events);
        assertEquals("cmd-" + id, events.get(0).commandId(), "the events answer the command");
        SyncEvent last = events.get(events.size() - 1);
        assertEquals(Type.SyncSucceeded, last.type(), () -> "events: " + events);
        assertEquals(1, last.verifications().size());
        SyncEvent.DiskVerification proof = last.verifications().get(0);
        assertEquals(StandInSites.digest(source), proof.sourceDigest());
        assertEquals(StandInSites.digest(source), proof.targetDigest());
        SyncEvent dataDone = events.stream().filter(e -> e.type() == Type.TaskSucceeded && e.task() == SyncTask.DataSynchronization)
                .findFirst().orElseThrow();
        assertEquals(source.length, dataDone.progress().bytesTotal());
        assertEquals(source.length, dataDone.progress().bytesSent());

        StandInSites.Host.HostVm created = StandInSites.host.vms.get(hostVm);
        assertNotNull(created, "CreateVmIfNotFound created the on-premises VM");
        assertEquals("vSwitch-Prod", created.virtualSwitchName);
        assertArrayEquals(source, StandInSites.bytes(created.disk), "the host's disk holds the Azure disk's bytes");
        assertTrue(created.consistent);
        assertEquals("Running", created.state);
        assertEquals("Stopped", StandInSites.azure.vms.get(azureVm).state);
    }

    @Test
    void aSourceThatFailsHalfWayFailsTheDataTaskWithACodeAndTheOnPremisesVmIsNotStarted() {
        byte[] source = content(2);
        StandInSites.azure.addVm(azureVm, source).failReadsFrom = BLOCKS / 2;

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.PrepareOnPremisesVm, SyncTask.ShutdownAzureVm, SyncTask.DataSynchronization), tasksStarted(events));
        assertInOrder(events);
        SyncEvent taskFailed = events.get(events.size() - 2);
        SyncEvent syncFailed = events.get(events.size() - 1);
        assertEquals(Type.TaskFailed, taskFailed.type(), () -> "events: " + events);
        assertEquals(SyncTask.DataSynchronization, taskFailed.task());
        assertEquals(Type.SyncFailed, syncFailed.type());
        assertEquals(taskFailed.failure(), syncFailed.failure());
        assertEquals("InvalidBlockStream", taskFailed.failure().code(), () -> "failure: " + taskFailed.failure());
        assertTrue(taskFailed.failure().message().contains("I/O error reading block " + BLOCKS / 2),
                () -> "the message names the source's error: " + taskFailed.failure().message());

        StandInSites.Host.HostVm target = StandInSites.host.vms.get(hostVm);
        assertFalse(target.consistent, "the half-written disk stays inconsistent");
        assertEquals("Off", target.state);
        assertTrue(StandInSites.host.requests.stream().noneMatch(r -> r.startsWith("POST /api/vms/" + hostVm + "/start")));
    }

    @Test
    void aSourceThatKeepsDyingMidStreamFailsTheDataTaskAsInterruptedOnceThePatienceRunsOut() {
        StandInSites.azure.addVm(azureVm, content(5)).crashesHalfWay = Integer.MAX_VALUE;

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.PrepareOnPremisesVm, SyncTask.ShutdownAzureVm, SyncTask.DataSynchronization), tasksStarted(events));
        assertInOrder(events);
        SyncEvent taskFailed = events.get(events.size() - 2);
        assertEquals(Type.TaskFailed, taskFailed.type(), () -> "events: " + events);
        assertEquals(SyncTask.DataSynchronization, taskFailed.task());
        assertEquals("BlockStreamInterrupted", taskFailed.failure().code(), () -> "failure: " + taskFailed.failure());
        assertTrue(taskFailed.failure().message().startsWith("reading the source failed"),
                () -> "the message blames the site that died, not the target: " + taskFailed.failure().message());
        assertTrue(taskFailed.failure().message().contains("still failing after"),
                () -> "it failed only once the patience ran out: " + taskFailed.failure().message());
        assertEquals(Type.SyncFailed, events.get(events.size() - 1).type());

        StandInSites.Host.HostVm target = StandInSites.host.vms.get(hostVm);
        assertFalse(target.consistent, "the half-written disk stays inconsistent");
        assertEquals("Off", target.state);
    }

    @Test
    void aCancelStopsTheCopyUnderWayAndTheDataTaskFailsAsCancelled() {
        StandInSites.azure.addVm(azureVm, content(8)).stallHalfWay = true;

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        Awaitility.await().atMost(RUN_TIMEOUT).until(() -> StandInSites.host.requests.stream()
                .anyMatch(r -> r.startsWith("POST /api/vms/" + hostVm + "/disks/disk0/blocks")));
        SyncTopics.send(SyncCommand.of("cancel-" + id, job, "item-" + id, Instant.now(), new SyncCommand.Cancel("the user cancelled")));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.PrepareOnPremisesVm, SyncTask.ShutdownAzureVm, SyncTask.DataSynchronization), tasksStarted(events));
        assertInOrder(events);
        SyncEvent taskFailed = events.get(events.size() - 2);
        assertEquals(Type.TaskFailed, taskFailed.type(), () -> "events: " + events);
        assertEquals(SyncTask.DataSynchronization, taskFailed.task());
        assertEquals("Cancelled", taskFailed.failure().code(), () -> "failure: " + taskFailed.failure());
        assertEquals(Type.SyncFailed, events.get(events.size() - 1).type());
        StandInSites.Host.HostVm target = StandInSites.host.vms.get(hostVm);
        assertFalse(target.consistent, "written data stays; the disk stays inconsistent");
        assertEquals("Off", target.state);
    }

    @Test
    void aCheckpointOfAnotherShutdownIsNotResumedTheCopyStartsOver() {
        byte[] source = content(6);
        StandInSites.Azure.AzureVm azure = StandInSites.azure.addVm(azureVm, source);
        azure.state = "Stopped";
        azure.shutdownTrackingPoint = azure.disk.trackingPoint();
        // Left by a copy of an earlier shutdown: the Azure VM has run (and written) since, so these blocks are stale.
        byte[] stale = content(7);
        StandInSites.Host.HostVm interrupted = StandInSites.host.addVm(hostVm, stale);
        interrupted.syncId = azureVm + "@" + (azure.shutdownTrackingPoint - 1);
        interrupted.syncedThrough = BLOCKS / 2;

        SyncTopics.send(command(RecoveryVmCreationOption.NoAction));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(Type.SyncSucceeded, events.get(events.size() - 1).type(), () -> "events: " + events);
        assertEquals(List.of("GET /api/vms/" + azureVm + "/disks/disk0/blocks"), StandInSites.azure.requests.stream()
                .filter(r -> r.startsWith("GET /api/vms/" + azureVm + "/disks/disk0/blocks")).toList());
        assertTrue(StandInSites.host.requests.stream().anyMatch(r -> r.startsWith("POST /api/vms/" + hostVm + "/disks/disk0/blocks")
                && r.contains("fullCopy=true")));
        assertArrayEquals(source, StandInSites.bytes(interrupted.disk));
        assertEquals("Running", interrupted.state);
    }

    @Test
    void forDownTimeCopiesASnapshotWhileAzureRunsThenOnlyTheBlocksWrittenSinceAfterTheShutdown() {
        byte[] original = content(9);
        StandInSites.Azure.AzureVm azure = StandInSites.azure.addVm(azureVm, original);

        SyncTopics.send(command("cmd-" + id, deltaFailback(null)));
        List<SyncEvent> phase1 = SyncTopics.eventsOfCommand("cmd-" + id, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.PrepareOnPremisesVm, SyncTask.SnapshotSynchronization), tasksStarted(phase1));
        assertInOrder(phase1);
        SyncEvent suspended = phase1.get(phase1.size() - 1);
        assertEquals(Type.SyncSuspended, suspended.type(), () -> "events: " + phase1);
        assertNotNull(suspended.checkpoint());
        StandInSites.Host.HostVm target = StandInSites.host.vms.get(hostVm);
        assertArrayEquals(original, StandInSites.bytes(target.disk), "the host holds the snapshot's bytes");
        assertEquals("Running", azure.state, "the Azure VM kept running");
        assertEquals("Off", target.state);

        // The Azure VM keeps writing until "Complete Failover": three blocks change.
        byte[] changed = Arrays.copyOf(original, original.length);
        for (int block : new int[] {1, 2, 17}) {
            byte[] data = new byte[StandInSites.BLOCK];
            new Random(block).nextBytes(data);
            System.arraycopy(data, 0, changed, block * StandInSites.BLOCK, data.length);
            azure.disk.writeBlocks(block, java.nio.ByteBuffer.wrap(data));
        }
        SyncTopics.send(command("complete-" + id, deltaFailback(suspended.checkpoint())));
        List<SyncEvent> phase2 = SyncTopics.eventsOfCommand("complete-" + id, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.ShutdownAzureVm, SyncTask.FinalDeltaSynchronization, SyncTask.StartOnPremisesVm),
                tasksStarted(phase2));
        assertInOrder(phase2);
        SyncEvent last = phase2.get(phase2.size() - 1);
        assertEquals(Type.SyncSucceeded, last.type(), () -> "events: " + phase2);
        SyncEvent deltaDone = phase2.stream().filter(e -> e.type() == Type.TaskSucceeded && e.task() == SyncTask.FinalDeltaSynchronization)
                .findFirst().orElseThrow();
        assertEquals(3L * StandInSites.BLOCK, deltaDone.progress().bytesToSend(), "only the blocks written since the snapshot");
        assertArrayEquals(changed, StandInSites.bytes(target.disk));
        assertEquals(StandInSites.digest(changed), last.verifications().get(0).targetDigest());
        assertEquals("Running", target.state);
        // Deleted after the VM started: it is no part of the downtime.
        Awaitility.await("the snapshot is deleted").atMost(java.time.Duration.ofSeconds(10))
                .until(() -> azure.disk.snapshotIds().isEmpty());
        List<SyncTask> all = new ArrayList<>(tasksStarted(phase1));
        all.addAll(tasksStarted(phase2));
        assertEquals(SyncTask.PLANNED_FAILBACK_DELTA, all);
    }

    private SyncCommand.PlannedFailover deltaFailback(io.failback.contracts.messaging.DeltaCheckpoint completeFrom) {
        return new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary, DataSyncOption.ForDownTime,
                RecoveryVmCreationOption.CreateVmIfNotFound, new SyncCommand.AzureVm(azureVm),
                new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"), null, completeFrom);
    }

    private SyncCommand command(String commandId, SyncCommand.PlannedFailover failback) {
        return SyncCommand.of(commandId, job, "item-" + id, Instant.now(), failback);
    }

    @Test
    void aMissingOnPremisesVmWithoutCreateVmIfNotFoundFailsThePreparationBeforeAzureIsShutDown() {
        StandInSites.azure.addVm(azureVm, content(3));

        SyncTopics.send(command(RecoveryVmCreationOption.NoAction));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.PrepareOnPremisesVm), tasksStarted(events));
        assertEquals(List.of(Type.TaskStarted, Type.TaskFailed, Type.SyncFailed), events.stream().map(SyncEvent::type).toList());
        assertEquals("OnPremisesVmNotFound", events.get(2).failure().code());
        assertEquals("Running", StandInSites.azure.vms.get(azureVm).state, "the Azure VM keeps running");
        assertNull(StandInSites.host.vms.get(hostVm));
    }

    @Test
    void anInterruptedCopyResumesFromTheHostsCheckpointAndEndsByteForByte() {
        byte[] source = content(4);
        StandInSites.Azure.AzureVm azure = StandInSites.azure.addVm(azureVm, source);
        azure.state = "Stopped";
        azure.shutdownTrackingPoint = azure.disk.trackingPoint();
        // What an interrupted copy of this very shutdown state left on the host: the first half durable, the rest not.
        long half = BLOCKS / 2;
        byte[] leftBehind = Arrays.copyOf(source, source.length);
        Arrays.fill(leftBehind, (int) half * StandInSites.BLOCK, leftBehind.length, (byte) 0x77);
        StandInSites.Host.HostVm interrupted = StandInSites.host.addVm(hostVm, leftBehind);
        interrupted.syncId = azureVm + "@" + azure.shutdownTrackingPoint;
        interrupted.syncedThrough = half;

        SyncTopics.send(command(RecoveryVmCreationOption.NoAction));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(SyncTask.PLANNED_FAILBACK, tasksStarted(events));
        assertEquals(Type.SyncSucceeded, events.get(events.size() - 1).type(), () -> "events: " + events);
        List<String> reads = StandInSites.azure.requests.stream().filter(r -> r.startsWith("GET /api/vms/" + azureVm + "/disks/disk0/blocks"))
                .toList();
        assertEquals(List.of("GET /api/vms/" + azureVm + "/disks/disk0/blocks?first=" + half), reads, "only the second half is read");
        List<String> writes = StandInSites.host.requests.stream().filter(r -> r.startsWith("POST /api/vms/" + hostVm + "/disks/disk0/blocks"))
                .toList();
        assertEquals(1, writes.size());
        assertFalse(writes.get(0).contains("fullCopy=true"), "the resumed copy keeps the blocks already there: " + writes);
        SyncEvent dataDone = events.stream().filter(e -> e.type() == Type.TaskSucceeded && e.task() == SyncTask.DataSynchronization)
                .findFirst().orElseThrow();
        assertEquals(source.length, dataDone.progress().bytesToSend());
        assertEquals(source.length / 2, dataDone.progress().bytesResumed(), "half the disk was already there");
        assertEquals(source.length, dataDone.progress().bytesSent());
        assertArrayEquals(source, StandInSites.bytes(interrupted.disk));
        assertEquals(StandInSites.digest(source), events.get(events.size() - 1).verifications().get(0).targetDigest());
        assertEquals("Running", interrupted.state);
    }

    @Test
    void aStreamCutHalfWayIsSentAgainFromTheCheckpointAndTheFailbackSucceedsWithoutWaiting() {
        byte[] source = content(9);
        StandInSites.azure.addVm(azureVm, source).crashesHalfWay = 1;

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(SyncTask.PLANNED_FAILBACK, tasksStarted(events));
        assertInOrder(events);
        assertEquals(Type.SyncSucceeded, events.get(events.size() - 1).type(), () -> "events: " + events);
        assertTrue(events.stream().noneMatch(e -> e.type() == Type.TaskWaiting || e.type() == Type.TaskFailed),
                () -> "both sites answered all along: the cut stream is simply sent again: " + events);
        assertEquals(2, StandInSites.azure.requests.stream().filter(r -> r.startsWith("GET /api/vms/" + azureVm + "/disks/disk0/blocks"))
                .count(), "the disk was read twice");
        assertNeverBackwards(events);
        StandInSites.Host.HostVm target = StandInSites.host.vms.get(hostVm);
        assertArrayEquals(source, StandInSites.bytes(target.disk), "the host's disk holds the Azure disk's bytes");
        assertEquals("Running", target.state);
    }

    @Test
    void aHostAwayForAWhileIsWaitedForSaidSoAndTheFailbackGoesOnWhenItIsBack() {
        byte[] source = content(10);
        StandInSites.azure.addVm(azureVm, source);
        // The run's first call, then the first probe a second later, find it away; the probe after that finds it back.
        StandInSites.host.requestsToDrop.set(2);

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertInOrder(events);
        assertEquals(Type.SyncSucceeded, events.get(events.size() - 1).type(), () -> "events: " + events);
        List<SyncEvent> waits = events.stream().filter(e -> e.type() == Type.TaskWaiting || e.type() == Type.TaskResumed).toList();
        assertEquals(List.of(Type.TaskWaiting, Type.TaskResumed), waits.stream().map(SyncEvent::type).toList(), () -> "events: " + events);
        SyncEvent waiting = waits.get(0);
        assertEquals(SyncTask.PrepareOnPremisesVm, waiting.task());
        assertEquals("SiteUnreachable", waiting.failure().code());
        assertTrue(waiting.failure().message().contains(StandInSites.host.url) && waiting.failure().message().contains("retrying until"),
                () -> "the wait names the host and how long it lasts: " + waiting.failure().message());
        assertEquals(SyncTask.PLANNED_FAILBACK, tasksStarted(events));
        assertArrayEquals(source, StandInSites.bytes(StandInSites.host.vms.get(hostVm).disk));
    }

    @Test
    void aHostAwayForLongerThanThePatienceFailsTheTaskAsUnreachableBeforeAzureIsShutDown() {
        StandInSites.azure.addVm(azureVm, content(11));
        StandInSites.host.awayUntil = Instant.now().plusSeconds(120);

        SyncTopics.send(command(RecoveryVmCreationOption.CreateVmIfNotFound));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertInOrder(events);
        assertEquals(Type.TaskStarted, events.get(0).type());
        assertEquals(Type.SyncFailed, events.get(events.size() - 1).type(), () -> "events: " + events);
        List<SyncEvent> between = events.subList(1, events.size() - 2);
        assertTrue(!between.isEmpty() && between.stream().allMatch(e -> e.type() == Type.TaskWaiting),
                () -> "it said it waited, and nothing else, until it gave up: " + events);
        SyncEvent failed = events.get(events.size() - 2);
        assertEquals(Type.TaskFailed, failed.type());
        assertEquals(SyncTask.PrepareOnPremisesVm, failed.task());
        assertEquals("SiteUnreachable", failed.failure().code());
        assertTrue(failed.failure().message().contains("still failing after 6 s"), () -> failed.failure().message());
        assertEquals("Running", StandInSites.azure.vms.get(azureVm).state, "nothing was shut down");
    }

    @Test
    void aReplicationCycleWhoseHostIsAwayFailsAtOnceSoThatItHoldsNoJobUp() {
        StandInSites.host.awayUntil = Instant.now().plusSeconds(120);
        String commandId = "cycle-" + id;

        SyncTopics.send(SyncCommand.of(commandId, null, "item-" + id, Instant.now(), new SyncCommand.Replicate(
                new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"), false, false)));
        List<SyncEvent> events = SyncTopics.eventsOfCommand(commandId, RUN_TIMEOUT);

        assertEquals(List.of(Type.TaskStarted, Type.TaskFailed, Type.SyncFailed), events.stream().map(SyncEvent::type).toList(),
                () -> "the next cycle tries again; this one does not wait: " + events);
        assertEquals("SiteUnreachable", events.get(2).failure().code());
    }

    /** A data task's bytesSent, as its progress reports go, never goes down, also across a stream sent again. */
    private static void assertNeverBackwards(List<SyncEvent> events) {
        long last = 0;
        for (SyncEvent event : events) {
            if (event.progress() != null) {
                long sent = event.progress().bytesSent();
                assertTrue(sent >= last || event.type() == Type.TaskStarted, () -> "bytesSent went down: " + events);
                last = sent;
            }
        }
    }

    private SyncCommand command(RecoveryVmCreationOption creation) {
        return SyncCommand.of("cmd-" + id, job, "item-" + id, Instant.now(), new SyncCommand.PlannedFailover(
                FailoverDirection.RecoveryToPrimary, DataSyncOption.ForSynchronization, creation, new SyncCommand.AzureVm(azureVm),
                new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"), null, null));
    }

    /** Random disk content with every fourth block all zeros. */
    private static byte[] content(long seed) {
        byte[] content = new byte[BLOCKS * StandInSites.BLOCK];
        new Random(seed).nextBytes(content);
        for (int block = 0; block < BLOCKS; block += 4) {
            Arrays.fill(content, block * StandInSites.BLOCK, (block + 1) * StandInSites.BLOCK, (byte) 0);
        }
        return content;
    }

    private static List<SyncTask> tasksStarted(List<SyncEvent> events) {
        return events.stream().filter(e -> e.type() == Type.TaskStarted).map(SyncEvent::task).toList();
    }

    /**
     * The run's events as job-service reads them: sequence 1, 2, 3... in topic order, all answering the command; each
     * task's events lie between its start and its outcome, and a task starts only after the one before it succeeded.
     */
    private void assertInOrder(List<SyncEvent> events) {
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i + 1, events.get(i).sequence(), () -> "sequence of " + events);
            assertEquals(events.get(0).commandId(), events.get(i).commandId());
            assertEquals("item-" + id, events.get(i).itemName());
        }
        List<SyncTask> succeeded = new ArrayList<>();
        SyncTask current = null;
        for (SyncEvent event : events) {
            switch (event.type()) {
                case TaskStarted -> {
                    assertNull(current, () -> "a task started while another ran: " + events);
                    current = event.task();
                }
                case TaskProgress, TaskWaiting, TaskResumed -> assertEquals(current, event.task(),
                        () -> event.type() + " outside its task: " + events);
                case TaskSucceeded, TaskFailed -> {
                    assertEquals(current, event.task(), () -> "outcome of a task that did not run: " + events);
                    if (event.type() == Type.TaskSucceeded) {
                        succeeded.add(event.task());
                    }
                    current = null;
                }
                default -> assertNull(current, () -> "the run ended while a task ran: " + events);
            }
        }
        assertEquals(tasksStarted(events).subList(0, succeeded.size()), succeeded);
    }
}
