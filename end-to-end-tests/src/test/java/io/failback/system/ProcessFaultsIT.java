package io.failback.system;

import static io.failback.system.LocalSystem.AZURE_SIM;
import static io.failback.system.LocalSystem.JOB_SERVICE;
import static io.failback.system.LocalSystem.KAFKA;
import static io.failback.system.LocalSystem.POSTGRES;
import static io.failback.system.LocalSystem.SYNC_SERVICE;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Self-healing after a part crashes, on real processes: {@code kill -9} of each service during each phase that moves
 * data (a full download, ForDownTime phase 1 and phase 2, Reverse Replicate), the part started again a few seconds
 * later; the Kafka broker and PostgreSQL stopped and started again while a job copies. Every job ends
 * {@code Succeeded} with no Restart pressed, and the disks are compared byte for byte ({@link FaultScenarios}).
 */
class ProcessFaultsIT {
    private static final String HOST_AGENT = HostAgent.defaultHost().serviceName();
    private static final FaultInjectingProxy azureLink = FaultInjectingProxy.listening("azure");
    private static final FaultInjectingProxy hostLink = FaultInjectingProxy.listening("host");
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("process-faults", builder -> FaultScenarios.route(builder, azureLink, hostLink)
            // A killed sync-service's jobs are handed to the restarted one when their lease runs out.
            .environment(JOB_SERVICE, "FAILBACK_JOB_LEASE", "6s"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;
    private static FaultScenarios scenarios;

    @BeforeAll
    static void linkTheSites() {
        scenarios = new FaultScenarios(system, api, azureLink, hostLink);
    }

    @AfterAll
    static void closeLinks() {
        azureLink.close();
        hostLink.close();
    }

    @Test
    void jobServiceKilledDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-job-full", 101, scenarios.killAndRestart(JOB_SERVICE));
    }

    @Test
    void jobServiceKilledDuringForDownTimePhase1() throws Exception {
        scenarios.forDownTimePhase1("vm-job-p1", 102, scenarios.killAndRestart(JOB_SERVICE));
    }

    @Test
    void jobServiceKilledDuringForDownTimePhase2() throws Exception {
        scenarios.forDownTimePhase2("vm-job-p2", 103, scenarios.killAndRestart(JOB_SERVICE));
    }

    @Test
    void jobServiceKilledDuringReverseReplicate() throws Exception {
        scenarios.reverseReplicate("vm-job-rr", 104, scenarios.killAndRestart(JOB_SERVICE));
    }

    @Test
    void syncServiceKilledDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-sync-full", 201, scenarios.killAndRestart(SYNC_SERVICE));
    }

    @Test
    void syncServiceKilledDuringForDownTimePhase1() throws Exception {
        scenarios.forDownTimePhase1("vm-sync-p1", 202, scenarios.killAndRestart(SYNC_SERVICE));
    }

    @Test
    void syncServiceKilledDuringForDownTimePhase2() throws Exception {
        scenarios.forDownTimePhase2("vm-sync-p2", 203, scenarios.killAndRestart(SYNC_SERVICE));
    }

    @Test
    void syncServiceKilledDuringReverseReplicate() throws Exception {
        scenarios.reverseReplicate("vm-sync-rr", 204, scenarios.killAndRestart(SYNC_SERVICE));
    }

    @Test
    void hostAgentKilledDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-host-full", 301, scenarios.killAndRestart(HOST_AGENT));
    }

    @Test
    void hostAgentKilledDuringForDownTimePhase1() throws Exception {
        scenarios.forDownTimePhase1("vm-host-p1", 302, scenarios.killAndRestart(HOST_AGENT));
    }

    @Test
    void hostAgentKilledDuringForDownTimePhase2() throws Exception {
        scenarios.forDownTimePhase2("vm-host-p2", 303, scenarios.killAndRestart(HOST_AGENT));
    }

    @Test
    void hostAgentKilledDuringReverseReplicate() throws Exception {
        scenarios.reverseReplicate("vm-host-rr", 304, scenarios.killAndRestart(HOST_AGENT));
    }

    @Test
    void azureSimKilledDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-azure-full", 401, scenarios.killAndRestart(AZURE_SIM));
    }

    @Test
    void azureSimKilledDuringForDownTimePhase1() throws Exception {
        scenarios.forDownTimePhase1("vm-azure-p1", 402, scenarios.killAndRestart(AZURE_SIM));
    }

    @Test
    void azureSimKilledDuringForDownTimePhase2() throws Exception {
        scenarios.forDownTimePhase2("vm-azure-p2", 403, scenarios.killAndRestart(AZURE_SIM));
    }

    @Test
    void azureSimKilledDuringReverseReplicate() throws Exception {
        scenarios.reverseReplicate("vm-azure-rr", 404, scenarios.killAndRestart(AZURE_SIM));
    }

    @Test
    void kafkaBrokerStoppedAndRestartedDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-kafka", 501, scenarios.stopAndRestart(KAFKA));
    }

    @Test
    void postgresStoppedAndRestartedDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-postgres", 601, scenarios.stopAndRestart(POSTGRES));
    }
}
