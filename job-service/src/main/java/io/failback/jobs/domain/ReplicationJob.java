package io.failback.jobs.domain;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.DeltaCheckpoint;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A Site Recovery job: one operation on one item, its state, and its tasks in order. */
@Entity
@Table(name = "replication_job")
public class ReplicationJob extends PanacheEntityBase {
    @Id
    public String name;
    public String scenarioName;
    public String friendlyName;
    @Enumerated(EnumType.STRING)
    public JobState state;
    public String stateDescription;
    private static final int STATE_DESCRIPTION_LENGTH = 255;
    public String targetObjectId;
    public String targetObjectName;
    public Instant startTime;
    public Instant endTime;
    /** A ForDownTime failback's: when its phase 1 ended and suspended it (sync-service's time, like the tasks'). */
    public Instant suspendedAt;
    /** A ForDownTime failback's: when Complete Failover resumed it for phase 2. */
    public Instant resumedAt;
    @Enumerated(EnumType.STRING)
    public FailoverDirection failoverDirection;
    @Enumerated(EnumType.STRING)
    public DataSyncOption dataSyncOption;
    @Enumerated(EnumType.STRING)
    public RecoveryVmCreationOption recoveryVmCreationOption;
    /** The on-premises host the failback goes to. */
    public String targetProviderId;
    /** An unplanned failover's sourceSiteOperations (Required shuts the on-premises VMs down first); a plan job passes it on. */
    public String sourceSiteOperations;
    /** What a test failover's cleanup should record, for a plan job to pass on to its items. */
    public String testFailoverComments;
    /**
     * A failback's: the bytes of the Azure VM's disks that held data (not all zeros) as it started, as azure-sim
     * measured them; null when it could not tell. The failback estimate learns a full download's rates from it.
     */
    public Long sourceDataBytes;
    /** The cloud key's certificate the failback named, for a cloud that encrypts data. */
    public String encryptionKeyId;
    /** The command sync-service works on for this job now; events of earlier commands are stale. */
    public String currentCommandId;
    /** That command as sent, so that it can be sent again if sync-service goes quiet. */
    @Column(columnDefinition = "text")
    public String currentCommand;
    /** The last time sync-service was heard from about this job (or the job was (re)started). */
    public Instant lastActivityAt;
    /** Who started the job: the subject of the caller's token, or {@code kafka:asr.operations} for the Kafka command API. */
    public String startedBy;
    /** The request that started the job (REST Idempotency-Key, Kafka requestId), echoed on its state changes. */
    public String requestId;
    /** The highest {@link #version} published to the state-change topic; null before the first. */
    public Long publishedVersion;
    public int attempts;
    /** Tasks, errors and verifications change together with the job: one JSON document in its row. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public JobDetails details = new JobDetails(List.of(), List.of(), List.of(), null, null);
    @Version
    public long version;

    /**
     * @param verifications each disk's SHA-256 on both sides once the data synchronization is proven
     * @param checkpoint where a suspended ForDownTime failback continues from on "Complete Failover": phase 1's, then
     *        each catch-up round's
     * @param catchUp a suspended ForDownTime failback's catch-up rounds; null before the first is issued
     */
    public record JobDetails(List<JobTask> tasks, List<JobError> errors, List<DiskVerification> verifications,
            DeltaCheckpoint checkpoint, CatchUp catchUp) {
        JobDetails with(List<JobTask> newTasks, List<JobError> newErrors, List<DiskVerification> newVerifications) {
            return new JobDetails(newTasks, newErrors, newVerifications, checkpoint, catchUp);
        }
    }

    /**
     * While a ForDownTime failback is suspended, sync-service keeps its on-premises disks close to the running Azure
     * VM in rounds (issue #17): each sends what the VM wrote since the last checkpoint, read from a new snapshot, and
     * moves the job's checkpoint there. This is how far it got.
     *
     * @param rounds rounds that ended and moved the checkpoint
     * @param roundCommandId the round issued and not answered yet; null when none is under way
     * @param roundIssuedAt when that round was issued, or the last one ended or failed: the next is due a pause later
     * @param copyTakenAt when the snapshot the on-premises disks equal was taken (phase 1's, then each round's)
     * @param behindBytes what the Azure VM had written since that snapshot when the last round ended
     * @param writtenBytesPerSecond the VM's write rate while the last round ran
     * @param lastRoundBytes what the last round sent
     * @param lastRoundSeconds how long it took
     * @param roundsFallingBehind rounds in a row that ended further behind than they started: the VM writes faster
     *        than rounds send
     * @param lastRoundError why the last round failed; null once one succeeds
     * @param downtimeSeconds what Complete Failover would cost after the last round, as the failback estimate's costs
     *        learned from this host's failbacks predict phase 2 for what the round left behind; null before a round
     */
    public record CatchUp(int rounds, String roundCommandId, Instant roundIssuedAt, Instant copyTakenAt, long behindBytes,
            double writtenBytesPerSecond, long lastRoundBytes, double lastRoundSeconds, int roundsFallingBehind, String lastRoundError,
            Double downtimeSeconds) {

        /** Before the first round: the disks equal phase 1's snapshot, taken at {@code copyTakenAt}. */
        public static CatchUp none(Instant copyTakenAt) {
            return new CatchUp(0, null, null, copyTakenAt, 0, 0, 0, 0, 0, null, null);
        }

        CatchUp issued(String commandId, Instant at) {
            return new CatchUp(rounds, commandId, at, copyTakenAt, behindBytes, writtenBytesPerSecond, lastRoundBytes, lastRoundSeconds,
                    roundsFallingBehind, lastRoundError, downtimeSeconds);
        }

        CatchUp ended(io.failback.contracts.messaging.SyncEvent.CatchUpRound round, Instant at) {
            // A round falls behind when it leaves more written than it had to send: the next one will have more still.
            boolean fellBehind = round.behindBytes() > Math.max(round.bytesSent(), FALLING_BEHIND_FLOOR_BYTES);
            return new CatchUp(rounds + 1, null, at, round.snapshotTakenAt(), round.behindBytes(), round.writtenBytesPerSecond(),
                    round.bytesSent(), round.seconds(), fellBehind ? roundsFallingBehind + 1 : 0, null, null);
        }

        CatchUp failed(String error, Instant at) {
            return new CatchUp(rounds, null, at, copyTakenAt, behindBytes, writtenBytesPerSecond, lastRoundBytes, lastRoundSeconds,
                    roundsFallingBehind, error, downtimeSeconds);
        }

        public CatchUp withDowntime(double seconds) {
            return new CatchUp(rounds, roundCommandId, roundIssuedAt, copyTakenAt, behindBytes, writtenBytesPerSecond, lastRoundBytes,
                    lastRoundSeconds, roundsFallingBehind, lastRoundError, seconds);
        }

        /** Whether the rounds keep up with the VM: none of the last two fell behind. */
        public boolean converging() {
            return roundsFallingBehind < 2;
        }

        /**
         * What the on-premises copy lacks at {@code now}: what the last round left when it ended (a round's length after
         * its snapshot), and what the VM wrote at its rate since.
         */
        public long behindBytesAt(Instant now) {
            double sinceSnapshot = copyTakenAt == null ? 0 : java.time.Duration.between(copyTakenAt, now).toMillis() / 1000.0;
            return behindBytes + (long) (writtenBytesPerSecond * Math.max(0, sinceSnapshot - lastRoundSeconds));
        }
    }

    /** Below this a round's leftovers are noise (a few blocks), whatever it sent: no reason to say it falls behind. */
    private static final long FALLING_BEHIND_FLOOR_BYTES = 4L << 20;

    /**
     * Allowed actions follow the state and what the job's {@link Scenario} declares: a running failover or
     * replication that can stop half-way can be cancelled (what it wrote stays marked, and triggering it again
     * completes it); a suspended one can be resumed ("Complete Failover") or cancelled; a failed job of an item
     * operation can be restarted (its command runs again: every step of it is a no-op when already done).
     */
    public List<String> allowedActions() {
        Scenario scenario = Scenario.of(this);
        if (scenario == null) {
            return List.of();
        }
        if (state == JobState.Suspended) {
            return scenario.allows(JobAction.Resume) ? List.of(JobAction.Cancel.name(), JobAction.Resume.name()) : List.of();
        }
        if (state == JobState.Failed) {
            return currentCommand != null && scenario.allows(JobAction.Restart) ? List.of(JobAction.Restart.name()) : List.of();
        }
        return state == JobState.InProgress && scenario.allows(JobAction.Cancel) ? List.of(JobAction.Cancel.name()) : List.of();
    }

    /** Whether {@link #allowedActions} includes {@code action} now. */
    public boolean allows(JobAction action) {
        return allowedActions().contains(action.name());
    }

    /** Runs the job again after it failed: it is in progress once more, its unfinished tasks not started. */
    public void restart(Instant at) {
        List<JobTask> reset = tasks().stream().map(task -> task.state() != JobState.Succeeded && task.state() != JobState.NotStarted
                ? JobTask.notStarted(task.name(), task.friendlyName()) : task).toList();
        details = new JobDetails(reset, details.errors(), details.verifications(), details.checkpoint(), details.catchUp());
        state = JobState.InProgress;
        stateDescription = "Restarted at " + at;
        endTime = null;
    }

    /** Ends the job as Cancelled; its unfinished tasks are cancelled with it. */
    public void cancel(Instant at, String description) {
        List<JobTask> updated = tasks().stream().map(task -> task.cancelled(at)).toList();
        details = new JobDetails(updated, details.errors(), details.verifications(), details.checkpoint(), details.catchUp());
        finish(JobState.Cancelled, description, at);
    }

    public void suspend(DeltaCheckpoint checkpoint, String description, Instant at) {
        state = JobState.Suspended;
        suspendedAt = at;
        stateDescription = description;
        details = new JobDetails(details.tasks(), details.errors(), details.verifications(), checkpoint, details.catchUp());
    }

    /** A catch-up round goes out as {@code commandId}: events of other commands are stale until it ends. */
    public void catchUpIssued(String commandId, Instant at) {
        CatchUp current = details.catchUp() != null ? details.catchUp() : CatchUp.none(phase1SnapshotTakenAt());
        currentCommandId = commandId;
        details = new JobDetails(details.tasks(), details.errors(), details.verifications(), details.checkpoint(),
                current.issued(commandId, at));
    }

    /** The round under way, or null. */
    public String catchUpRoundUnderWay() {
        return details.catchUp() == null ? null : details.catchUp().roundCommandId();
    }

    /**
     * A round reached {@code reached}, having started from the job's checkpoint: the on-premises disks now equal it.
     * A round that started from another checkpoint (a duplicate, or one overtaken) changes nothing.
     *
     * @return whether the round was applied
     */
    public boolean caughtUp(DeltaCheckpoint reached, io.failback.contracts.messaging.SyncEvent.CatchUpRound round, Instant at) {
        if (state != JobState.Suspended || round == null || reached == null || !java.util.Objects.equals(round.from(), details.checkpoint())) {
            return false;
        }
        CatchUp current = details.catchUp() != null ? details.catchUp() : CatchUp.none(phase1SnapshotTakenAt());
        details = new JobDetails(details.tasks(), details.errors(), details.verifications(), reached, current.ended(round, at));
        return true;
    }

    /** Records what Complete Failover would cost now (after the last round). */
    public void catchUpDowntime(double seconds) {
        if (details.catchUp() != null) {
            details = new JobDetails(details.tasks(), details.errors(), details.verifications(), details.checkpoint(),
                    details.catchUp().withDowntime(seconds));
        }
    }

    /** The round under way failed: the checkpoint stays, and the next round is due a pause after {@code at}. */
    public void catchUpFailed(String error, Instant at) {
        if (details.catchUp() == null) {
            return;
        }
        details = new JobDetails(details.tasks(), details.errors(), details.verifications(), details.checkpoint(),
                details.catchUp().failed(error, at));
    }

    /** Phase 1's snapshot was taken when its SnapshotSynchronization task started; the suspension time if unknown. */
    private Instant phase1SnapshotTakenAt() {
        JobTask snapshot = task(io.failback.contracts.messaging.SyncTask.SnapshotSynchronization.name());
        return snapshot != null && snapshot.startTime() != null ? snapshot.startTime() : suspendedAt;
    }

    public List<JobTask> tasks() {
        return details.tasks();
    }

    public List<JobError> errors() {
        return details.errors();
    }

    public List<DiskVerification> verifications() {
        return details.verifications();
    }

    public void addError(JobError error) {
        List<JobError> errors = new ArrayList<>(details.errors());
        errors.add(error);
        details = details.with(details.tasks(), errors, details.verifications());
    }

    public void recordVerifications(List<DiskVerification> verifications) {
        details = details.with(details.tasks(), details.errors(), List.copyOf(verifications));
    }

    public JobTask task(String taskName) {
        return tasks().stream().filter(t -> t.name().equals(taskName)).findFirst().orElse(null);
    }

    /** Replaces the named task; a new document so that Hibernate sees the change. */
    public void updateTask(String taskName, UnaryOperator<JobTask> change) {
        List<JobTask> updated = new ArrayList<>(tasks().size());
        for (JobTask task : tasks()) {
            updated.add(task.name().equals(taskName) ? change.apply(task) : task);
        }
        details = details.with(updated, details.errors(), details.verifications());
    }

    /** The job cannot go on until a part that is away is back (its waiting task says the same). */
    public void waitFor(String waitingFor) {
        stateDescription = fitted(JobTask.WAITING_PREFIX + waitingFor, STATE_DESCRIPTION_LENGTH);
    }

    /** {@code text}, cut to {@code length} characters so that it fits its column. */
    public static String fitted(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length - 1) + "…";
    }

    /** Whether the job {@link #waitFor waits} for a part now. */
    public boolean waitsForAPart() {
        return state == JobState.InProgress && stateDescription != null && stateDescription.startsWith(JobTask.WAITING_PREFIX);
    }

    /** The part the job waited for is back, or the job moved on: it is in progress again. */
    public void goOn() {
        if (waitsForAPart()) {
            stateDescription = "In progress";
        }
    }

    public void finish(JobState finalState, String description, Instant at) {
        state = finalState;
        stateDescription = description;
        endTime = at;
    }
}
