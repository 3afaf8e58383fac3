package io.failback.system.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/** What Linux's /proc says about CPU time and memory; empty or zero where it cannot tell (not Linux, process gone). */
final class ProcStats {
    private static final double TICKS_PER_SECOND = ticksPerSecond();

    private ProcStats() {
    }

    /** Peak resident set size (VmHWM) in KiB. */
    static Optional<Long> peakRssKib(ProcessHandle process) {
        return statusField(process.pid(), "VmHWM:");
    }

    /**
     * User plus system CPU seconds of the process and its live descendants (PostgreSQL serves each connection from
     * a child of its postmaster; the JVMs have none).
     */
    static double cpuSeconds(ProcessHandle process) {
        return Stream.concat(Stream.of(process), process.descendants()).mapToDouble(p -> ownCpuSeconds(p.pid())).sum();
    }

    /**
     * CPU seconds the process's JIT compiler threads (HotSpot names them "C1 CompilerThre…" and "C2 CompilerThre…")
     * used so far: what a measurement spent compiling rather than copying; 0 for a process that is not a JVM.
     */
    static double compilerCpuSeconds(ProcessHandle process) {
        try (Stream<Path> threads = Files.list(Path.of("/proc", String.valueOf(process.pid()), "task"))) {
            return threads.filter(ProcStats::isCompilerThread)
                    .mapToDouble(thread -> cpuSecondsOf(thread.resolve("stat"))).sum();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static boolean isCompilerThread(Path thread) {
        try {
            String name = Files.readString(thread.resolve("comm"));
            return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");
        } catch (IOException | RuntimeException e) {
            return false; // the thread ended
        }
    }

    /** {@code wchar} of /proc/PID/io: bytes the process handed to write calls, to files and sockets alike; 0 if unknown. */
    static long bytesWritten(ProcessHandle process) {
        try {
            return Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "io")).stream()
                    .filter(line -> line.startsWith("wchar:")).mapToLong(line -> Long.parseLong(line.substring(6).trim()))
                    .findFirst().orElse(0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** CPU seconds the whole machine spent busy (all cores, everything but idle and iowait) since boot. */
    static double machineBusySeconds() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < fields.length && i <= 8; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(fields[i]);
                }
            }
            return busy / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double ownCpuSeconds(long pid) {
        return cpuSecondsOf(Path.of("/proc", String.valueOf(pid), "stat"));
    }

    /** utime + stime of a process's or a thread's {@code stat} file. */
    private static double cpuSecondsOf(Path statFile) {
        try {
            String stat = Files.readString(statFile);
            // The command name may hold spaces; the fields after it are fixed: state is the first, utime the 12th.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Optional<Long> statusField(long pid, String field) {
        try {
            return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                    .filter(line -> line.startsWith(field))
                    .map(line -> Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]))
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static double ticksPerSecond() {
        try {
            return Double.parseDouble(Shell.check(Duration.ofSeconds(10), "getconf", "CLK_TCK").trim());
        } catch (RuntimeException e) {
            return 100; // what Linux uses nearly everywhere
        }
    }
}
