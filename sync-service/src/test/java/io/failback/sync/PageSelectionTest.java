package io.failback.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncEvent.Type;
import io.failback.contracts.messaging.SyncTask;
import io.failback.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A ForDownTime failback where only some 4 KiB pages of blocks changed: phase 1 narrows the blocks whose hashes differ
 * to the pages that do, phase 2 takes the pages from the source's change tracking, and either way the selection sent
 * to the source names exactly those pages. The pages travel as block stream v2 PAGES frames, and the host ends equal
 * to the source byte for byte.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(StandInSites.class)
class PageSelectionTest {
    private static final int BLOCKS = 32;
    private static final int PAGE = 4096;
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String azureVm = "az-" + id;
    private final String hostVm = "onprem-" + id;
    private final String job = "job-" + id;

    @AfterEach
    void cleanUp() {
        StandInSites.azure.removeVm(azureVm);
        StandInSites.host.removeVm(hostVm);
        StandInSites.azure.removeReplica("item-" + id);
    }

    @Test
    void aReplicationCycleSelectsOnlyThePagesTheHostWroteSinceTheRecoveryPoint() {
        byte[] content = content(23);
        StandInSites.Host.HostVm vm = StandInSites.host.addVm(hostVm, content);
        StandInSites.Azure.Replica replica = StandInSites.azure.addReplica("item-" + id, content, vm.disk.trackingPoint());
        write(vm.disk, content, 3L * StandInSites.BLOCK + 2L * PAGE, PAGE);
        write(vm.disk, content, 7L * StandInSites.BLOCK, StandInSites.BLOCK);
        write(vm.disk, content, 20L * StandInSites.BLOCK + 4L * PAGE, 2 * PAGE);

        List<SyncEvent> events = replicate(false);

        assertEquals(Type.SyncSucceeded, last(events).type(), () -> "events: " + events);
        JsonObject selection = selection(StandInSites.host.selections, "/api/vms/" + hostVm + "/disks/disk0/blocks/select?snapshot=");
        assertEquals("[[3,1],[7,1],[20,1]]", selection.getJsonArray("ranges").encode());
        assertEquals("[[3," + (1 << 2) + "],[20," + (1 << 4 | 1 << 5) + "]]", selection.getJsonArray("pages").encode());
        assertEquals(3L * PAGE + StandInSites.BLOCK, taskDone(events, SyncTask.ReplicateToAzure).progress().bytesToSend());
        assertArrayEquals(content, StandInSites.bytes(replica.disk), "the replica holds the host's disk");
    }

    @Test
    void repairReplicationSelectsOnlyThePagesInWhichTheReplicaDiffers() {
        byte[] content = content(24);
        StandInSites.Host.HostVm vm = StandInSites.host.addVm(hostVm, content);
        byte[] damaged = Arrays.copyOf(content, content.length);
        scribble(damaged, 5L * StandInSites.BLOCK + 9L * PAGE, 100, 5);
        scribble(damaged, 30L * StandInSites.BLOCK, StandInSites.BLOCK, 6);
        StandInSites.Azure.Replica replica = StandInSites.azure.addReplica("item-" + id, damaged, vm.disk.trackingPoint());

        List<SyncEvent> events = replicate(true);

        assertEquals(Type.SyncSucceeded, last(events).type(), () -> "events: " + events);
        assertEquals("[[5,1],[30,1]]", selection(StandInSites.azure.selections, "/api/replicas/item-" + id + "/disks/disk0/hashes/select ")
                .getJsonArray("ranges").encode());
        JsonObject selection = selection(StandInSites.host.selections, "/api/vms/" + hostVm + "/disks/disk0/blocks/select?snapshot=");
        assertEquals("[[5,1],[30,1]]", selection.getJsonArray("ranges").encode());
        assertEquals("[[5," + (1 << 9) + "]]", selection.getJsonArray("pages").encode());
        assertEquals(PAGE + StandInSites.BLOCK, taskDone(events, SyncTask.ReplicateToAzure).progress().bytesToSend());
        assertArrayEquals(content, StandInSites.bytes(replica.disk), "the replica holds the host's disk again");
        // A replica changed behind its back keeps hashes of what it wrote: repair has both sites read every block.
        assertTrue(StandInSites.azure.requests.stream().anyMatch(r -> r.startsWith("GET /api/replicas/item-" + id + "/disks/disk0/hashes?")
                && r.contains("algorithm=xxh64")), "the replica's hashes are read, not remembered: " + StandInSites.azure.requests);
        assertTrue(StandInSites.azure.requests.stream().noneMatch(r -> r.contains("/api/replicas/item-" + id + "/") && r.contains("algorithm=sha256")),
                StandInSites.azure.requests.toString());
    }

    private List<SyncEvent> replicate(boolean resynchronize) {
        String commandId = "cycle-" + id;
        SyncTopics.send(SyncCommand.of(commandId, null, "item-" + id, Instant.now(), new SyncCommand.Replicate(
                new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"), true, resynchronize)));
        return SyncTopics.eventsOfCommand(commandId, RUN_TIMEOUT);
    }

    @Test
    void phase2SelectsOnlyThePagesTheAzureVmWroteSinceTheSnapshot() {
        byte[] source = content(21);
        StandInSites.Azure.AzureVm azure = StandInSites.azure.addVm(azureVm, source);
        SyncTopics.send(command("cmd-" + id, null));
        SyncEvent suspended = last(SyncTopics.eventsOfCommand("cmd-" + id, RUN_TIMEOUT));
        assertEquals(Type.SyncSuspended, suspended.type());

        // While the job waits, the Azure VM writes pages here and there, and one block whole.
        write(azure, source, 1L * StandInSites.BLOCK + 3L * PAGE, PAGE);
        write(azure, source, 5L * StandInSites.BLOCK, PAGE);
        write(azure, source, 5L * StandInSites.BLOCK + 15L * PAGE, PAGE);
        write(azure, source, 9L * StandInSites.BLOCK, StandInSites.BLOCK);
        write(azure, source, 13L * StandInSites.BLOCK + 7L * PAGE - 6, 10); // two pages, unaligned
        SyncTopics.send(command("complete-" + id, suspended.checkpoint()));
        List<SyncEvent> phase2 = SyncTopics.eventsOfCommand("complete-" + id, RUN_TIMEOUT);

        assertEquals(Type.SyncSucceeded, last(phase2).type(), () -> "events: " + phase2);
        JsonObject selection = selection(StandInSites.azure.selections, "/api/vms/" + azureVm + "/disks/disk0/blocks/select ");
        assertEquals("[[1,1],[5,1],[9,1],[13,1]]", selection.getJsonArray("ranges").encode());
        assertEquals("[[1," + (1 << 3) + "],[5," + (1 | 1 << 15) + "],[13," + (1 << 6 | 1 << 7) + "]]",
                selection.getJsonArray("pages").encode(), "block 9 was written whole: no pages for it");
        assertEquals(5L * PAGE + StandInSites.BLOCK, taskDone(phase2, SyncTask.FinalDeltaSynchronization).progress().bytesToSend(),
                "the pages' bytes, and the whole block's");
        assertArrayEquals(source, StandInSites.bytes(StandInSites.host.vms.get(hostVm).disk), "the host holds the Azure disk's bytes");
        assertEquals(StandInSites.digest(source), last(phase2).verifications().get(0).targetDigest());
    }

    @Test
    void phase1ComparesThePagesOfDifferingBlocksAndSelectsOnlyThePagesThatDiffer() {
        phase1SelectsOnlyThePagesThatDiffer();
        assertTrue(StandInSites.host.requests.stream().anyMatch(r -> r.contains("/disks/disk0/hashes?algorithm=sha256")),
                "the hash lists are the SHA-256 the sites keep: " + StandInSites.host.requests);
    }

    @Test
    void aHostThatAnswersOnlyXxh64HashListsIsComparedUnderXxh64OnBothSides() {
        StandInSites.host.hashListsXxh64Only = true;
        try {
            phase1SelectsOnlyThePagesThatDiffer();
        } finally {
            StandInSites.host.hashListsXxh64Only = false;
        }
        assertTrue(StandInSites.azure.requests.stream().anyMatch(r -> r.startsWith("GET /api/vms/" + azureVm)
                && r.contains("/hashes?snapshot=") && r.contains("algorithm=xxh64")), "Azure asked again for XXH64: " + StandInSites.azure.requests);
    }

    private void phase1SelectsOnlyThePagesThatDiffer() {
        byte[] source = content(22);
        scribble(source, 16L * StandInSites.BLOCK + 3L * PAGE, PAGE, 5); // one page of data in Azure ...
        StandInSites.azure.addVm(azureVm, source);
        byte[] stale = Arrays.copyOf(source, source.length);
        Arrays.fill(stale, 16 * StandInSites.BLOCK, 17 * StandInSites.BLOCK, (byte) 0); // ... where the host has zeros
        scribble(stale, 2L * StandInSites.BLOCK + 7L * PAGE, PAGE, 1); // one page of a block
        scribble(stale, 6L * StandInSites.BLOCK + PAGE + 5, PAGE, 2); // across pages 1 and 2
        scribble(stale, 10L * StandInSites.BLOCK, StandInSites.BLOCK, 3); // every page of a block
        scribble(stale, 12L * StandInSites.BLOCK + 4L * PAGE, PAGE, 4); // a block that is all zeros in Azure
        StandInSites.host.addVm(hostVm, stale);

        SyncTopics.send(command("cmd-" + id, null));
        List<SyncEvent> phase1 = SyncTopics.eventsOfCommand("cmd-" + id, RUN_TIMEOUT);

        assertEquals(Type.SyncSuspended, last(phase1).type(), () -> "events: " + phase1);
        String differingBlocks = "[[2,1],[6,1],[10,1],[16,1]]";
        assertEquals(differingBlocks, selection(StandInSites.azure.selections, "/api/vms/" + azureVm + "/disks/disk0/hashes/select?snapshot=")
                .getJsonArray("ranges").encode(), "page hashes of the differing blocks, not of the one all zeros in Azure");
        assertEquals(differingBlocks, selection(StandInSites.host.selections, "/api/vms/" + hostVm + "/disks/disk0/hashes/select ")
                .getJsonArray("ranges").encode());
        assertEquals(1, StandInSites.azure.selections.stream().filter(s -> s.startsWith("/api/vms/" + azureVm + "/disks/disk0/hashes/select"))
                .count(), "one request a window");
        JsonObject selection = selection(StandInSites.azure.selections, "/api/vms/" + azureVm + "/disks/disk0/blocks/select?snapshot=");
        assertEquals("[[2,1],[6,1],[10,1],[12,1],[16,1]]", selection.getJsonArray("ranges").encode());
        assertEquals("[[2," + (1 << 7) + "],[6," + (1 << 1 | 1 << 2) + "],[16," + (1 << 3) + "]]", selection.getJsonArray("pages").encode());
        assertEquals(4L * PAGE + 2L * StandInSites.BLOCK, taskDone(phase1, SyncTask.SnapshotSynchronization).progress().bytesToSend());
        assertArrayEquals(source, StandInSites.bytes(StandInSites.host.vms.get(hostVm).disk), "the host holds the snapshot's bytes");
    }

    /**
     * The JSON body of the one {@code .../select} request whose "path?query body" starts with {@code uri} (a path and
     * a space: without a query).
     */
    private static JsonObject selection(List<String> selections, String uri) {
        List<String> bodies = selections.stream().filter(s -> s.startsWith(uri)).map(s -> s.substring(s.indexOf(' ') + 1)).toList();
        assertEquals(1, bodies.size(), () -> "one selection to " + uri + ": " + selections);
        return new JsonObject(bodies.get(0));
    }

    /** Writes random bytes into the running Azure VM's disk, and into the test's copy of what it holds. */
    private static void write(StandInSites.Azure.AzureVm azure, byte[] copy, long offset, int length) {
        write(azure.disk, copy, offset, length);
    }

    /** Writes random bytes into a disk, and into the test's copy of what it holds. */
    private static void write(io.failback.sitedisk.VirtualDisk disk, byte[] copy, long offset, int length) {
        scribble(copy, offset, length, offset);
        disk.write(offset, ByteBuffer.wrap(copy, (int) offset, length).slice());
    }

    private static void scribble(byte[] content, long offset, int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        System.arraycopy(data, 0, content, (int) offset, length);
    }

    private SyncCommand command(String commandId, DeltaCheckpoint completeFrom) {
        return SyncCommand.of(commandId, job, "item-" + id, Instant.now(), new SyncCommand.PlannedFailover(
                FailoverDirection.RecoveryToPrimary, DataSyncOption.ForDownTime, RecoveryVmCreationOption.CreateVmIfNotFound,
                new SyncCommand.AzureVm(azureVm), new SyncCommand.OnPremisesVm("host-a", StandInSites.host.url, hostVm, "vSwitch-Prod"),
                null, completeFrom));
    }

    private static SyncEvent taskDone(List<SyncEvent> events, SyncTask task) {
        return events.stream().filter(e -> e.type() == Type.TaskSucceeded && e.task() == task).findFirst().orElseThrow();
    }

    private static SyncEvent last(List<SyncEvent> events) {
        return events.get(events.size() - 1);
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
}
