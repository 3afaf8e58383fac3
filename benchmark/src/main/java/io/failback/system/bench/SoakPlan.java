package io.failback.system.bench;

import io.failback.system.LocalSystem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * What each run of a soak does, drawn up front from one {@link Random}, so that a seed names the whole plan whatever
 * the runs' outcomes and timings.
 */
final class SoakPlan {
    /** The fault hits the copy between these shares of its bytes: never before it starts, never after it ends. */
    private static final double EARLIEST = 0.10;
    private static final double LATEST = 0.80;
    /** How long the part stays away; a pod rescheduled or a process restarted by a supervisor takes seconds. */
    private static final int MIN_PAUSE_SECONDS = 2;
    private static final int MAX_PAUSE_SECONDS = 20;

    enum Scenario {
        /** ForSynchronization + CreateVmIfNotFound: the Azure VM shuts down at once, the whole disk is copied. */
        FULL_DOWNLOAD("full download", "ForSynchronization", "DataSynchronization"),
        /**
         * ForDownTime + CreateVmIfNotFound while the Azure VM writes: phase 1 copies a snapshot (the whole disk, as the
         * host has none), then Complete Failover shuts Azure down and sends what it wrote since.
         */
        FOR_DOWN_TIME("ForDownTime + Complete Failover", "ForDownTime", "SnapshotSynchronization");

        final String label;
        final String dataSyncOption;
        /** The task whose copy the fault hits. */
        final String copyTask;

        Scenario(String label, String dataSyncOption, String copyTask) {
            this.label = label;
            this.dataSyncOption = dataSyncOption;
            this.copyTask = copyTask;
        }
    }

    enum Fault {
        KILL_JOB_SERVICE("kill -9 job-service", LocalSystem.JOB_SERVICE, true),
        KILL_SYNC_SERVICE("kill -9 sync-service", LocalSystem.SYNC_SERVICE, true),
        /** The part's name is the host's service name, known once the system runs. */
        KILL_HOST_AGENT("kill -9 host-agent", null, true),
        KILL_AZURE_SIM("kill -9 azure-sim", LocalSystem.AZURE_SIM, true),
        STOP_KAFKA("stop Kafka broker", LocalSystem.KAFKA, false),
        STOP_POSTGRES("stop PostgreSQL", LocalSystem.POSTGRES, false);

        final String label;
        private final String part;
        /** SIGKILL, as a crash; otherwise a graceful stop, as a broker or database failing over. */
        private final boolean kill;

        Fault(String label, String part, boolean kill) {
            this.label = label;
            this.part = part;
            this.kill = kill;
        }

        /** The name {@link LocalSystem} knows the part by. */
        String part(LocalSystem system) {
            return part != null ? part : system.hosts().get(0).serviceName();
        }

        /** Takes the part away, waits {@code pause}, starts it again and waits until it is ready. */
        void inject(LocalSystem system, Duration pause) {
            String name = part(system);
            if (kill) {
                system.killService(name);
            } else {
                system.stopService(name);
            }
            FailbackDriver.sleep(pause);
            system.startService(name);
        }
    }

    /** One run: which failback, which fault, at which share of the copy's bytes, away for how long. */
    record PlannedRun(int run, Scenario scenario, Fault fault, double atShare, Duration pause, long contentSeed) {
    }

    private SoakPlan() {
    }

    /**
     * Faults and scenarios are dealt from decks shuffled with the seed's {@link Random}, each deck dealt out before it
     * is shuffled again: every run's fault is random, yet 20 runs hit every part three or four times, where independent
     * draws could leave a part out.
     */
    static List<PlannedRun> draw(long seed, int runs) {
        Random random = new Random(seed);
        Deck<Scenario> scenarios = new Deck<>(List.of(Scenario.values()), random);
        Deck<Fault> faults = new Deck<>(List.of(Fault.values()), random);
        List<PlannedRun> plan = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            Scenario scenario = scenarios.next();
            Fault fault = faults.next();
            double atShare = EARLIEST + random.nextDouble() * (LATEST - EARLIEST);
            Duration pause = Duration.ofSeconds(MIN_PAUSE_SECONDS + random.nextInt(MAX_PAUSE_SECONDS - MIN_PAUSE_SECONDS + 1));
            plan.add(new PlannedRun(run, scenario, fault, atShare, pause, random.nextInt(1_000_000)));
        }
        return plan;
    }

    private static final class Deck<T> {
        private final List<T> cards;
        private final Random random;
        private final List<T> left = new ArrayList<>();

        Deck(List<T> cards, Random random) {
            this.cards = cards;
            this.random = random;
        }

        T next() {
            if (left.isEmpty()) {
                left.addAll(cards);
                Collections.shuffle(left, random);
            }
            return left.remove(left.size() - 1);
        }
    }
}
