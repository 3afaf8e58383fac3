package io.failback.system.bench;

import io.failback.system.bench.SoakPlan.PlannedRun;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What one soak run did and found.
 *
 * @param faultShare        bytesSent ÷ bytesToSend of the copy task when the part was taken away; NaN if it never was
 * @param faultTime         when the part was taken away, to find it in the logs; null if never
 * @param missed            why the fault did not hit the copy, or null
 * @param state             the job's final state; null if the run stopped before it ended
 * @param azureState        the Azure VM's state after the job; a Running VM would write after the comparison's source
 * @param comparison        the images compared; null if they were not
 * @param progressWentBack  the largest drop of the copy task's bytesSent between two polls (0: never went back)
 * @param detail            what went wrong, or null
 */
record SoakRun(PlannedRun planned, String vm, String job, double jobSeconds, double faultShare, Instant faultTime, String missed,
        String state, String azureState, ImageComparison comparison, long progressWentBack, String detail) {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    boolean passed() {
        return missed == null && "Succeeded".equals(state) && !"Running".equals(azureState) && comparison != null && comparison.equal();
    }

    String result() {
        if (missed != null) {
            return "fault missed the copy";
        }
        return state == null ? "did not end" : state;
    }

    /** "equal", "DIFFERENT" or "not compared", with the blocks left out. */
    String digests() {
        if (comparison == null) {
            return "not compared";
        }
        String verdict = comparison.equal() ? "equal" : "DIFFERENT";
        return comparison.skippedBlocks() == 0 ? verdict
                : verdict + " (" + comparison.skippedBlocks() + " blocks written on-premises left out)";
    }

    String at() {
        return Double.isNaN(faultShare) ? "–" : Math.round(faultShare * 100) + "%";
    }

    String faultTimeUtc() {
        return faultTime == null ? "–" : TIME.format(faultTime);
    }

    String jobTime() {
        return Double.isNaN(jobSeconds) ? "–" : "%.1f s".formatted(jobSeconds);
    }

    /** The console line: seed, run, scenario, fault, at %, job duration, result, digests. */
    String line(long seed, int runs) {
        return "seed %d run %d/%d | %s | %s, away %d s | at %s of the copy (%s UTC) | job %s | %s | digests %s | %s%s".formatted(
                seed, planned.run(), runs, planned.scenario().label, planned.fault().label, planned.pause().toSeconds(), at(),
                faultTimeUtc(), jobTime(), result(), digests(), passed() ? "PASS" : "FAIL",
                detail == null && missed == null ? "" : " — " + (missed != null ? missed : detail));
    }

    static final class Builder {
        private final PlannedRun planned;
        private final String vm;
        private String job;
        private double jobSeconds = Double.NaN;
        private double faultShare = Double.NaN;
        private Instant faultTime;
        private String missed;
        private String state;
        private String azureState;
        private ImageComparison comparison;
        private long progressWentBack;
        private String detail;

        Builder(PlannedRun planned, String vm) {
            this.planned = planned;
            this.vm = vm;
        }

        void job(String name) {
            job = name;
        }

        void jobSeconds(double seconds) {
            jobSeconds = seconds;
        }

        boolean hasJobSeconds() {
            return !Double.isNaN(jobSeconds);
        }

        void faultAt(Instant time, double share) {
            faultTime = time;
            faultShare = share;
        }

        void missed(String why) {
            missed = why;
        }

        void state(String finalState) {
            state = finalState;
        }

        void azureState(String vmState) {
            azureState = vmState;
        }

        void comparison(ImageComparison compared) {
            comparison = compared;
        }

        void progressWentBack(long bytes) {
            progressWentBack = Math.max(progressWentBack, bytes);
        }

        void detail(String what) {
            detail = detail == null ? what : detail + "; " + what;
        }

        SoakRun build() {
            if ("Running".equals(azureState)) {
                detail("the Azure VM is still Running after the failback");
            }
            return new SoakRun(planned, vm, job, jobSeconds, faultShare, faultTime, missed, state, azureState, comparison,
                    progressWentBack, detail);
        }
    }
}
