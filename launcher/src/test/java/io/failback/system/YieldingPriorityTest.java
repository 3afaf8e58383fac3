package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A data-plane process started the way the launcher starts it, in a session of its own, yields the CPU. */
class YieldingPriorityTest {

    @TempDir
    Path dir;

    @Test
    void aYieldingChildIsNiceAndSoIsTheAutogroupOfItsSession() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/autogroup")), "this kernel groups no sessions for the scheduler");
        Path log = dir.resolve("probe.log");
        List<String> command = new ArrayList<>(QuarkusService.yielding("probe"));
        command.addAll(List.of("cat", "/proc/self/autogroup", "/proc/self/stat"));

        ChildProcess.runToCompletion("probe", command, dir, log, Duration.ofSeconds(10));

        List<String> lines = Files.readAllLines(log);
        String autogroup = lines.get(0);
        assertEquals("nice " + QuarkusService.YIELDING, autogroup.substring(autogroup.indexOf(' ') + 1),
                "the session's autogroup: " + autogroup);
        String stat = lines.get(1);
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(String.valueOf(QuarkusService.YIELDING), afterName[16], "the process's own niceness (field 19 of " + stat + ")");
    }
}
