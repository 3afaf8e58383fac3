package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleBenchTest {
    @Test
    void theCopiesBusyTimeCountsOverlappingCopiesOnce() {
        assertEquals(0, ScaleBench.union(List.of()), 1e-9);
        assertEquals(4, ScaleBench.union(List.of(new double[] {0, 3}, new double[] {1, 2}, new double[] {2, 4})), 1e-9);
        assertEquals(3, ScaleBench.union(List.of(new double[] {10, 11}, new double[] {0, 1}, new double[] {5, 6})), 1e-9);
    }

    @Test
    void theP99OfAHundredCallsIsTheSecondSlowest() {
        List<Double> millis = new java.util.ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            millis.add((double) i);
        }
        assertEquals(99, ScaleBench.percentile(millis, 0.99), 1e-9);
        assertEquals(50, ScaleBench.percentile(millis, 0.5), 1e-9);
        assertEquals(Double.POSITIVE_INFINITY, ScaleBench.percentile(List.of(1.0, Double.POSITIVE_INFINITY), 0.99));
    }

    @Test
    void optionsAreCheckedBeforeAnythingStarts() {
        ScaleBench.Options defaults = ScaleBench.Options.parse(new String[0]);
        assertEquals(50, defaults.planVms());
        assertEquals(2, defaults.syncServices());
        ScaleBench.Options given = ScaleBench.Options.parse(new String[] {"--plan-vms", "10", "--instances", "job-service=1,sync-service=3"});
        assertEquals(10, given.planVms());
        assertEquals(1, given.jobServices());
        assertEquals(3, given.syncServices());
        assertThrows(IllegalArgumentException.class, () -> ScaleBench.Options.parse(new String[] {"--instances", "azure-sim=2"}));
        assertThrows(IllegalArgumentException.class, () -> ScaleBench.Options.parse(new String[] {"--plan-vms", "0"}));
        assertThrows(IllegalArgumentException.class, () -> ScaleBench.Options.parse(new String[] {"--runs"}));
    }
}
