package io.failback.system;

import io.failback.testing.ReferenceDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the end-to-end tests share besides their {@link RunningSystem}: VMs that live on-premises, following jobs to
 * their end, and looking at disks the way a user can.
 */
final class SystemTests {
    private SystemTests() {
    }

    /** The block of the sites' digests and change tracking. */
    static final int BLOCK_BYTES = 65536;

    /**
     * A disk image's whole-disk digest as the contract defines it (64 KiB blocks), computed here independently of the
     * services from the file.
     */
    static String diskDigest(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return ReferenceDigest.of(in, BLOCK_BYTES);
        }
    }

    /**
     * Stops the on-premises VM, then checks that every block it did not write itself since it started holds exactly
     * the Azure disk's bytes (Azure is stopped, so its file is the state at shutdown), and that the blocks it did
     * write are exactly what its change tracking reports.
     */
    static void assertOnPremisesHoldsTheAzureDisk(LocalSystem system, FailbackApi api, HostAgent host, String vm, long diskBytes)
            throws IOException {
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        long startPoint = api.get(hostVm).path("disks").get(0).path("verifiedTrackingPoint").asLong();
        JsonNode changed = api.get(URI.create(hostVm + "/disks/disk-0/changed-blocks?since=" + startPoint));
        Set<Long> writtenOnPremises = new HashSet<>();
        for (JsonNode range : changed.path("ranges")) {
            for (long b = range.get(0).asLong(); b < range.get(0).asLong() + range.get(1).asLong(); b++) {
                writtenOnPremises.add(b);
            }
        }
        Path azureDisk = system.azureStorageDir().resolve("vms/" + vm + "/disk-0.img");
        Path onPremisesDisk = system.hostStorageDir(host.id()).resolve("vms/" + vm + "/disk-0.img");
        assertEquals(diskBytes, Files.size(onPremisesDisk));
        int blockSize = changed.path("blockSize").asInt();
        long identical = 0;
        try (InputStream a = Files.newInputStream(azureDisk); InputStream b = Files.newInputStream(onPremisesDisk)) {
            for (long block = 0;; block++) {
                byte[] x = a.readNBytes(blockSize);
                byte[] y = b.readNBytes(blockSize);
                if (x.length == 0) {
                    break;
                }
                if (!writtenOnPremises.contains(block)) {
                    assertTrue(Arrays.equals(x, y), vm + ": block " + block + " differs from Azure's and was not written on-premises");
                    identical++;
                }
            }
        }
        assertEquals(diskBytes / blockSize - writtenOnPremises.size(), identical, vm);
    }

    /** Waits (3 minutes at most) for the job to end and asserts that it succeeded; answers its properties. */
    static JsonNode succeeded(FailbackApi api, String jobName) {
        JsonNode job = api.awaitJobEnd(jobName, Duration.ofSeconds(180), update -> {
        }).path("properties");
        assertEquals("Succeeded", job.path("state").asText(), job.toPrettyString());
        return job;
    }

    /** A job's name, as a plan job's item task names the item's own job in its description. */
    private static final Pattern JOB_NAME = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** The job's task of that name. */
    static JsonNode task(JsonNode jobProperties, String name) {
        for (JsonNode task : jobProperties.path("tasks")) {
            if (name.equals(task.path("name").asText())) {
                return task;
            }
        }
        throw new AssertionError("no task " + name + " in " + jobProperties.toPrettyString());
    }

    /** The item jobs a recovery plan's job has started so far, by item, as its item tasks ({@code GroupN/item}) name them. */
    static Map<String, String> itemJobsOfPlan(JsonNode planJobProperties) {
        Map<String, String> jobs = new LinkedHashMap<>();
        for (JsonNode task : planJobProperties.path("tasks")) {
            String name = task.path("name").asText();
            Matcher job = JOB_NAME.matcher(task.path("stateDescription").asText());
            if (name.matches("Group\\d+/[^/]+") && job.find()) {
                jobs.put(name.substring(name.indexOf('/') + 1), job.group());
            }
        }
        return jobs;
    }

    /**
     * The data plane's own times agree with a plan's boot order: each VM of a later group began {@code laterTask} only
     * after every VM of the group before had finished {@code earlierTask} (groups of item names; item jobs by name).
     */
    static void assertDataPlaneInBootOrder(List<List<String>> groups, Map<String, JsonNode> itemJobs, String earlierTask,
            String laterTask) {
        for (int g = 1; g < groups.size(); g++) {
            for (String later : groups.get(g)) {
                Instant began = Instant.parse(task(itemJobs.get(later), laterTask).path("startTime").asText());
                for (String earlier : groups.get(g - 1)) {
                    Instant finished = Instant.parse(task(itemJobs.get(earlier), earlierTask).path("endTime").asText());
                    assertFalse(began.isBefore(finished), later + " began " + laterTask + " at " + began + ", before "
                            + earlier + " finished " + earlierTask + " at " + finished);
                }
            }
        }
    }

    /** The job proved its one disk: the same page-tree digest computed on both sides. */
    static void assertProven(JsonNode jobProperties) {
        JsonNode verifications = jobProperties.path("customDetails").path("verifications");
        assertEquals(1, verifications.size(), jobProperties.toPrettyString());
        JsonNode disk = verifications.get(0);
        assertEquals(ReferenceDigest.ALGORITHM, disk.path("algorithm").asText());
        assertEquals(64, disk.path("sourceDigest").asText().length());
        assertEquals(disk.path("sourceDigest").asText(), disk.path("targetDigest").asText());
    }

    /**
     * A VM that lives on the host: one disk of content generated from {@code seed}, running and writing with
     * {@code pattern}; returns once the host is connected to job-service.
     */
    static void startOnPremisesVm(LocalSystem system, FailbackApi api, HostAgent host, String vm, long diskBytes, long seed,
            String pattern, int writesPerSecond) {
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm);
        api.send("PUT", hostVm, """
                {"disks": [{"diskId": "disk-0", "sizeBytes": %d, "blockSize": 65536}], "virtualSwitchName": "%s",
                 "contentSeed": %d, "zeroPercent": 30}""".formatted(diskBytes, host.virtualSwitches().get(0), seed), 201);
        api.send("PUT", URI.create(hostVm + "/workload"), """
                {"pattern": "%s", "writesPerSecond": %d, "writeSizeBytes": 4096, "seed": %d}""".formatted(pattern, writesPerSecond, seed), 200);
        api.send("POST", URI.create(hostVm + "/start"), "", 200);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
    }

    /**
     * Starts the on-premises VM that failed back, waits until it has written to its disk, and stops it; answers the
     * bytes of the blocks written since the failback verified the disk: what Reverse Replicate has to send.
     */
    static long writeOnPremisesSinceFailback(LocalSystem system, FailbackApi api, HostAgent host, String vm) throws InterruptedException {
        URI hostVm = system.hostAgentUrl(host.id()).resolve("/api/vms/" + vm);
        URI disk = URI.create(hostVm + "/disks/disk-0");
        api.send("POST", URI.create(hostVm + "/start"), "", 200);
        awaitNextWrite(api, disk);
        api.send("POST", URI.create(hostVm + "/stop"), "", 200);
        long verifiedAt = api.get(hostVm).path("disks").get(0).path("verifiedTrackingPoint").asLong();
        JsonNode written = api.get(URI.create(disk + "/changed-blocks?since=" + verifiedAt));
        long writtenBytes = changedBytes(written);
        assertTrue(writtenBytes > 0, vm + " wrote on-premises: " + written);
        return writtenBytes;
    }

    /**
     * The bytes a {@code changed-blocks} answer stands for, as a delta sends them: whole blocks, and of the blocks only
     * partly written (its {@code pages}) only their 4 KiB pages.
     */
    static long changedBytes(JsonNode changed) {
        long blockSize = changed.path("blockSize").asLong();
        long bytes = changed.path("blockCount").asLong() * blockSize;
        for (JsonNode pages : changed.path("pages")) {
            bytes -= blockSize - Long.bitCount(pages.get(1).asLong()) * 4096L;
        }
        return bytes;
    }

    /**
     * Waits until a running VM writes to the disk (a site's {@code /api/vms/{vm}/disks/{disk}}) after this call: its
     * change tracking reports a block changed since the tracking point it is at now.
     */
    static void awaitNextWrite(FailbackApi api, URI disk) throws InterruptedException {
        long now = api.get(URI.create(disk + "/changed-blocks?since=0")).path("trackingPoint").asLong();
        URI since = URI.create(disk + "/changed-blocks?since=" + now);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (api.get(since).path("blockCount").asLong() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nothing written to " + disk + " within 60 s; is its VM running with a workload?");
            }
            Thread.sleep(100);
        }
    }
}
