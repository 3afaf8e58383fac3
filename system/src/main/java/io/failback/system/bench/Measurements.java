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

        double seconds() {
            return start == null || end == null ? Double.NaN : Duration.between(start, end).toNanos() / 1e9;
        }

        private static Instant instant(JsonNode value) {
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
    record FullDownload(String jobName, double jobSeconds, List<TaskReport> tasks, Usage usage, long hostBlocksAfter) {
        /** The copy and the SHA-256 of both disks. */
        TaskReport dataSync() {
            return TaskReport.named(tasks, "DataSynchronization");
        }
    }

    /** The Azure VM's disk made to differ from the on-premises copy. */
    record AzureChange(long changedBlocks, long totalBlocks, int writesPerSecond, double seconds) {
        double percent() {
            return 100.0 * changedBlocks / totalBlocks;
        }
    }

    /**
     * ForDownTime after a change: phase 1 (POST → Suspended, the Azure VM keeps running) and phase 2 (Resume →
     * Succeeded: the downtime window).
     *
     * @param targetPercent    what was asked for: 1 or 10
     * @param hostBlocksBefore blocks the on-premises VM had written since it last started: they differ from Azure too
     * @param tasks            every task of the job, as it ended
     * @param hostBlocksAfter  the same count after this failback started it again, until the benchmark stopped it
     */
    record DeltaRun(int targetPercent, String jobName, AzureChange change, long hostBlocksBefore, double phase1Seconds,
            Usage phase1Usage, double phase2Seconds, Usage phase2Usage, List<TaskReport> tasks, long hostBlocksAfter) {

        TaskReport snapshotSync() {
            return TaskReport.named(tasks, "SnapshotSynchronization");
        }

        TaskReport finalSync() {
            return TaskReport.named(tasks, "FinalDeltaSynchronization");
        }

        double totalSeconds() {
            return phase1Seconds + phase2Seconds;
        }

        /** What sync-service sent in both phases. */
        long relayBytesWritten() {
            return phase1Usage.relayBytesWritten() + phase2Usage.relayBytesWritten();
        }
    }

    /** One timed rsync, including the {@code sync} after it. */
    record RsyncRun(String label, double seconds, long bytesSent, long bytesReceived, Usage usage) {
    }

    /**
     * @param digestSeconds the SHA-256 of the whole disk timed alone on azure-sim and on the host, in that order
     * @param rsync         empty when rsync was not available
     */
    record Repetition(FullDownload full, List<DeltaRun> deltas, double[] digestSeconds, List<RsyncRun> rsync) {
    }
}
