package io.failback.jobs.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.contracts.messaging.FailoverDirection;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@link Scenario} table read as the API reads it: what an idle item in each condition offers, and that a job
 * finds its own declaration again from what it stores (scenario name and direction).
 */
class ScenarioTableTest {

    @Test
    void eachConditionOffersItsOperationsInTheApisOrder() {
        assertEquals(List.of(ItemOperation.PlannedFailover, ItemOperation.UnplannedFailover, ItemOperation.TestFailover,
                ItemOperation.RepairReplication, ItemOperation.DisableProtection),
                ItemStateMachine.allowedOperations(item(ProtectionState.Protected, ActiveLocation.Primary, false)));
        // A test VM must be cleaned up first: a failover would put two copies of the VM in Azure.
        assertEquals(List.of(ItemOperation.TestFailoverCleanup),
                ItemStateMachine.allowedOperations(item(ProtectionState.Protected, ActiveLocation.Primary, true)));
        assertEquals(List.of(ItemOperation.PlannedFailover, ItemOperation.DisableProtection),
                ItemStateMachine.allowedOperations(item(ProtectionState.FailoverCompleted, ActiveLocation.Recovery, false)));
        assertEquals(List.of(ItemOperation.ReverseReplicate, ItemOperation.DisableProtection),
                ItemStateMachine.allowedOperations(item(ProtectionState.FailoverCompleted, ActiveLocation.Primary, false)));
        for (ActiveLocation location : ActiveLocation.values()) {
            assertEquals(List.of(ItemOperation.Commit, ItemOperation.CancelFailover),
                    ItemStateMachine.allowedOperations(item(ProtectionState.PlannedFailoverCommitRequired, location, false)));
        }
    }

    @Test
    void anItemAJobOwnsOffersNothing() {
        ReplicationProtectedItem item = item(ProtectionState.Protected, ActiveLocation.Primary, false);
        item.beginScenario(Scenario.RepairReplication.scenarioName(), "job-1", java.time.Instant.now());

        assertEquals(List.of(), ItemStateMachine.allowedOperations(item));
    }

    @Test
    void theDirectionDecidesWhichPlannedFailoverAndWhichCancelAnItemGets() {
        assertEquals(Scenario.PlannedFailoverToAzure, Scenario.startedBy(ItemOperation.PlannedFailover,
                item(ProtectionState.Protected, ActiveLocation.Primary, false)));
        assertEquals(Scenario.PlannedFailback, Scenario.startedBy(ItemOperation.PlannedFailover,
                item(ProtectionState.FailoverCompleted, ActiveLocation.Recovery, false)));
        assertEquals(Scenario.FailbackCancel, Scenario.startedBy(ItemOperation.CancelFailover,
                item(ProtectionState.PlannedFailoverCommitRequired, ActiveLocation.Primary, false)));
        assertEquals(Scenario.FailoverToAzureCancel, Scenario.startedBy(ItemOperation.CancelFailover,
                item(ProtectionState.PlannedFailoverCommitRequired, ActiveLocation.Recovery, false)));
        assertEquals(Scenario.Reprotect, Scenario.startedBy(ItemOperation.ReverseReplicate,
                item(ProtectionState.FailoverCompleted, ActiveLocation.Primary, false)));
    }

    @Test
    void everyJobFindsItsOwnDeclarationFromItsNameAndDirection() {
        for (Scenario scenario : Scenario.values()) {
            FailoverDirection stored = scenario.isPlanJob() ? FailoverDirection.RecoveryToPrimary : scenario.direction();
            assertEquals(scenario, Scenario.of(scenario.scenarioName(), stored), scenario::name);
        }
    }

    @Test
    void everyItemScenarioSaysWhereItStartsWhatItsJobIsCalledAndWhereAFailureLeavesTheItem() {
        for (Scenario scenario : Arrays.stream(Scenario.values()).filter(s -> !s.isPlanJob()).toList()) {
            assertNotNull(scenario.friendlyName(), scenario::name);
            assertNotNull(scenario.startedDescription(), scenario::name);
            assertTrue(scenario.allows(JobAction.Restart), () -> scenario + ": a failed item job can be restarted");
            ReplicationProtectedItem item = item(ProtectionState.Protected, ActiveLocation.Primary, false);
            item.beginScenario(scenario.scenarioName(), "job-1", java.time.Instant.now());
            scenario.failed(item, new JobError("Code", "message"));
            assertNotNull(item.protectionStateDescription, scenario::name);
            assertEquals(null, item.currentScenarioJobName, scenario::name);
        }
    }

    private static ReplicationProtectedItem item(ProtectionState state, ActiveLocation location, boolean testVm) {
        ReplicationProtectedItem item = new ReplicationProtectedItem();
        item.name = "vm";
        item.protectionState = state;
        item.activeLocation = location;
        item.recoveryAzureVmName = "vm";
        item.testFailoverVmName = testVm ? "vm-test" : null;
        return item;
    }
}
