package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The live-workload family's options (issue #17), checked before anything starts. */
class BenchOptionsTest {

    @Test
    void aPlainRunHasTheLightAndTheHeavyWorkloadSuspendedThirtySecondsBesideEveryOtherCase() {
        BenchOptions options = BenchOptions.parse(new String[0]);
        assertEquals(List.of(200, 2000), options.liveWritesPerSecond());
        assertEquals(List.of(30), options.suspendSeconds());
        assertFalse(options.onlyLiveDowntime());
    }

    @Test
    void theFamilyCanRunAloneWithLongerSuspensionsOrBeLeftOut() {
        BenchOptions alone = BenchOptions.parse(new String[] {"--only", "live-downtime", "--live-writes", "2000",
                "--suspend-seconds", "30, 300"});
        assertTrue(alone.onlyLiveDowntime());
        assertEquals(List.of(2000), alone.liveWritesPerSecond());
        assertEquals(List.of(30, 300), alone.suspendSeconds());

        assertEquals(List.of(), BenchOptions.parse(new String[] {"--live-writes", "none"}).liveWritesPerSecond());
    }

    @Test
    void optionsThatLeaveNothingToRunOrCannotBeRunAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--only", "rsync"}));
        assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse(new String[] {"--only", "live-downtime", "--live-writes", "none"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--live-writes", "0,2000"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--live-writes", "200000"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--suspend-seconds", "0"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--suspend-seconds", "thirty"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--suspend-seconds"}));
    }

    @Test
    void theUsageNamesTheNewOptions() {
        assertTrue(BenchOptions.USAGE.contains("--live-writes W1,W2") && BenchOptions.USAGE.contains("--suspend-seconds S1,S2")
                && BenchOptions.USAGE.contains("--only live-downtime"), BenchOptions.USAGE);
    }
}
