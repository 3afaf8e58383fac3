package io.failback.contracts.messaging;

import io.failback.contracts.site.Problem;
import java.time.Instant;
import java.util.List;

/**
 * sync-service → job-service, on {@link Topics#SYNC_EVENTS}, keyed by {@code itemName}. Version
 * {@link ContractVersions#SYNC_EVENT}.
 * <p>
 * Delivered at least once and, across partitions or retries, possibly out of order: job-service records the
 * {@code eventId} of each event that changed state, a task's state only moves forward, and a progress report counts
 * only if its {@code sequence} is above the last one applied to its task (so progress leaves no record).
 *
 * @param sequence increases with every event one run of a command emits
 * @param task null on {@link Type#SyncSucceeded} and {@link Type#SyncFailed}
 * @param progress set on {@link Type#TaskProgress} and on the final {@link Type#TaskSucceeded} of a data task
 * @param failure set on {@link Type#TaskFailed} and {@link Type#SyncFailed}; on {@link Type#TaskWaiting}, the part that
 *        cannot be reached and until when the task waits for it
 * @param verifications set on {@link Type#SyncSucceeded}: each disk's strong digest on both sides
 * @param checkpoint set on {@link Type#SyncSuspended}: what phase 2 continues from
 * @param recoveryPoint set on the {@link Type#SyncSucceeded} of a replication: the moment the replica now holds
 * @param catchUp set on {@link Type#SyncCaughtUp}: what the round did and how far behind it left the on-premises
 *        disks (added within version 1; absent from older producers, which send no such event)
 */
public record SyncEvent(
        int schemaVersion,
        String eventId,
        String commandId,
        String jobName,
        String itemName,
        Type type,
        SyncTask task,
        long sequence,
        Instant occurredAt,
        TaskProgress progress,
        Failure failure,
        List<DiskVerification> verifications,
        DeltaCheckpoint checkpoint,
        Instant recoveryPoint,
        CatchUpRound catchUp) {

    public enum Type {
        TaskStarted,
        TaskProgress,
        TaskSucceeded,
        TaskFailed,
        /**
         * The task cannot go on because a part it needs is away (a site that does not answer, a stream cut half-way): it
         * waits, retrying with back-off, until the part is back or its patience runs out (then {@link #TaskFailed}).
         * {@code failure} names the part. Ordered like {@link #TaskProgress}: by {@code sequence}.
         */
        TaskWaiting,
        /** The part a {@link #TaskWaiting} named answers again; the task goes on from its last durable checkpoint. */
        TaskResumed,
        SyncSucceeded,
        /** Phase 1 of a ForDownTime failback is done: the job waits for "Complete Failover" (resume). */
        SyncSuspended,
        /**
         * A catch-up round of a suspended failback is done ({@link SyncCommand.CatchUp}): {@code checkpoint} is what
         * the on-premises disks now equal, {@code catchUp} the round's figures. Added within version 1.
         */
        SyncCaughtUp,
        SyncFailed
    }

    /**
     * One catch-up round's figures, over all the VM's disks.
     *
     * @param from the checkpoint the round started from (job-service applies a round only to the checkpoint it
     *        started from, so a duplicate or late one changes nothing)
     * @param snapshotTakenAt when the round's snapshot was taken: the on-premises disks are as old as this
     * @param bytesSent what the round sent
     * @param seconds how long the round took, snapshot to the last block written
     * @param behindBytes what the Azure VM had written since the snapshot when the round ended: what phase 2 would
     *        send, had "Complete Failover" come then
     * @param writtenBytesPerSecond the Azure VM's write rate while the round ran (behindBytes over the time since the
     *        snapshot); the round keeps up when it sends faster than this
     */
    public record CatchUpRound(DeltaCheckpoint from, Instant snapshotTakenAt, long bytesSent, double seconds, long behindBytes,
            double writtenBytesPerSecond) {
    }

    /**
     * @param bytesTotal bytes of all disks the task covers
     * @param bytesScanned bytes read (or hashed) so far
     * @param bytesToSend bytes that must travel (equal to bytesTotal for a full download)
     * @param bytesSent bytes written to the target so far
     * @param bytesPerSecond recent transfer rate
     * @param etaSeconds estimated seconds to finish, null while unknown
     * @param bytesResumed of {@code bytesSent}, the bytes an interrupted copy had already made durable on the target,
     *        which were not sent again (0 when nothing was resumed)
     */
    public record TaskProgress(long bytesTotal, long bytesScanned, long bytesToSend, long bytesSent,
            double bytesPerSecond, Long etaSeconds, long bytesResumed) {
    }

    /** @param code stable, machine-readable (e.g. {@code OnPremisesVmNotFound}); message says what to do. */
    public record Failure(String code, String message) {
        /** A {@code TaskWaiting} for a copy slot of the sync-service instance: it runs so many copies at once. */
        public static final String COPY_QUEUED = "CopyQueued";

        /**
         * Whether a {@code TaskWaiting} with this code waits its turn ({@link #COPY_QUEUED}, or a site serving as many
         * block streams as it will, {@code SiteBusy}) rather than for a part that is away: the task and its job say
         * so, the item's health does not, since nothing is wrong with it.
         */
        public boolean waitsItsTurn() {
            return COPY_QUEUED.equals(code) || Problem.SITE_BUSY.equals(code);
        }
    }

    public record DiskVerification(String diskId, long sizeBytes, String algorithm, String sourceDigest,
            String targetDigest) {
        public boolean matches() {
            return sourceDigest != null && sourceDigest.equals(targetDigest);
        }
    }
}
