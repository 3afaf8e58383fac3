package io.failback.contracts.messaging;

/** The schema version each message carries. A consumer rejects (dead-letters) a major version it does not know. */
public final class ContractVersions {
    public static final int SYNC_COMMAND = 1;
    public static final int SYNC_EVENT = 1;
    public static final int PROVIDER_HEARTBEAT = 1;
    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_RESULT = 1;
    public static final int STATE_CHANGE = 1;

    private ContractVersions() {
    }
}
