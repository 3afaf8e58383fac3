package io.failback.system.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** What a measurement cost, per process and in each JVM's JIT compilers, as the difference of two samples. */
class UsageTest {

    @Test
    void aMeasurementSaysWhatEachProcessAndItsCompilersUsedBetweenTwoSamples() {
        Usage before = new Usage(ordered("sync-service", 10.0, "postgres", 3.0), Map.of("sync-service", 4.0, "postgres", 0.0), 100, 0);
        Usage after = new Usage(ordered("sync-service", 12.5, "postgres", 3.4), Map.of("sync-service", 4.8, "postgres", 0.0), 104, 0);

        Usage used = after.since(before);

        assertEquals(0.8, used.totalCompilerCpuSeconds(), 1e-9);
        assertEquals("sync-service 2.5 (jit 0.8), postgres 0.4", used.describeProcesses());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void thisJvmsCompilerThreadsAreFoundInProc() {
        // Starting the JVM, Maven's test runner and JUnit has made HotSpot's C1 and C2 threads compile for far more than
        // one clock tick (10 ms) by now.
        double compiling = ProcStats.compilerCpuSeconds(ProcessHandle.current());
        double total = ProcStats.cpuSeconds(ProcessHandle.current());
        assertTrue(compiling > 0 && compiling < total, "compiler CPU " + compiling + " s, of the process's " + total + " s");
    }

    private static Map<String, Double> ordered(String first, double firstSeconds, String second, double secondSeconds) {
        Map<String, Double> map = new LinkedHashMap<>();
        map.put(first, firstSeconds);
        map.put(second, secondSeconds);
        return map;
    }
}
