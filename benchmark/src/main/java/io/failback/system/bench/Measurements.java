package io.failback.system.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What one repetition of the benchmark measured; all times are wall-clock seconds. */
final class Measurements {
    private Measurements() {
    }

    /** One task of a job as job-service reports it: its own start and end, and its last progress counters. */
    record TaskReport(String name, String state, Instant start, Instant end, long bytesScanned, long bytesToSend,
            long bytesSent) {

        static List<TaskReport> all(JsonNode job) {
            List<TaskReport> tasks = new ArrayList<>();
            for (JsonNode task : job.path("properties").path("tasks")) {
                JsonNode progress = task.path("progress");
                tasks.add(new TaskReport(task.path("name").asText(), task.path("state").asText(), instant(task.path("startTime")),
                        instant(task.path("endTime")), progress.path("bytesScanned").asLong(),
                        progress.path("bytesToSend").asLong(), progress.path("bytesSent").asLong()));
            }
            return tasks;
        }

        static TaskReport named(List<TaskReport> tasks, String name) {
            return tasks.stream().filter(task -> task.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the job has no task " + name + ": " + tasks));
        }

        /**
         * The tasks as "name start+duration" in seconds from {@code from}: where a job's time went, printed with the
         * runs whose control-plane share matters.
         */
        static String timeline(List<TaskReport> tasks, Instant from) {
            StringBuilder line = new StringBuilder();
            for (TaskReport task : tasks) {
                if (task.start() == null) {
                    continue;
                }
                line.append(line.isEmpty() ? "" : ", ").append(task.name()).append(' ')
                        .append("%.2f+%.2f".formatted(Duration.between(from, task.start()).toNanos() / 1e9, task.seconds()));
            }
            return line.toString();
        }

        double seconds() {
            return start == null || end == null ? Double.NaN : Duration.between(start, end).toNanos() / 1e9;
        }

        static Instant instant(JsonNode value) {
            if (value.isMissingNode() || value.isNull()) {
                return null;
            }
            // ISO-8601 text; epoch seconds with a fraction if the service is configured to write timestamps.
            return value.isNumber() ? Instant.ofEpochSecond(0, Math.round(value.asDouble() * 1e9)) : Instant.parse(value.asText());
        }
    }

    /**
     * ForSynchronization with CreateVmIfNotFound.
     *
     * @param jobSeconds      from the POST of plannedFailover until the client saw Succeeded
     * @param tasks           every task of the job with its own start and end
     * @param usage           CPU and bytes sent by the relay from the POST until Succeeded
     * @param hostBlocksAfter blocks the on-premises VM wrote after it started, until the benchmark stopped it
     */
    record FullDownload(String jobName, double jobSeconds, List<TaskReport> tasks, Usage usage, long hostBlocksAfter,
            EstimateReading estimate) {
        /** The copy and the SHA-256 of both disks. */
        TaskReport dataSync() {
            return TaskReport.named(tasks, "DataSynchronization");
        }
    }

    /**
     * Blocks the Azure VM's workload wrote, counted by azure-sim's changed-block tracking.
     *
     * @param targetBlocks what was asked for: the share of the disk's blocks, rounded
     */
    record AzureChange(long changedBlocks, long targetBlocks, long totalBlocks, int writesPerSecond, double seconds) {
        double percent() {
            return 100.0 * changedBlocks / totalBlocks;
        }
    }

    /**
     * A ForDownTime failback: phase 1 (POST → Suspended, the Azure VM keeps running) and phase 2 (Resume → Succeeded:
     * the downtime window).
     *
     * @param name             what the run shows, e.g. "delta 1%"
     * @param beforeSnapshot   the change made in Azure before the failback; null if none
     * @param afterSnapshot    the change made in Azure while the job was suspended; null if none
     * @param hostBlocksBefore blocks the on-premises VM had written since it last started: they differ from Azure too
     * @param proofsSeconds    from Suspended until both sites' digests of their disks were ready (prepared in the
     *                         background while the job waits); Resume comes after it, as an operator's would
     * @param whileSuspended   from Suspended until Resume: the catch-up rounds' sending
     * @param tasks            every task of the job, as it ended
     * @param hostBlocksAfter  the same count after this failback started it again, until the benchmark stopped it
     * @param estimate         job-service's failback estimate for ForDownTime, read just before the POST; null if it
     *                         could not be read
     * @param beforeResume     the estimate read again just before Resume, where Azure wrote while the job was
     *                         suspended (then it estimates phase 2 alone); null otherwise
     * @param phase1Pages      where the disks differed just before phase 1 (Azure's against the host's, read from their
     *                         files): what phase 1 has to send; null where the case does not count it
     * @param phase2Pages      the pages Azure's writes while the job was suspended changed, against the disk phase 1
     *                         copied: what the catch-up rounds and phase 2 have to send; null where not counted
     */
    record DeltaRun(String name, AzureChange beforeSnapshot, AzureChange afterSnapshot, String jobName, long hostBlocksBefore,
            double phase1Seconds, Usage phase1Usage, double proofsSeconds, Usage whileSuspended, double phase2Seconds,
            Usage phase2Usage, List<TaskReport> tasks, long hostBlocksAfter, EstimateReading estimate, EstimateReading beforeResume,
            PageDifference phase1Pages, PageDifference phase2Pages) {

        TaskReport snapshotSync() {
            return TaskReport.named(tasks, "SnapshotSynchronization");
        }

        TaskReport finalSync() {
            return TaskReport.named(tasks, "FinalDeltaSynchronization");
        }

        double totalSeconds() {
            return phase1Seconds + phase2Seconds;
        }

        /**
         * What the estimates said of this failback: the one read before the POST; where Azure wrote while the job was
         * suspended, its phase 1 with the phase 2 read again before Resume. Null if either could not be read.
         */
        EstimateReading estimateOfWhatRan() {
            if (afterSnapshot == null) {
                return estimate;
            }
            if (estimate == null || beforeResume == null) {
                return null;
            }
            double phase1 = estimate.totalSeconds() - estimate.downtimeSeconds();
            return new EstimateReading(estimate.option(), phase1 + beforeResume.downtimeSeconds(), beforeResume.downtimeSeconds());
        }

        /** What sync-service sent in both phases and the catch-up rounds between them. */
        long relayBytesWritten() {
            return phase1Usage.relayBytesWritten() + whileSuspended.relayBytesWritten() + phase2Usage.relayBytesWritten();
        }
    }

    /**
     * Commit of a failback, then the on-premises VM writing, then Reverse Replicate ("reprotect").
     *
     * @param commitSeconds        the Commit job, POST → Succeeded (keeps the Azure disks as the replica, deletes the VM)
     * @param writesPerSecond      the on-premises VM's workload: writes of {@code writeSizeBytes} anywhere on the disk
     * @param writingSeconds       from the start's answer to the stop's answer
     * @param blocksWritten        64 KiB blocks changed on-premises since the failback's proof, from host-agent's
     *                             changed-block tracking: what Reverse Replicate has to send
     * @param blockSize            the tracking's block size
     * @param jobSeconds           the Reprotect job, POST → Succeeded
     * @param usage                CPU and relay bytes during the Reprotect job
     * @param pagesWritten         the 4 KiB pages the writes changed, from the disk's image before them and its file after;
     *                             null where not counted
     */
    record ReverseReplication(double commitSeconds, int writesPerSecond, int writeSizeBytes, double writingSeconds,
            long blocksWritten, int blockSize, String jobName, double jobSeconds, List<TaskReport> tasks, Usage usage,
            PageDifference pagesWritten) {

        TaskReport replicateToAzure() {
            return TaskReport.named(tasks, "ReplicateToAzure");
        }

        long bytesWritten() {
            return blocksWritten * blockSize;
        }

        /** The writes the workload made: its rate over the time it ran, to within one 20 ms tick's worth. */
        long estimatedWrites() {
            return Math.round(writesPerSecond * writingSeconds);
        }
    }

    /**
     * What job-service's {@code failbackEstimate} said of one data-sync option just before the failback started.
     *
     * @param option          ForSynchronization or ForDownTime
     * @param totalSeconds    the whole failback
     * @param downtimeSeconds the part with the VM down on both sites
     */
    record EstimateReading(String option, double totalSeconds, double downtimeSeconds) {
    }

    /**
     * Reverse Replicate on a disk larger than the main one, after a full download and Commit, to see whether its time
     * grows with the disk.
     */
    record LargeReverse(long diskMib, double fullDownloadSeconds, EstimateReading fullDownloadEstimate, ReverseReplication reverse) {
    }

    /**
     * A full download with sync-service's compression set one way.
     *
     * @param link        "1 Gbit/s" (through the benchmark's rate-limited link) or "loopback"
     * @param content     what the disk holds, e.g. "half text"
     * @param compression the value of FAILBACK_SYNC_COMPRESSION sync-service ran with
     * @param relayBytes  what sync-service wrote during the job: the block streams to the host, compressed or not
     * @param linkBytes   what the rate-limited link carried towards the host during the job; 0 on loopback
     */
    record CompressionRun(String link, String content, String compression, long diskMib, double jobSeconds, long relayBytes,
            long linkBytes, Usage usage, EstimateReading estimate) {
    }

    /**
     * A full download in a sync-service process started for it, and that process's peak resident set size.
     *
     * @param relayBytes what the relay sent to the host
     */
    record MemoryRun(long diskMib, double jobSeconds, long relayBytes, long syncServicePeakRssKib) {
    }

    /**
     * What a suspended ForDownTime job says of its catch-up rounds (issue #17), {@code properties.customDetails.catchUp}:
     * how far behind the running Azure VM the on-premises copy is, and what "Complete Failover" would cost now.
     *
     * @param rounds                   catch-up rounds ended so far
     * @param behindBytes              what the VM wrote since the last round's tracking point; NaN if the job left it out
     * @param behindSeconds            how old the on-premises copy is; NaN if left out
     * @param estimatedDowntimeSeconds the job's estimate of phase 2 if resumed now; NaN if left out
     * @param converging               whether the rounds keep up with the VM's writes; null if left out
     * @param lastRound                null before the first round ends
     */
    record CatchUpReading(int rounds, double behindBytes, double behindSeconds, double estimatedDowntimeSeconds, Boolean converging,
            LastRound lastRound) {

        record LastRound(double bytesSent, double seconds, Instant endedAt) {
        }

        /** Null when the job says nothing of catch-up rounds: a job-service that does not make them yet. */
        static CatchUpReading of(JsonNode job) {
            JsonNode catchUp = job.path("properties").path("customDetails").path("catchUp");
            if (!catchUp.isObject()) {
                return null;
            }
            JsonNode last = catchUp.path("lastRound");
            LastRound lastRound = last.isObject()
                    ? new LastRound(number(last.path("bytesSent")), number(last.path("seconds")), TaskReport.instant(last.path("endedAt")))
                    : null;
            JsonNode converging = catchUp.path("converging");
            return new CatchUpReading(catchUp.path("rounds").asInt(0), number(catchUp.path("behindBytes")),
                    number(catchUp.path("behindSeconds")), number(catchUp.path("estimatedDowntimeSeconds")),
                    converging.isBoolean() ? converging.asBoolean() : null, lastRound);
        }

        private static double number(JsonNode value) {
            return value.isNumber() ? value.asDouble() : Double.NaN;
        }
    }

    /**
     * What a running VM wrote since a tracking point, from its site's changed-block tracking ({@code GET
     * .../changed-blocks?since=}): the blocks, and the bytes a delta of them carries (blocks written whole count whole,
     * blocks written in part by their 4 KiB pages, as the block API's {@code pages} lists them).
     *
     * @param seconds how long ago the tracking point was taken
     */
    record WrittenSince(long blocks, long bytes, double seconds) {

        static WrittenSince of(JsonNode changedBlocks, double seconds) {
            long blockSize = changedBlocks.path("blockSize").asLong();
            long bytes = 0;
            for (JsonNode range : changedBlocks.path("ranges")) {
                bytes += range.get(1).asLong() * blockSize;
            }
            // Each block listed here lies in the ranges above, counted whole there: only its pages were written.
            for (JsonNode partial : changedBlocks.path("pages")) {
                bytes -= blockSize - (long) Long.bitCount(partial.get(1).asLong()) * PageDifference.PAGE_BYTES;
            }
            return new WrittenSince(changedBlocks.path("blockCount").asLong(), bytes, seconds);
        }
    }

    /**
     * A ForDownTime failback of an Azure VM that kept writing scattered 4 KiB writes from before phase 1, through the
     * suspension, until the failback's shutdown stopped it (issue #17).
     *
     * @param run               the repetition it belongs to
     * @param writesPerSecond   the Azure VM's workload
     * @param suspendSeconds    the suspension asked for, from {@code Suspended} to Resume
     * @param delta             both phases as measured; phase 2 (Resume → Succeeded) is the downtime
     * @param suspendedSeconds  from {@code Suspended} as the client saw it until Resume
     * @param whileSuspended    CPU and relay bytes between the two: catch-up rounds, where the job makes them
     * @param catchUp           the job's own account of its lag, read just before Resume; null where it gives none
     * @param writtenSincePhase1Snapshot what the VM had written since phase 1's snapshot, read from azure-sim just before
     *                          Resume: what phase 2 would send without catch-up rounds; null if the snapshot was not found
     * @param finalPagesDiffering 4 KiB pages in which the two disks' image files differed after the failback
     */
    record LiveDowntimeRun(int run, int writesPerSecond, int suspendSeconds, DeltaRun delta, double suspendedSeconds, Usage whileSuspended,
            CatchUpReading catchUp, WrittenSince writtenSincePhase1Snapshot, long finalPagesDiffering) {

        double downtimeSeconds() {
            return delta.phase2Seconds();
        }

        /** 0 where the job says nothing of catch-up rounds. */
        int rounds() {
            return catchUp == null ? 0 : catchUp.rounds();
        }
    }

    /** One timed rsync, including the {@code sync} after it. */
    record RsyncRun(String label, double seconds, long bytesSent, long bytesReceived, Usage usage) {
    }

    /**
     * @param deltas        the ForDownTime failbacks with changes made before the snapshot
     * @param afterSnapshot the ForDownTime failback whose changes were made while it was suspended
     * @param digestSeconds the whole-disk digest of Azure's and of the host's image file read whole by the benchmark, in that order
     * @param smallWrites   the ForDownTime failback with 4 KiB writes before it and while it was suspended (P4')
     * @param rsync         empty when rsync was not available; else the full copy, one delta per entry of
     *                      {@code deltas}, the delta of {@code smallWrites}' writes, and the rescan after
     *                      {@code afterSnapshot}'s change, in that order
     */
    /**
     * A recovery plan's failback with a full download: its VMs in one group, side by side on the host's link.
     *
     * @param jobSeconds  POST → the plan job Succeeded
     * @param estimate    the plan's {@code failbackEstimate}, read just before the POST; null if it could not be read
     */
    record PlanRun(String plan, int vms, long diskMib, String jobName, double jobSeconds, EstimateReading estimate) {
    }

    /** @param plan the recovery plan that failed back just before the full download, whose estimate follows it; null if none */
    record Repetition(PlanRun plan, FullDownload full, List<DeltaRun> deltas, DeltaRun smallWrites, DeltaRun afterSnapshot,
            ReverseReplication reverse, double[] digestSeconds, List<RsyncRun> rsync) {

        RsyncRun rsyncFull() {
            return rsync.isEmpty() ? null : rsync.get(0);
        }

        RsyncRun rsyncDelta(int index) {
            return rsync.isEmpty() ? null : rsync.get(1 + index);
        }

        /** rsync's delta of the 4 KiB writes, made before and while {@code smallWrites} was suspended, together. */
        RsyncRun rsyncSmallWrites() {
            return rsync.isEmpty() ? null : rsync.get(1 + deltas.size());
        }

        RsyncRun rsyncRescan() {
            return rsync.isEmpty() ? null : rsync.get(2 + deltas.size());
        }
    }
}
