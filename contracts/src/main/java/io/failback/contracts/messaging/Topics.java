package io.failback.contracts.messaging;

/**
 * Kafka topics between the services. Every message is JSON, keyed by the replication protected item's name
 * (heartbeats: by provider id) so that one item's messages keep their order. See docs/contracts.md.
 */
public final class Topics {
    /** job-service → sync-service: data-plane work for one job ({@link SyncCommand}). */
    public static final String SYNC_COMMANDS = "asr.sync-commands";
    /** sync-service → job-service: task and job progress and outcomes ({@link SyncEvent}). */
    public static final String SYNC_EVENTS = "asr.sync-events";
    /** host-agent → job-service: each on-prem Hyper-V host says it is connected ({@link ProviderHeartbeat}). */
    public static final String PROVIDER_HEARTBEATS = "asr.provider-heartbeats";
    /**
     * Automation → job-service: every operation the REST API offers, as an {@link OperationRequest} keyed by its
     * target (an item, a job or a plan).
     */
    public static final String OPERATIONS = "asr.operations";
    /** job-service → automation: whether each {@link OperationRequest} was accepted, and its job ({@link OperationResult}). */
    public static final String OPERATION_RESULTS = "asr.operation-results";
    /**
     * job-service → anyone: the state of a job (with its tasks) or of a protected item, each time it changes
     * ({@link StateChange}), keyed by the job's or item's name.
     */
    public static final String STATE_CHANGES = "asr.state-changes";
    /** Where a consumer puts a record it cannot read, with the reason in the record's headers. */
    public static final String DEAD_LETTER_SUFFIX = ".dlq";
    /**
     * Every topic a deployment creates: the six above, and the dead-letter topics of the four the services consume.
     * Each needs at least as many partitions as the most instances of its consumer (deploy/README.md, "Scaling").
     */
    public static final java.util.List<String> ALL = java.util.List.of(SYNC_COMMANDS, SYNC_COMMANDS + DEAD_LETTER_SUFFIX,
            SYNC_EVENTS, SYNC_EVENTS + DEAD_LETTER_SUFFIX, PROVIDER_HEARTBEATS, PROVIDER_HEARTBEATS + DEAD_LETTER_SUFFIX,
            OPERATIONS, OPERATIONS + DEAD_LETTER_SUFFIX, OPERATION_RESULTS, STATE_CHANGES);

    private Topics() {
    }
}
