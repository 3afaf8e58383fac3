package io.failback.system.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.FailbackApi;
import io.failback.system.bench.Measurements.AzureChange;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * Makes the Azure VM's disk differ from the on-premises copy in a given share of its blocks, the way
 * performance.md's rsync figures were made: whole 64 KiB blocks overwritten at random with new random data, by the
 * VM's own workload. The count is from azure-sim's changed-block tracking, and the writing slows down near the target
 * so that it lands on it to within a few blocks.
 */
final class AzureDiskChanger {
    private static final int BLOCK_BYTES = 65536;
    /** The highest write rate; the brief's figure. */
    private static final int MAX_WRITES_PER_SECOND = 2000;
    private static final int PAGE_BYTES = 4096;
    /** 4 KiB writes are cheaper: 1% of a 16 GiB disk's pages in about two seconds. */
    private static final int MAX_PAGE_WRITES_PER_SECOND = 25_000;
    /**
     * The rate is chosen so that reaching the target takes about this long: quick, yet slow enough that the polls
     * below see the count climb.
     */
    private static final double SECONDS_TO_TARGET = 2.0;
    /** At full rate the count is polled this often, and the writing slows down this long before the target. */
    private static final Duration FAST_POLL = Duration.ofMillis(100);
    private static final double SLOW_DOWN_SECONDS = 0.25;
    /**
     * The workload writes every 20 ms; near the target it writes a tenth of its rate, at least one write a tick, and
     * is polled every tick, so it stops within a few writes of the target.
     */
    private static final int MIN_FINAL_WRITES_PER_SECOND = 50;
    private static final Duration FINAL_POLL = Duration.ofMillis(20);

    private final FailbackApi api;
    private final URI azure;

    AzureDiskChanger(FailbackApi api, URI azure) {
        this.api = api;
        this.azure = azure;
    }

    /** Starts the VM (a failback leaves it shut down), changes {@code percent}% of its blocks, leaves it running idle. */
    AzureChange startAndChange(String vm, double percent, long seed) {
        start(vm);
        return change(vm, percent, seed);
    }

    /** Starts the VM idle: its workload was set to write nothing when it was created or last changed. */
    void start(String vm) {
        api.send("POST", URI.create(vmUrl(vm) + "/start"), "", 200);
    }

    /**
     * Starts the stopped VM writing {@code writesPerSecond} random aligned 4 KiB writes anywhere on its disk, and leaves
     * it writing: until someone shuts it down or sets another workload.
     */
    void startWriting(String vm, int writesPerSecond, long seed) {
        // Set while it is stopped, so that it writes at this rate from its first tick.
        setWorkload(vmUrl(vm), writesPerSecond, PAGE_BYTES, seed);
        start(vm);
    }

    /**
     * Sets the running VM writing {@code writesPerSecond} random aligned 4 KiB writes from now on, until someone shuts it
     * down or sets another workload.
     */
    void keepWriting(String vm, int writesPerSecond, long seed) {
        setWorkload(vmUrl(vm), writesPerSecond, PAGE_BYTES, seed);
    }

    /** A VM's workload outlives its shutdown: this one leaves it idle, now and when it next starts. */
    void stopWriting(String vm) {
        setWorkload(vmUrl(vm), 0, BLOCK_BYTES, 0);
    }

    /** Changes {@code percent}% of the running VM's blocks, counted from now, and leaves it running idle. */
    AzureChange change(String vm, double percent, long seed) {
        URI vmUrl = vmUrl(vm);
        // A snapshot is the public way to learn the disk's tracking point; the point stays valid without it, so the
        // snapshot goes at once and its copy-on-write costs the writes below nothing.
        JsonNode snapshot = api.send("POST", URI.create(vmUrl + "/snapshots"), "", 201);
        long point = snapshot.path("trackingPoints").path("disk-0").asLong();
        api.send("DELETE", URI.create(vmUrl + "/snapshots/" + snapshot.path("snapshotId").asText()), null, 204);

        URI changed = URI.create(vmUrl + "/disks/disk-0/changed-blocks?since=" + point);
        if (api.get(changed).path("blockSize").asInt() != BLOCK_BYTES) {
            throw new IllegalStateException("azure-sim's block size is not 64 KiB; rsync -B 65536 in this benchmark assumes it");
        }
        long totalBlocks = api.get(vmUrl).path("disks").get(0).path("sizeBytes").asLong() / BLOCK_BYTES;
        long target = Math.max(1, Math.round(totalBlocks * percent / 100));
        int rate = (int) Math.max(MIN_FINAL_WRITES_PER_SECOND, Math.min(MAX_WRITES_PER_SECOND, Math.round(target / SECONDS_TO_TARGET)));
        int finalRate = Math.max(MIN_FINAL_WRITES_PER_SECOND, rate / 10);
        long slowDownAt = Math.max(0, target - Math.round(rate * SLOW_DOWN_SECONDS));

        Instant started = Instant.now();
        Instant deadline = started.plus(Duration.ofSeconds(60 + target / finalRate * 3));
        try {
            setWorkload(vmUrl, rate, BLOCK_BYTES, seed);
            awaitChangedBlocks(vm, changed, slowDownAt, FAST_POLL, deadline);
            // A new seed: the same one would replay the writes just made, into blocks already counted.
            setWorkload(vmUrl, finalRate, BLOCK_BYTES, -seed);
            awaitChangedBlocks(vm, changed, target, FINAL_POLL, deadline);
        } finally {
            setWorkload(vmUrl, 0, BLOCK_BYTES, seed);
        }
        double seconds = FailbackDriver.secondsSince(started);
        // Counted after the stop: the last writes of the final tick are included.
        return new AzureChange(api.get(changed).path("blockCount").asLong(), target, totalBlocks, rate, seconds);
    }

    /**
     * The running VM makes about {@code writes} random 4 KiB writes, aligned to 4 KiB, over about
     * {@link #SECONDS_TO_TARGET}, then idles. Their number is the workload's rate over the time it ran; where they
     * landed is for the caller to count from the disk's file. The blocks are counted by azure-sim's change tracking.
     */
    AzureChange writePages(String vm, long writes, long seed) {
        URI vmUrl = vmUrl(vm);
        JsonNode snapshot = api.send("POST", URI.create(vmUrl + "/snapshots"), "", 201);
        long point = snapshot.path("trackingPoints").path("disk-0").asLong();
        api.send("DELETE", URI.create(vmUrl + "/snapshots/" + snapshot.path("snapshotId").asText()), null, 204);
        long totalBlocks = api.get(vmUrl).path("disks").get(0).path("sizeBytes").asLong() / BLOCK_BYTES;
        int rate = (int) Math.max(MIN_FINAL_WRITES_PER_SECOND, Math.min(MAX_PAGE_WRITES_PER_SECOND,
                Math.round(writes / SECONDS_TO_TARGET)));
        Instant started = Instant.now();
        try {
            setWorkload(vmUrl, rate, PAGE_BYTES, seed);
            FailbackDriver.sleep(Duration.ofMillis(Math.round(1000.0 * writes / rate)));
        } finally {
            setWorkload(vmUrl, 0, BLOCK_BYTES, seed);
        }
        double seconds = FailbackDriver.secondsSince(started);
        long blocks = api.get(URI.create(vmUrl + "/disks/disk-0/changed-blocks?since=" + point)).path("blockCount").asLong();
        return new AzureChange(blocks, writes, totalBlocks, rate, seconds);
    }

    private void awaitChangedBlocks(String vm, URI changed, long blocks, Duration poll, Instant deadline) {
        while (api.get(changed).path("blockCount").asLong() < blocks) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the Azure VM " + vm + " did not change " + blocks + " blocks in time");
            }
            FailbackDriver.sleep(poll);
        }
    }

    private URI vmUrl(String vm) {
        return azure.resolve("/api/vms/" + vm);
    }

    private void setWorkload(URI vmUrl, int writesPerSecond, int writeBytes, long seed) {
        api.send("PUT", URI.create(vmUrl + "/workload"), """
                {"pattern": "RandomSmall", "writesPerSecond": %d, "writeSizeBytes": %d, "seed": %d}"""
                .formatted(writesPerSecond, writeBytes, seed), 200);
    }
}
