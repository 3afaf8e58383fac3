package io.failback.sync;

import io.failback.contracts.messaging.ContractVersions;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.SyncCommand;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Accepts data-plane commands. The handler only validates and starts the run, so the record is acknowledged at
 * once; a long copy never holds up the partition. A command it cannot read or act on goes to the dead-letter topic.
 */
@ApplicationScoped
public class SyncCommandConsumer {
    private final FailbackRunner runner;

    public SyncCommandConsumer(FailbackRunner runner) {
        this.runner = runner;
    }

    @Incoming("sync-commands")
    public void consume(SyncCommand command) {
        runner.start(validated(command));
    }

    static SyncCommand validated(SyncCommand command) {
        if (command == null) {
            throw new IllegalArgumentException("the record is not a readable SyncCommand");
        }
        if (command.schemaVersion() != ContractVersions.SYNC_COMMAND) {
            throw new IllegalArgumentException("SyncCommand schema version " + command.schemaVersion() + " is not supported");
        }
        if (command.jobName() == null || command.itemName() == null
                || (command.plannedFailover() == null) == (command.failoverCommit() == null)) {
            throw new IllegalArgumentException("SyncCommand " + command.commandId()
                    + " must name a job and an item and carry exactly one of plannedFailover and failoverCommit");
        }
        if (command.failoverCommit() != null) {
            if (command.failoverCommit().source() == null || command.failoverCommit().source().vmName() == null) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId() + " does not name the Azure VM to delete");
            }
            return command;
        }
        SyncCommand.PlannedFailover spec = command.plannedFailover();
        if (spec.source() == null
                || spec.target() == null || spec.target().hostUrl() == null || spec.dataSyncOption() == null) {
            throw new IllegalArgumentException("SyncCommand " + command.commandId() + " lacks a job, an item, a source or a target");
        }
        if (spec.failoverDirection() != FailoverDirection.RecoveryToPrimary) {
            throw new IllegalArgumentException("sync-service runs failback (RecoveryToPrimary) only, not " + spec.failoverDirection());
        }
        return command;
    }
}
