package io.failback.system.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a benchmark ran on, as the results must say: these numbers mean nothing without it. */
record Machine(int cores, String cpuModel, double memoryGib, String filesystem, String loadBefore) {

    /** Called before the system starts, so that the load average says what else ran on the machine. */
    static Machine describe(Path dataDir) {
        return new Machine(Runtime.getRuntime().availableProcessors(), readCpuModel(), readMemoryGib(), readFilesystem(dataDir),
                readLoadAverage());
    }

    /** The 1-minute load average, NaN if unknown. */
    double recentLoad() {
        try {
            return Double.parseDouble(loadBefore.split(" ")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    @Override
    public String toString() {
        return "%d cores (nproc), %s, %.1f GiB memory, %s file system".formatted(cores, cpuModel, memoryGib, filesystem);
    }

    private static String readCpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static double readMemoryGib() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(line -> line.startsWith("MemTotal:"))
                    .mapToLong(line -> Long.parseLong(line.replaceAll("[^0-9]", ""))).findFirst().orElse(0) / 1048576.0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The 1, 5 and 15 minute load averages: other work on a 2-core machine skews every figure. */
    private static String readLoadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The type of the file system holding {@code dir}: the /proc/mounts entry with the longest matching mount point. */
    private static String readFilesystem(Path dir) {
        try {
            String path = dir.toRealPath().toString();
            String best = "";
            String type = "unknown";
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] fields = line.split(" ");
                String mountPoint = fields[1];
                boolean holds = path.equals(mountPoint) || path.startsWith(mountPoint.endsWith("/") ? mountPoint : mountPoint + "/");
                if (holds && mountPoint.length() >= best.length()) {
                    best = mountPoint;
                    type = fields[2];
                }
            }
            return type;
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
