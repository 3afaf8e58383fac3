package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #17 on real processes: a ForDownTime failback of an Azure VM that keeps writing stays suspended through
 * several catch-up rounds, one of them cut by killing sync-service, and is then completed. The on-premises disk must
 * end equal to the Azure disk at shutdown, byte for byte, and phase 2 must send only what was written since the last
 * round.
 */
class CatchUpIT {
    private static final long DISK_BYTES = 64L << 20;
    /** Short, so that the test sees many rounds; a round the crash lost is given up after the lease. */
    private static final String PAUSE = "1s";
    private static final String LEASE = "10s";

    @RegisterExtension
    static final RunningSystem running = new RunningSystem("catch-up", system -> system
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_CATCH_UP_PAUSE", PAUSE)
            .environment(LocalSystem.JOB_SERVICE, "FAILBACK_JOB_LEASE", LEASE));
    // Set by running before any test.
    private static LocalSystem system;
    private static FailbackApi api;

    @Test
    void aSuspendedFailbackIsKeptCaughtUpThroughACrashAndPhase2SendsOnlyWhatTheLastRoundLeft() throws Exception {
        HostAgent host = system.hosts().get(0);
        String vm = "vm-catch-up";
        // 1500 scattered 4 KiB writes a second: every round has something to send while the job waits.
        api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                {"name": "%s", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": 17,
                 "workload": {"pattern": "RandomSmall", "writesPerSecond": 1500, "writeSizeBytes": 4096, "seed": 17}}"""
                .formatted(vm, DISK_BYTES), 201);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure(vm, host.id(), host.virtualSwitches().get(0));

        String job = api.failback(vm, "ForDownTime", "CreateVmIfNotFound", null);
        assertEquals("Suspended", api.awaitJobState(job, Duration.ofSeconds(120), "Suspended", "Failed")
                .path("properties").path("state").asText());
        Instant suspended = Instant.now();

        JsonNode twoRounds = awaitCatchUp(job, catchUp -> catchUp.path("rounds").asInt() >= 2, Duration.ofSeconds(60));
        assertTrue(twoRounds.path("lastRound").path("bytesSent").asLong() > 0, "a round sends what the VM wrote: " + twoRounds);
        assertTrue(api.job(job).path("properties").path("stateDescription").asText().contains("caught up"),
                api.job(job).toPrettyString());

        // sync-service dies while a round is under way; the job stays suspended, and rounds go on once it is back.
        JsonNode underWay = awaitCatchUp(job, catchUp -> catchUp.path("roundUnderWay").asBoolean(), Duration.ofSeconds(30));
        int roundsBeforeTheCrash = underWay.path("rounds").asInt();
        system.killService(LocalSystem.SYNC_SERVICE);
        system.startService(LocalSystem.SYNC_SERVICE);
        assertEquals("Suspended", api.job(job).path("properties").path("state").asText());
        JsonNode afterTheCrash = awaitCatchUp(job, catchUp -> catchUp.path("rounds").asInt() >= roundsBeforeTheCrash + 2,
                Duration.ofSeconds(90));

        // However long the job has waited, the on-premises copy is a round or so behind, not the whole suspension.
        double waitedSeconds = Duration.between(suspended, Instant.now()).toMillis() / 1000.0;
        assertTrue(afterTheCrash.path("behindSeconds").asDouble() < waitedSeconds / 2,
                "suspended " + waitedSeconds + " s, yet behind " + afterTheCrash);

        // The VM stops writing: the next round sends the rest and leaves nothing behind; phase 2 then has nothing to send.
        api.send("PUT", system.azureSimUrl().resolve("/api/vms/" + vm + "/workload"), """
                {"pattern": "RandomSmall", "writesPerSecond": 0, "writeSizeBytes": 4096, "seed": 17}""", 200);
        int roundsWhenStopped = api.job(job).path("properties").path("customDetails").path("catchUp").path("rounds").asInt();
        JsonNode quiet = awaitCatchUp(job, catchUp -> catchUp.path("rounds").asInt() >= roundsWhenStopped + 2
                && catchUp.path("lastRound").path("bytesSent").asLong() == 0, Duration.ofSeconds(60));
        assertEquals(0, quiet.path("behindBytes").asLong(), quiet.toString());

        api.resume(job);
        JsonNode done = api.awaitJobEnd(job, Duration.ofSeconds(120), update -> {
        }).path("properties");
        assertEquals("Succeeded", done.path("state").asText(), done.toPrettyString());
        JsonNode finalDelta = done.path("tasks").get(4);
        assertEquals("FinalDeltaSynchronization", finalDelta.path("name").asText());
        assertEquals(0, finalDelta.path("progress").path("bytesToSend").asLong(),
                "the rounds left nothing for the downtime: " + finalDelta);

        SystemTests.assertOnPremisesHoldsTheAzureDisk(system, api, host, vm, DISK_BYTES);
        JsonNode verification = done.path("customDetails").path("verifications").get(0);
        assertEquals(verification.path("sourceDigest").asText(), verification.path("targetDigest").asText());
    }

    /** The job's catch-up details once {@code reached} holds for them. */
    private static JsonNode awaitCatchUp(String job, java.util.function.Predicate<JsonNode> reached, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode catchUp = null;
        while (Instant.now().isBefore(deadline)) {
            JsonNode properties = api.job(job).path("properties");
            assertEquals("Suspended", properties.path("state").asText(), properties.toPrettyString());
            catchUp = properties.path("customDetails").path("catchUp");
            if (!catchUp.isMissingNode() && !catchUp.isNull() && reached.test(catchUp)) {
                return catchUp;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the job's catch-up did not get there in " + timeout + "; last: " + catchUp);
    }
}
