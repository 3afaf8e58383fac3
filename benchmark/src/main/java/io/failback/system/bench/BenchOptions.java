package io.failback.system.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The options of {@code ./failback bench}.
 *
 * @param diskMib       size of the one disk of the benchmark VM (given in GiB; fractions allowed for quick tries)
 * @param runs          how often each measurement is repeated; the table shows medians
 * @param memoryDiskMib the two disk sizes whose full downloads the sync-service memory comparison (P5) sets side by side
 * @param memoryRuns    how often that comparison is repeated; 0 skips it
 * @param keepData      keep the disks and images after the run (they take several times the disk size)
 * @param idleSeconds   how long the CPU each process uses with the system up and no job running is measured; 0 skips it
 * @param reverseReplicateMib the larger disk a second Reverse Replicate runs on, to see whether its time grows with the
 *                      disk; 0 skips it
 * @param wanMib        the disk of the compression cases (over a 1 Gbit/s link, and on loopback); 0 skips them
 * @param liveWritesPerSecond the rates of scattered 4 KiB writes the Azure VM keeps up through a ForDownTime failback
 *                      in the live-workload family (issue #17), one case per rate and suspension; empty skips the family
 * @param suspendSeconds how long each of those failbacks stays Suspended before Resume, one case per value
 * @param onlyLiveDowntime run the live-workload family alone (after the warm-up), none of the other cases
 */
record BenchOptions(long diskMib, int runs, List<Long> memoryDiskMib, int memoryRuns, boolean keepData, int idleSeconds,
        long reverseReplicateMib, long wanMib, boolean tlsInternal, List<Integer> liveWritesPerSecond, List<Integer> suspendSeconds,
        boolean onlyLiveDowntime) {

    /**
     * A lightly used server (a small database or file server in working hours: 0.8 MB/s of scattered 4 KiB writes), and
     * issue #17's heavy workload.
     */
    static final List<Integer> DEFAULT_LIVE_WRITES = List.of(200, 2000);
    /** Issue #17's suspension; 300 s is its "not growing with the suspension" comparison. */
    static final List<Integer> DEFAULT_SUSPEND_SECONDS = List.of(30);
    static final String ONLY_LIVE_DOWNTIME = "live-downtime";

    static final String USAGE = """
            Usage: ./failback bench [--disk-gib N] [--runs R] [--memory-gib A,B] [--memory-runs M] [--idle-seconds S]
                                  [--reverse-replicate-gib L] [--wan-gib W] [--live-writes W1,W2] [--suspend-seconds S1,S2]
                                  [--only live-downtime] [--keep-data] [--tls-internal]
              --disk-gib N      size of the VM's one disk in GiB (default 4; 0.25 for a quick try)
              --runs R          repeat every measurement R times and report medians (default 1)
              --memory-gib A,B  sync-service's peak memory is compared between full downloads of these two disk sizes
                                in GiB, each in a freshly started sync-service (default 1,16)
              --memory-runs M   repeat that comparison M times (default 1: at 16 GiB it takes minutes); 0 skips it
              --idle-seconds S  after the runs, the CPU each process uses over S seconds with no job running
                                (default 60); 0 skips it
              --reverse-replicate-gib L
                                a second Reverse Replicate, once, on a disk of L GiB after 1% of it was written on-premises,
                                to compare with the main disk's (default 16; 0 skips it)
              --wan-gib W       compression on and off, R times each: full downloads of a W GiB disk, half of its data
                                text, through a 1 Gbit/s link to the host, and of W GiB of random bytes on loopback
                                (default 1; 0 skips them)
              --live-writes W1,W2
                                ForDownTime with a live workload: the Azure VM makes W scattered 4 KiB writes per second
                                from before phase 1, through the suspension, until the failback shuts it down; one case
                                per rate and suspension (default 200,2000: a lightly used server and issue #17's heavy
                                one; "none" skips the family)
              --suspend-seconds S1,S2
                                how long those failbacks stay Suspended before Resume (default 30; e.g. 30,300 to see
                                whether the downtime grows with the suspension)
              --only live-downtime
                                run only that family (after the warm-up): no rsync, Reverse Replicate, memory, compression
                                or idle cases; docs/benchmarks.md gets only that family's section rewritten
              --keep-data       keep the disks and image copies under .failback/bench-*/ (default: deleted, logs kept)
              --tls-internal    the services call each other over mutual TLS, as ./failback up --tls-internal does,
                                to measure what TLS costs the data path (default: plain, as ./failback up)
            Starts the whole system on free ports, fails a VM back (full download; ForDownTime deltas of 1% and 10%
            changed blocks; one with 1% of the disk in 4 KiB writes before it and 1% more while suspended; one with 1%
            written while it is suspended; Commit, 1% written on-premises in 4 KiB writes and Reverse Replicate, also on
            a larger disk; full downloads with compression on and off; ForDownTime failbacks of a VM that keeps writing
            until the failback shuts it down), times rsync doing the same on the same images, compares sync-service's
            peak memory across disk sizes, measures what each process uses while nothing runs, prints a table and writes
            docs/benchmarks.md.""";

    BenchOptions {
        if (diskMib < 64) {
            throw new IllegalArgumentException("--disk-gib must be at least 0.0625 (64 MiB)");
        }
        if (runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--runs must be between 1 and 20");
        }
        if (memoryDiskMib.size() != 2 || memoryDiskMib.stream().anyMatch(mib -> mib < 64)) {
            throw new IllegalArgumentException("--memory-gib takes two sizes of at least 0.0625 GiB, e.g. 1,16");
        }
        if (memoryRuns < 0 || memoryRuns > 20) {
            throw new IllegalArgumentException("--memory-runs must be between 0 and 20");
        }
        if (idleSeconds < 0 || idleSeconds > 3600) {
            throw new IllegalArgumentException("--idle-seconds must be between 0 and 3600");
        }
        if (reverseReplicateMib != 0 && reverseReplicateMib < 64) {
            throw new IllegalArgumentException("--reverse-replicate-gib must be 0 or at least 0.0625 (64 MiB)");
        }
        if (wanMib != 0 && wanMib < 64) {
            throw new IllegalArgumentException("--wan-gib must be 0 or at least 0.0625 (64 MiB)");
        }
        // azure-sim takes up to 100,000 writes a second.
        if (liveWritesPerSecond.stream().anyMatch(rate -> rate < 1 || rate > 100_000)) {
            throw new IllegalArgumentException("--live-writes takes rates between 1 and 100000 writes a second, or none");
        }
        if (suspendSeconds.isEmpty() || suspendSeconds.stream().anyMatch(seconds -> seconds < 1 || seconds > 3600)) {
            throw new IllegalArgumentException("--suspend-seconds takes suspensions between 1 and 3600 s, e.g. 30,300");
        }
        if (onlyLiveDowntime && liveWritesPerSecond.isEmpty()) {
            throw new IllegalArgumentException("--only " + ONLY_LIVE_DOWNTIME + " with --live-writes none leaves nothing to run");
        }
        memoryDiskMib = List.copyOf(memoryDiskMib);
        liveWritesPerSecond = List.copyOf(liveWritesPerSecond);
        suspendSeconds = List.copyOf(suspendSeconds);
    }

    /** Without TLS between services, the live-workload family at its defaults. */
    BenchOptions(long diskMib, int runs, List<Long> memoryDiskMib, int memoryRuns, boolean keepData, int idleSeconds,
            long reverseReplicateMib, long wanMib) {
        this(diskMib, runs, memoryDiskMib, memoryRuns, keepData, idleSeconds, reverseReplicateMib, wanMib, false,
                DEFAULT_LIVE_WRITES, DEFAULT_SUSPEND_SECONDS, false);
    }

    /** Null when help was asked for. */
    static BenchOptions parse(String[] args) {
        double diskGib = 4;
        int runs = 1;
        List<Long> memoryDiskMib = List.of(1024L, 16384L);
        int memoryRuns = 1;
        boolean keepData = false;
        boolean tlsInternal = false;
        int idleSeconds = 60;
        double reverseReplicateGib = 16;
        double wanGib = 1;
        List<Integer> liveWrites = DEFAULT_LIVE_WRITES;
        List<Integer> suspendSeconds = DEFAULT_SUSPEND_SECONDS;
        boolean onlyLiveDowntime = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--disk-gib" -> diskGib = Double.parseDouble(value(args, ++i, "--disk-gib"));
                case "--runs" -> runs = Integer.parseInt(value(args, ++i, "--runs"));
                case "--memory-gib" -> memoryDiskMib = Arrays.stream(value(args, ++i, "--memory-gib").split(","))
                        .map(gib -> mib(Double.parseDouble(gib.trim()))).toList();
                case "--memory-runs" -> memoryRuns = Integer.parseInt(value(args, ++i, "--memory-runs"));
                case "--idle-seconds" -> idleSeconds = Integer.parseInt(value(args, ++i, "--idle-seconds"));
                case "--reverse-replicate-gib" -> reverseReplicateGib = Double.parseDouble(value(args, ++i, "--reverse-replicate-gib"));
                case "--wan-gib" -> wanGib = Double.parseDouble(value(args, ++i, "--wan-gib"));
                case "--live-writes" -> {
                    String rates = value(args, ++i, "--live-writes");
                    liveWrites = rates.equals("none") ? List.of() : integers(rates);
                }
                case "--suspend-seconds" -> suspendSeconds = integers(value(args, ++i, "--suspend-seconds"));
                case "--only" -> {
                    String family = value(args, ++i, "--only");
                    if (!family.equals(ONLY_LIVE_DOWNTIME)) {
                        throw new IllegalArgumentException("--only takes " + ONLY_LIVE_DOWNTIME + ", not " + family);
                    }
                    onlyLiveDowntime = true;
                }
                case "--keep-data" -> keepData = true;
                case "--tls-internal" -> tlsInternal = true;
                case "-h", "--help", "help" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        return new BenchOptions(mib(diskGib), runs, memoryDiskMib, memoryRuns, keepData, idleSeconds, mib(reverseReplicateGib),
                mib(wanGib), tlsInternal, liveWrites, suspendSeconds, onlyLiveDowntime);
    }

    private static List<Integer> integers(String list) {
        return Arrays.stream(list.split(",")).map(item -> Integer.parseInt(item.trim())).toList();
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static long mib(double gib) {
        return Math.round(gib * 1024);
    }

    long diskBytes() {
        return diskMib << 20;
    }

    /** "4 GiB", or "256 MiB" below a GiB. */
    String diskSize() {
        return size(diskMib);
    }

    static String size(long mib) {
        return mib % 1024 == 0 ? mib / 1024 + " GiB" : mib + " MiB";
    }

    /** Time allowed for anything that scans or copies the whole disk once: generous, but never unbounded. */
    Duration wholeDiskTimeout() {
        return wholeDiskTimeout(diskMib);
    }

    static Duration wholeDiskTimeout(long diskMib) {
        return Duration.ofSeconds(120 + 150 * Math.max(1, diskMib / 1024));
    }
}
