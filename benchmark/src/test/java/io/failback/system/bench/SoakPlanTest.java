package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.system.bench.SoakPlan.Fault;
import io.failback.system.bench.SoakPlan.PlannedRun;
import io.failback.system.bench.SoakPlan.Scenario;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakPlanTest {

    @Test
    void aSeedNamesTheWholePlan() {
        assertEquals(SoakPlan.draw(12, 20), SoakPlan.draw(12, 20));
        assertNotEquals(SoakPlan.draw(12, 20), SoakPlan.draw(13, 20));
    }

    @Test
    void everySixRunsHitEveryPartAndEveryTwoRunEachScenario() {
        for (long seed = 0; seed < 50; seed++) {
            List<PlannedRun> plan = SoakPlan.draw(seed, 24);
            for (int start = 0; start < plan.size(); start += 6) {
                EnumSet<Fault> faults = EnumSet.noneOf(Fault.class);
                plan.subList(start, start + 6).forEach(run -> faults.add(run.fault()));
                assertEquals(EnumSet.allOf(Fault.class), faults, "seed " + seed + " runs " + (start + 1) + "-" + (start + 6));
            }
            for (int start = 0; start < plan.size(); start += 2) {
                EnumSet<Scenario> scenarios = EnumSet.noneOf(Scenario.class);
                plan.subList(start, start + 2).forEach(run -> scenarios.add(run.scenario()));
                assertEquals(EnumSet.allOf(Scenario.class), scenarios, "seed " + seed);
            }
        }
    }

    @Test
    void faultsStrikeWithinTheCopyAndPartsComeBackWithinSeconds() {
        for (PlannedRun run : SoakPlan.draw(7, 200)) {
            assertTrue(run.atShare() >= 0.10 && run.atShare() < 0.80, run.toString());
            assertTrue(run.pause().toSeconds() >= 2 && run.pause().toSeconds() <= 20, run.toString());
        }
    }
}
