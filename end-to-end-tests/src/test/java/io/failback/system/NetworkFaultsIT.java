package io.failback.system;

import static io.failback.system.LocalSystem.JOB_SERVICE;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Self-healing when the link between sync-service and a site drops connections in the middle of a block stream, on
 * real processes: a {@link FaultInjectingProxy} on a slow link resets every connection, stalls, and resets again,
 * several times in one job. Every job ends {@code Succeeded} with no Restart pressed, the disks compared byte for byte
 * ({@link FaultScenarios}).
 */
class NetworkFaultsIT {
    private static final FaultInjectingProxy azureLink = FaultInjectingProxy.listening("azure");
    private static final FaultInjectingProxy hostLink = FaultInjectingProxy.listening("host");
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("network-faults", builder -> FaultScenarios.route(builder, azureLink, hostLink)
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
    void theAzureLinkCutAndStalledSeveralTimesDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-azure-link-full", 701, cutsAndStalls(azureLink));
    }

    @Test
    void theHostLinkCutAndStalledSeveralTimesDuringAFullDownload() throws Exception {
        scenarios.fullDownload("vm-host-link-full", 702, cutsAndStalls(hostLink));
    }

    @Test
    void theAzureLinkCutAndStalledSeveralTimesDuringReverseReplicate() throws Exception {
        scenarios.reverseReplicate("vm-azure-link-rr", 703, cutsAndStalls(azureLink));
    }

    @Test
    void theHostLinkCutAndStalledSeveralTimesDuringReverseReplicate() throws Exception {
        scenarios.reverseReplicate("vm-host-link-rr", 704, cutsAndStalls(hostLink));
    }

    /**
     * On the paced link, each time while a block stream is flowing through it (so each fault hits a copy, the first
     * one and each resumed one): every connection reset, a stall of a few seconds, and two more resets.
     */
    private static FaultScenarios.Fault cutsAndStalls(FaultInjectingProxy link) {
        return () -> {
            awaitStreaming(link);
            link.resetAll();
            awaitStreaming(link);
            link.stall(Duration.ofSeconds(3));
            Thread.sleep(3000);
            awaitStreaming(link);
            link.resetAll();
            awaitStreaming(link);
            link.resetAll();
            awaitStreaming(link);
        };
    }

    /** Waits until data flows through the link: at least 64 KiB within a fifth of a second. */
    private static void awaitStreaming(FaultInjectingProxy link) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            long before = link.bytesForwarded();
            Thread.sleep(200);
            if (link.bytesForwarded() - before >= 64 * 1024) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "no block stream through " + link + " within 60 s: the copy did not resume, or ended");
        }
    }
}
