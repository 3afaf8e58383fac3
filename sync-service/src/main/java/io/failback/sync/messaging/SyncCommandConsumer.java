package io.failback.sync.messaging;

import io.failback.sync.runs.FailbackRunner;

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
        if (command.itemName() == null || command.operations().size() != 1) {
            throw new IllegalArgumentException("SyncCommand " + command.commandId() + " must name an item and carry exactly one of "
                    + "plannedFailover, unplannedFailover, testFailover, testFailoverCleanup, failoverCommit, failoverCancel, replicate, "
                    + "disableProtection, catchUp and cancel");
        }
        if (command.jobName() == null && command.replicate() == null) {
            throw new IllegalArgumentException("SyncCommand " + command.commandId() + " must name its job");
        }
        if (command.cancel() != null || command.disableProtection() != null) {
            return command;
        }
        if (command.unplannedFailover() != null) {
            SyncCommand.UnplannedFailover spec = command.unplannedFailover();
            SyncCommand.OnPremisesVm shutDown = spec.shutDownOnPremisesVm();
            if (spec.azureVm() == null || spec.azureVm().vmName() == null
                    || (shutDown != null && (shutDown.hostUrl() == null || shutDown.vmName() == null))) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId() + " does not name the Azure VM to start "
                        + "(or names an on-premises VM to shut down without its host)");
            }
            return command;
        }
        SyncCommand.AzureVm testVm = command.testFailover() != null ? command.testFailover().testVm()
                : command.testFailoverCleanup() != null ? command.testFailoverCleanup().testVm() : null;
        if (command.testFailover() != null || command.testFailoverCleanup() != null) {
            if (testVm == null || testVm.vmName() == null) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId() + " does not name the test VM");
            }
            return command;
        }
        if (command.failoverCancel() != null) {
            SyncCommand.FailoverCancel undo = command.failoverCancel();
            if (undo.failoverDirection() == null || undo.azureVm() == null || undo.onPremisesVm() == null
                    || undo.onPremisesVm().hostUrl() == null) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId()
                        + " does not say which failover to undo between which VMs");
            }
            return command;
        }
        if (command.replicate() != null) {
            SyncCommand.OnPremisesVm source = command.replicate().source();
            if (source == null || source.hostUrl() == null || source.vmName() == null) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId() + " does not name the on-premises VM to replicate");
            }
            return command;
        }
        if (command.failoverCommit() != null) {
            SyncCommand.FailoverCommit commit = command.failoverCommit();
            if (commit.source() == null || commit.source().vmName() == null || commit.target() == null
                    || commit.target().hostUrl() == null) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId()
                        + " does not name the Azure VM to delete and the on-premises VM it failed back to");
            }
            return command;
        }
        if (command.catchUp() != null) {
            SyncCommand.CatchUp round = command.catchUp();
            if (round.azureVm() == null || round.azureVm().vmName() == null || round.onPremisesVm() == null
                    || round.onPremisesVm().hostUrl() == null || round.onPremisesVm().vmName() == null || round.from() == null
                    || round.from().snapshotId() == null || round.from().trackingPoints() == null) {
                throw new IllegalArgumentException("SyncCommand " + command.commandId()
                        + " is a catch-up round without the Azure VM, the on-premises VM or the checkpoint to start from");
            }
            return command;
        }
        SyncCommand.PlannedFailover spec = command.plannedFailover();
        if (spec.failoverDirection() == null || spec.azureVm() == null || spec.azureVm().vmName() == null
                || spec.onPremisesVm() == null || spec.onPremisesVm().hostUrl() == null) {
            throw new IllegalArgumentException("SyncCommand " + command.commandId()
                    + " lacks the failover direction, the Azure VM or the on-premises VM");
        }
        if (spec.failoverDirection() == FailoverDirection.RecoveryToPrimary && spec.dataSyncOption() == null) {
            throw new IllegalArgumentException("SyncCommand " + command.commandId() + " is a failback without a dataSyncOption");
        }
        return command;
    }
}
