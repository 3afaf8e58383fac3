package io.failback.jobs.view;

import io.failback.contracts.messaging.SyncEvent.DiskVerification;
import io.failback.jobs.domain.FabricProvider;
import io.failback.jobs.domain.ItemOperation;
import io.failback.jobs.domain.ItemStateMachine;
import io.failback.jobs.domain.JobError;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.JobTask;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the API shows, in Azure Site Recovery's resource shape ({@code id}, {@code name}, {@code type},
 * {@code properties}), so that automation written against ASR reads it without surprises.
 */
public final class Views {
    private Views() {
    }

    public record Resource<P>(String id, String name, String type, P properties) {
    }

    public record Page<T>(List<T> value, String nextLink) {
    }

    public record CurrentScenario(String scenarioName, String jobId, Instant startTime) {
    }

    public record HealthError(String errorCode, String errorMessage) {
    }

    public record ItemProperties(String friendlyName, String protectionState, String protectionStateDescription,
            String activeLocation, List<ItemOperation> allowedOperations, CurrentScenario currentScenario,
            String replicationHealth, List<HealthError> healthErrors, Instant lastSuccessfulFailoverTime,
            Instant lastReplicatedTime, Long rpoInSeconds, String testFailoverState, String testFailoverStateDescription,
            String primaryProviderId, String primaryVmName, String primaryVirtualSwitchName, String recoveryAzureVmName) {
    }

    public record JobProperties(String scenarioName, String friendlyName, JobState state, String stateDescription,
            List<String> allowedActions, Instant startTime, Instant endTime, String targetObjectId, String targetObjectName,
            List<JobError> errors, List<JobTask> tasks, FailoverDetails customDetails, String requestId, String startedBy) {
    }

    /**
     * @param catchUp a ForDownTime failback's catch-up while it was suspended (issue #17); null before its first round
     */
    public record FailoverDetails(String instanceType, String failoverDirection, String dataSyncOption,
            String recoveryVmCreationOption, String targetProviderId, List<DiskVerification> verifications, CatchUpDetails catchUp) {
    }

    /**
     * How close the on-premises copy of a suspended ForDownTime failback is kept to the running Azure VM.
     *
     * @param rounds catch-up rounds that ended
     * @param roundUnderWay whether a round is issued and not answered yet
     * @param behindBytes what the Azure VM has written since the snapshot the on-premises disks equal: measured when
     *        the last round ended, plus its write rate since (until Resume, when it stops counting); null before the
     *        first round ends
     * @param behindSeconds how old that snapshot is (at Resume, once resumed)
     * @param estimatedDowntimeSeconds what Complete Failover costs (phase 2), as estimated after the last round
     * @param converging false when two rounds in a row ended further behind than they started: the VM writes faster
     *        than rounds send
     * @param lastRound the last round that ended; null before one has
     * @param lastRoundError why the last round failed; null once one succeeds
     */
    public record CatchUpDetails(int rounds, boolean roundUnderWay, Long behindBytes, double behindSeconds, Double estimatedDowntimeSeconds, boolean converging,
            LastRound lastRound, String lastRoundError) {
    }

    public record LastRound(long bytesSent, double seconds, Instant endedAt) {
    }

    private static CatchUpDetails catchUp(ReplicationJob job) {
        ReplicationJob.CatchUp catchUp = job.details.catchUp();
        if (catchUp == null) {
            return null;
        }
        Instant asOf = job.state == io.failback.jobs.domain.JobState.Suspended || job.resumedAt == null ? Instant.now() : job.resumedAt;
        double behindSeconds = catchUp.copyTakenAt() == null ? 0 : Math.max(0, Duration.between(catchUp.copyTakenAt(), asOf).toMillis() / 1000.0);
        LastRound last = catchUp.rounds() == 0 ? null : new LastRound(catchUp.lastRoundBytes(), catchUp.lastRoundSeconds(),
                catchUp.roundCommandId() == null ? catchUp.roundIssuedAt() : null);
        return new CatchUpDetails(catchUp.rounds(), job.state == io.failback.jobs.domain.JobState.Suspended && catchUp.roundCommandId() != null,
                catchUp.rounds() == 0 ? null : catchUp.behindBytesAt(asOf), behindSeconds, catchUp.downtimeSeconds(),
                catchUp.converging(), last, catchUp.lastRoundError());
    }

    public record ProviderProperties(String friendlyName, String connectionStatus, Instant lastHeartBeat, String url,
            List<String> virtualSwitches) {
    }

    public static Resource<ItemProperties> item(ReplicationProtectedItem item) {
        CurrentScenario scenario = item.currentScenarioJobName == null ? null
                : new CurrentScenario(item.currentScenarioName, item.currentScenarioJobName, item.currentScenarioStartTime);
        List<HealthError> errors = healthErrors(item).stream().map(message -> new HealthError(code(message), message)).toList();
        return new Resource<>("/replicationProtectedItems/" + item.name, item.name, "replicationProtectedItems",
                new ItemProperties(item.friendlyName, item.protectionState.name(), item.protectionStateDescription,
                        item.activeLocation.name(), ItemStateMachine.allowedOperations(item), scenario, replicationHealth(item),
                        errors, item.lastSuccessfulFailoverTime, item.lastReplicatedTime, rpoSeconds(item), testFailoverState(item),
                        testFailoverStateDescription(item), item.primaryProviderId,
                        item.primaryVmName,
                        item.primaryVirtualSwitchName, item.recoveryAzureVmName));
    }

    /** The item's health errors, each {@code <code>: <message>}: its last error, then what its job waits for. */
    public static List<String> healthErrors(ReplicationProtectedItem item) {
        return java.util.stream.Stream.of(item.lastErrorMessage, item.waitingOn).filter(java.util.Objects::nonNull).toList();
    }

    public static String code(String healthError) {
        return healthError.split(":", 2)[0];
    }

    /** The stored health, but at least Warning while the item's job waits for a part that is away. */
    public static String replicationHealth(ReplicationProtectedItem item) {
        return item.waitingOn != null && (item.replicationHealth == null || "Normal".equals(item.replicationHealth))
                ? "Warning" : item.replicationHealth;
    }

    private static String testFailoverState(ReplicationProtectedItem item) {
        if (io.failback.jobs.domain.Scenario.TestFailover.scenarioName().equals(item.currentScenarioName)) {
            return "TestFailoverInProgress";
        }
        return item.testFailoverVmName != null ? "TestFailoverCompleted" : "None";
    }

    private static String testFailoverStateDescription(ReplicationProtectedItem item) {
        if (item.testFailoverVmName != null) {
            return "Test VM '" + item.testFailoverVmName + "' runs in Azure; clean up the test failover to delete it";
        }
        return item.testFailoverComments == null ? null : "Last test cleaned up: " + item.testFailoverComments;
    }

    /** While protected: how old the newest recovery point in Azure is, i.e. how much a disaster now would lose. */
    private static Long rpoSeconds(ReplicationProtectedItem item) {
        if (item.protectionState != io.failback.jobs.domain.ProtectionState.Protected || item.lastReplicatedTime == null) {
            return null;
        }
        return Math.max(0, Duration.between(item.lastReplicatedTime, Instant.now()).toSeconds());
    }

    public static Resource<JobProperties> job(ReplicationJob job) {
        return new Resource<>("/replicationJobs/" + job.name, job.name, "replicationJobs",
                new JobProperties(job.scenarioName, job.friendlyName, job.state, job.stateDescription, job.allowedActions(), job.startTime,
                        job.endTime, job.targetObjectId, job.targetObjectName, job.errors(), job.tasks(),
                        new FailoverDetails("FailoverJobDetails", name(job.failoverDirection), name(job.dataSyncOption),
                                name(job.recoveryVmCreationOption), job.targetProviderId, job.verifications(), catchUp(job)), job.requestId,
                        job.startedBy));
    }

    public static Resource<ProviderProperties> provider(FabricProvider provider, Instant now, Duration heartbeatTimeout) {
        return new Resource<>("/replicationRecoveryServicesProviders/" + provider.providerId, provider.providerId,
                "replicationRecoveryServicesProviders", new ProviderProperties(provider.friendlyName,
                        provider.isConnected(now, heartbeatTimeout) ? "Connected" : "NotConnected", provider.lastHeartbeat,
                        provider.baseUrl, provider.details.virtualSwitches()));
    }

    private static String name(Enum<?> value) {
        return value == null ? null : value.name();
    }
}
