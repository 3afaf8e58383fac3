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
 * VM's own workload. The count is exact, from azure-sim's changed-block tracking.
 */
final class AzureDiskChanger {
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int BLOCK_BYTES = 65536;
    /** The highest write rate; the brief's figure. */
    private static final int MAX_WRITES_PER_SECOND = 2000;
    /**
     * The rate is lowered so that reaching the target takes at least this long: with a 100 ms poll, 2000 writes/s
     * would overshoot 1% of a 4 GiB disk (655 blocks) by about a third; over two seconds it overshoots by a few percent.
     */
    private static final double MIN_SECONDS = 2.0;

    private final FailbackApi api;
    private final URI azure;

    AzureDiskChanger(FailbackApi api, URI azure) {
        this.api = api;
        this.azure = azure;
    }

    /** Starts the VM (a failback leaves it shut down), changes {@code percent}% of its blocks, leaves it running idle. */
    AzureChange change(String vm, double percent, long seed) {
        URI vmUrl = azure.resolve("/api/vms/" + vm);
        api.send("POST", URI.create(vmUrl + "/start"), "", 200);
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
        int rate = (int) Math.max(50, Math.min(MAX_WRITES_PER_SECOND, Math.round(target / MIN_SECONDS)));

        Instant started = Instant.now();
        setWorkload(vmUrl, rate, seed);
        Instant deadline = started.plus(Duration.ofSeconds(60 + target / rate * 3));
        try {
            while (api.get(changed).path("blockCount").asLong() < target) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the Azure VM " + vm + " did not change " + target + " blocks in time");
                }
                FailbackDriver.sleep(POLL);
            }
        } finally {
            setWorkload(vmUrl, 0, seed);
        }
        double seconds = FailbackDriver.secondsSince(started);
        // Counted after the stop: the last writes of the final tick are included.
        return new AzureChange(api.get(changed).path("blockCount").asLong(), totalBlocks, rate, seconds);
    }

    private void setWorkload(URI vmUrl, int writesPerSecond, long seed) {
        api.send("PUT", URI.create(vmUrl + "/workload"), """
                {"pattern": "RandomSmall", "writesPerSecond": %d, "writeSizeBytes": %d, "seed": %d}"""
                .formatted(writesPerSecond, BLOCK_BYTES, seed), 200);
    }
}
