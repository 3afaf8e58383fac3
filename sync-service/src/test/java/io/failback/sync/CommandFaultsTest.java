package io.failback.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncEvent.Type;
import io.failback.contracts.messaging.SyncTask;
import io.failback.contracts.messaging.Topics;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What sync-service's one consumed topic, {@code asr.sync-commands}, does with faulty records on the real broker: a
 * poison command goes to the dead-letter topic with the reason and the item's next command still runs; a command
 * delivered again while its run is under way starts no second run; a job's earlier step delivered again gives way to
 * its later step.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(StandInSites.class)
class CommandFaultsTest {
    private static final int BLOCKS = 16;
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String azureVm = "az-" + id;
    private final String hostVm = "onprem-" + id;
    private final String job = "job-" + id;
    private final String item = "item-" + id;

    @AfterEach
    void cleanUp() {
        StandInSites.azure.removeVm(azureVm);
        StandInSites.host.removeVm(hostVm);
    }

    @Test
    void poisonCommandsAreDeadLetteredWithTheReasonAndTheItemsNextCommandRuns() throws Exception {
        byte[] source = content();
        StandInSites.azure.addVm(azureVm, source);
        String good = SyncTopics.JSON.writeValueAsString(failback("cmd-" + id));

        String notJson = send(item, "{\"schemaVersion\": 1, this is not json");
        String unknownVersion = send(item, good.replace("\"schemaVersion\":1", "\"schemaVersion\":99"));
        String noOperation = send(item, "{\"schemaVersion\":1,\"commandId\":\"poison-" + id + "\",\"jobName\":\"" + job
                + "\",\"itemName\":\"" + item + "\"}");
        String noOnPremisesVm = send(item, good.replaceAll("\"onPremisesVm\":\\{[^}]*}", "\"onPremisesVm\":null"));

        assertDeadLettered(notJson, "JsonParseException: Unexpected character");
        assertDeadLettered(unknownVersion, "SyncCommand schema version 99 is not supported");
        assertDeadLettered(noOperation, "must name an item and carry exactly one of");
        assertDeadLettered(noOnPremisesVm, "lacks the failover direction, the Azure VM or the on-premises VM");

        send(item, good);
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);
        assertEquals(Type.SyncSucceeded, events.get(events.size() - 1).type(), () -> "events: " + events);
        assertTrue(events.stream().allMatch(e -> e.commandId().equals("cmd-" + id)), "only the good command ran: " + events);
        assertArrayEquals(source, StandInSites.bytes(StandInSites.host.vms.get(hostVm).disk));
    }

    @Test
    void aCommandDeliveredAgainWhileItsRunIsUnderWayStartsNoSecondRun() {
        StandInSites.azure.addVm(azureVm, content()).stallHalfWay = true;
        SyncCommand command = failback("cmd-" + id);
        SyncTopics.send(command);
        Awaitility.await().atMost(RUN_TIMEOUT).until(() -> StandInSites.host.requests.stream()
                .anyMatch(r -> r.startsWith("POST /api/vms/" + hostVm + "/disks/disk0/blocks")));

        // The outbox relay sends it again (a crash before Kafka's acknowledgement), then job-service's restart of the
        // same job with a new command id; the cancel behind them on the same partition ends the one run.
        SyncTopics.send(command);
        SyncTopics.send(failback("again-" + id));
        SyncTopics.send(SyncCommand.of("cancel-" + id, job, item, Instant.now(), new SyncCommand.Cancel("the test is done")));
        List<SyncEvent> events = SyncTopics.eventsOfRun(job, RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.PrepareOnPremisesVm, SyncTask.ShutdownAzureVm, SyncTask.DataSynchronization),
                events.stream().filter(e -> e.type() == Type.TaskStarted).map(SyncEvent::task).toList(), "each task once: " + events);
        assertEquals(Type.SyncFailed, events.get(events.size() - 1).type(), () -> "events: " + events);
        assertEquals(1, StandInSites.azure.requests.stream().filter(r -> r.startsWith("GET /api/vms/" + azureVm + "/disks/disk0/blocks"))
                .count(), "one copy was started");
        assertEquals(1, StandInSites.host.requests.stream().filter(r -> r.startsWith("POST /api/vms/" + hostVm + "/disks/disk0/blocks"))
                .count(), "one copy was written");
    }

    @Test
    void aJobsEarlierStepDeliveredAgainBeforeItsLaterStepIsSupersededByIt() throws Exception {
        byte[] original = content();
        StandInSites.Azure.AzureVm azure = StandInSites.azure.addVm(azureVm, original);
        SyncCommand phase1 = deltaFailback("phase1-" + id, null);
        SyncTopics.send(phase1);
        List<SyncEvent> phase1Events = SyncTopics.eventsOfCommand(phase1.commandId(), RUN_TIMEOUT);
        SyncEvent suspended = phase1Events.get(phase1Events.size() - 1);
        assertEquals(Type.SyncSuspended, suspended.type());
        byte[] changed = original.clone();
        byte[] written = new byte[StandInSites.BLOCK];
        new Random(7).nextBytes(written);
        System.arraycopy(written, 0, changed, 3 * StandInSites.BLOCK, written.length);
        azure.disk.writeBlocks(3, java.nio.ByteBuffer.wrap(written));

        // A sync-service restarted after "Complete Failover" gets what it consumed since its last commit again: phase 1,
        // then phase 2, then job-service's re-issue of phase 2. Phase 2 arrives while the replayed phase 1 prepares the
        // target or takes its snapshot (slowed to 2 s, so that it would still be running); phase 2's run answers to the
        // re-issue's id from when that arrives, which may be after its first event.
        azure.snapshotMillis = 2_000;
        SyncCommand phase2 = deltaFailback("phase2-" + id, suspended.checkpoint());
        SyncTopics.send(phase1);
        SyncTopics.send(phase2);
        SyncTopics.send(phase2.reissued("again-" + id, Instant.now()));
        List<SyncEvent> events = SyncTopics.eventsOfCommands(java.util.Set.of(phase2.commandId(), "again-" + id), RUN_TIMEOUT);

        assertEquals(List.of(SyncTask.ShutdownAzureVm, SyncTask.FinalDeltaSynchronization, SyncTask.StartOnPremisesVm),
                events.stream().filter(e -> e.type() == Type.TaskStarted).map(SyncEvent::task).toList(), "phase 2 ran: " + events);
        assertEquals(Type.SyncSucceeded, events.get(events.size() - 1).type(), () -> "events: " + events);
        assertArrayEquals(changed, StandInSites.bytes(StandInSites.host.vms.get(hostVm).disk));
        assertEquals("Running", StandInSites.host.vms.get(hostVm).state);
    }

    private SyncCommand deltaFailback(String commandId, io.failback.contracts.messaging.DeltaCheckpoint completeFrom) {
        return SyncCommand.of(commandId, job, item, Instant.now(), new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary,
                DataSyncOption.ForDownTime, RecoveryVmCreationOption.CreateVmIfNotFound, new SyncCommand.AzureVm(azureVm),
                new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"), null, completeFrom));
    }

    private SyncCommand failback(String commandId) {
        return SyncCommand.of(commandId, job, item, Instant.now(), new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary,
                DataSyncOption.ForSynchronization, RecoveryVmCreationOption.CreateVmIfNotFound, new SyncCommand.AzureVm(azureVm),
                new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"), null, null));
    }

    /** Sends the record as it is; answers "partition/offset", which the dead-letter topic's headers name it by. */
    private static String send(String key, String value) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerTestResource.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
            RecordMetadata sent = producer.send(new ProducerRecord<>(Topics.SYNC_COMMANDS, key, value)).get();
            return sent.partition() + "/" + sent.offset();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send the command", e);
        }
    }

    private static void assertDeadLettered(String partitionAndOffset, String reason) {
        String deadLetterReason = KafkaTestClient.awaitDeadLetterReason(Topics.SYNC_COMMANDS + Topics.DEAD_LETTER_SUFFIX,
                partitionAndOffset, RUN_TIMEOUT);
        assertNotNull(deadLetterReason, "the dead letter says why");
        assertTrue(deadLetterReason.contains(reason), "reason: " + deadLetterReason);
    }

    private static byte[] content() {
        byte[] content = new byte[BLOCKS * StandInSites.BLOCK];
        new Random(42).nextBytes(content);
        return content;
    }
}
