package io.failback.system.bench;

import io.failback.system.LocalSystem;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counters read from /proc at one moment; the difference of two samples says what a measurement cost.
 *
 * @param cpuSeconds        CPU used so far by each part of the system: with 2 cores, a step that keeps both busy is
 *                          CPU-bound, not I/O-bound
 * @param compilerCpuSeconds of that, what each JVM's JIT compiler threads used: a part that has not warmed up
 * @param machineCpuSeconds CPU used by the whole machine, other people's work included
 * @param relayBytesWritten bytes sync-service passed to write calls, sockets included: it touches no disk, so this is
 *                          what it sent to the host (plus a little Kafka and HTTP). The job's own bytesSent cannot say
 *                          it, since it counts zero runs as the bytes they cover.
 */
record Usage(Map<String, Double> cpuSeconds, Map<String, Double> compilerCpuSeconds, double machineCpuSeconds, long relayBytesWritten) {

    static Usage of(LocalSystem system) {
        Map<String, Double> cpu = new LinkedHashMap<>();
        Map<String, Double> compiler = new LinkedHashMap<>();
        for (String name : system.names()) {
            system.process(name).ifPresent(process -> {
                cpu.put(name, ProcStats.cpuSeconds(process));
                compiler.put(name, ProcStats.compilerCpuSeconds(process));
            });
        }
        long relay = system.process(LocalSystem.SYNC_SERVICE).map(ProcStats::bytesWritten).orElse(0L);
        return new Usage(cpu, compiler, ProcStats.machineBusySeconds(), relay);
    }

    /** Just the machine's CPU, for measurements that do not involve the system (rsync). */
    static Usage machineOnly() {
        return new Usage(Map.of(), Map.of(), ProcStats.machineBusySeconds(), 0);
    }

    /** "name seconds" per process, one decimal, in the system's order; "(jit seconds)" where its compilers used any. */
    String describeProcesses() {
        StringBuilder text = new StringBuilder();
        cpuSeconds.forEach((name, seconds) -> {
            text.append(text.isEmpty() ? "" : ", ").append(name).append(' ').append("%.1f".formatted(seconds));
            double compiling = compilerCpuSeconds.getOrDefault(name, 0.0);
            if (compiling >= 0.05) {
                text.append(" (jit %.1f)".formatted(compiling));
            }
        });
        return text.toString();
    }

    /** What every JVM's JIT compilers used together. */
    double totalCompilerCpuSeconds() {
        return compilerCpuSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** What was used between {@code earlier} and this sample. */
    Usage since(Usage earlier) {
        Map<String, Double> used = new LinkedHashMap<>();
        cpuSeconds.forEach((name, seconds) -> used.put(name, seconds - earlier.cpuSeconds.getOrDefault(name, 0.0)));
        Map<String, Double> compiling = new LinkedHashMap<>();
        compilerCpuSeconds.forEach((name, seconds) -> compiling.put(name, seconds - earlier.compilerCpuSeconds.getOrDefault(name, 0.0)));
        return new Usage(used, compiling, machineCpuSeconds - earlier.machineCpuSeconds, relayBytesWritten - earlier.relayBytesWritten);
    }
}
