package io.failback.system.bench;

/**
 * The options of {@code ./failback bench}.
 *
 * @param diskMib  size of the one disk of the benchmark VM (given in GiB; fractions allowed for quick tries)
 * @param runs     how often each measurement is repeated; the table shows medians
 * @param keepData keep the disks and images after the run (they take several times the disk size)
 */
record BenchOptions(long diskMib, int runs, boolean keepData) {

    static final String USAGE = """
            Usage: ./failback bench [--disk-gib N] [--runs R] [--keep-data]
              --disk-gib N   size of the VM's one disk in GiB (default 4; 0.25 for a quick try)
              --runs R       repeat every measurement R times and report medians (default 1)
              --keep-data    keep the disks and image copies under .failback/bench-*/ (default: deleted, logs kept)
            Starts the whole system on free ports, fails a VM back (full download, then ForDownTime deltas of 1% and
            10% changed blocks), times rsync doing the same on the same images, prints a table and writes
            docs/benchmarks.md.""";

    BenchOptions {
        if (diskMib < 64) {
            throw new IllegalArgumentException("--disk-gib must be at least 0.0625 (64 MiB)");
        }
        if (runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--runs must be between 1 and 20");
        }
    }

    /** Null when help was asked for. */
    static BenchOptions parse(String[] args) {
        double diskGib = 4;
        int runs = 1;
        boolean keepData = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--disk-gib" -> diskGib = Double.parseDouble(value(args, ++i, "--disk-gib"));
                case "--runs" -> runs = Integer.parseInt(value(args, ++i, "--runs"));
                case "--keep-data" -> keepData = true;
                case "-h", "--help", "help" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        return new BenchOptions(Math.round(diskGib * 1024), runs, keepData);
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    long diskBytes() {
        return diskMib << 20;
    }

    /** "4 GiB", or "256 MiB" below a GiB. */
    String diskSize() {
        return diskMib % 1024 == 0 ? diskMib / 1024 + " GiB" : diskMib + " MiB";
    }

    /** Time allowed for anything that scans or copies the whole disk once: generous, but never unbounded. */
    java.time.Duration wholeDiskTimeout() {
        return java.time.Duration.ofSeconds(120 + 150 * Math.max(1, diskMib / 1024));
    }
}
