package io.failback.system.bench;

import java.time.Duration;

/**
 * The options of {@code ./failback soak}.
 *
 * @param seed     seeds the java.util.Random that draws every run's scenario, fault, moment and pause: the same seed
 *                 replays the same plan
 * @param runs     failbacks back to back, one fault in each
 * @param diskMib  size of each run's one disk
 * @param keepData keep each run's disks (deleted by default once compared; the logs are always kept)
 */
record SoakOptions(long seed, int runs, long diskMib, boolean keepData) {

    static final String USAGE = """
            Usage: ./failback soak [--seed N] [--runs R] [--disk-mib M] [--keep-data]
              --seed N       seeds the plan: each run's scenario, fault, moment and pause (default: drawn from the clock
                             and printed, so the run can be repeated)
              --runs R       failbacks back to back, one fault injected in each (default 20)
              --disk-mib M   size of each run's disk in MiB (default 768: on 2 busy cores the copy lasts tens of seconds)
              --keep-data    keep the disks under .failback/soak-*/data (default: deleted once compared; logs kept)
            Starts the whole system on free ports, as ./failback bench does, and runs failbacks back to back: a full
            download (ForSynchronization) or a ForDownTime phase 1 while the Azure VM writes followed by Complete
            Failover. In each, one part is hit at a random point of the copy: kill -9 of job-service, sync-service,
            host-agent or azure-sim, or a stop of the Kafka broker or PostgreSQL, started again after a pause. No
            Restart is pressed. A run passes when its job ends Succeeded and the on-premises disk image holds the Azure
            disk image's bytes (SHA-256 of both files, leaving out only blocks the on-premises VM wrote after it
            started). Prints one line per run, writes docs/reliability.md, exits 1 if any run did not pass.""";

    SoakOptions {
        if (runs < 1 || runs > 1000) {
            throw new IllegalArgumentException("--runs must be between 1 and 1000");
        }
        if (diskMib < 64) {
            throw new IllegalArgumentException("--disk-mib must be at least 64");
        }
    }

    /** Null when help was asked for. */
    static SoakOptions parse(String[] args) {
        long seed = System.currentTimeMillis() % 1_000_000;
        int runs = 20;
        long diskMib = 768;
        boolean keepData = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(value(args, ++i, "--seed"));
                case "--runs" -> runs = Integer.parseInt(value(args, ++i, "--runs"));
                case "--disk-mib" -> diskMib = Long.parseLong(value(args, ++i, "--disk-mib"));
                case "--keep-data" -> keepData = true;
                case "-h", "--help", "help" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        return new SoakOptions(seed, runs, diskMib, keepData);
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

    /** The command that repeats this soak. */
    String command() {
        return "./failback soak --seed %d --runs %d --disk-mib %d%s".formatted(seed, runs, diskMib, keepData ? " --keep-data" : "");
    }

    /**
     * How long one job may take: sync-service's default patience (10 minutes) for a part that is away, plus a generous
     * time for the copy itself; a job still running after it is a failed run, not a hang.
     */
    Duration jobTimeout() {
        return Duration.ofMinutes(15).plus(BenchOptions.wholeDiskTimeout(diskMib));
    }
}
