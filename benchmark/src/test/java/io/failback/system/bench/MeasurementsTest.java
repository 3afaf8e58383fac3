package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.system.FailbackApi;
import io.failback.system.bench.Measurements.CatchUpReading;
import io.failback.system.bench.Measurements.WrittenSince;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What the benchmark reads of a job's catch-up rounds and of a site's changed-block tracking (issue #17). */
class MeasurementsTest {

    @Test
    void aJobsCatchUpAccountIsReadWhole() {
        CatchUpReading catchUp = CatchUpReading.of(FailbackApi.json("""
                {"name": "job-1", "properties": {"state": "Suspended", "customDetails": {"verifications": [],
                  "catchUp": {"rounds": 7, "behindBytes": 3145728, "behindSeconds": 1.5, "estimatedDowntimeSeconds": 0.4,
                    "converging": true, "lastRound": {"bytesSent": 8388608, "seconds": 2.25, "endedAt": "2026-12-06T05:00:00Z"}}}}}"""));

        assertEquals(7, catchUp.rounds());
        assertEquals(3145728, catchUp.behindBytes());
        assertEquals(1.5, catchUp.behindSeconds());
        assertEquals(0.4, catchUp.estimatedDowntimeSeconds());
        assertEquals(Boolean.TRUE, catchUp.converging());
        assertEquals(new CatchUpReading.LastRound(8388608, 2.25, Instant.parse("2026-12-06T05:00:00Z")), catchUp.lastRound());
    }

    @Test
    void aJobWithoutCatchUpRoundsGivesNoAccountAndOneBeforeItsFirstRoundNoLastRound() {
        assertNull(CatchUpReading.of(FailbackApi.json("""
                {"name": "job-1", "properties": {"state": "Suspended", "customDetails": {"verifications": []}}}""")));
        assertNull(CatchUpReading.of(FailbackApi.json("""
                {"name": "job-1", "properties": {"state": "Suspended", "customDetails": {"catchUp": null}}}""")));

        CatchUpReading first = CatchUpReading.of(FailbackApi.json("""
                {"properties": {"customDetails": {"catchUp": {"rounds": 0, "behindBytes": 65536}}}}"""));
        assertEquals(0, first.rounds());
        assertEquals(65536, first.behindBytes());
        assertTrue(Double.isNaN(first.behindSeconds()) && Double.isNaN(first.estimatedDowntimeSeconds()));
        assertNull(first.converging());
        assertNull(first.lastRound());
    }

    @Test
    void blocksWrittenWholeCountWholeAndBlocksWrittenInPartByTheirPages() {
        // Blocks 0-2 and 10: block 1 only pages 0 and 3 (mask 0b1001), block 10 only page 15.
        WrittenSince written = WrittenSince.of(FailbackApi.json("""
                {"diskId": "disk-0", "since": 4, "trackingPoint": 9, "blockSize": 65536, "blockCount": 4,
                 "ranges": [[0, 3], [10, 1]], "pages": [[1, 9], [10, 32768]]}"""), 12.5);

        assertEquals(4, written.blocks());
        assertEquals(2 * 65536 + 2 * 4096 + 4096, written.bytes());
        assertEquals(12.5, written.seconds());

        WrittenSince nothing = WrittenSince.of(FailbackApi.json("""
                {"diskId": "disk-0", "since": 9, "trackingPoint": 9, "blockSize": 65536, "blockCount": 0, "ranges": []}"""), 0);
        assertEquals(0, nothing.bytes());
    }
}
