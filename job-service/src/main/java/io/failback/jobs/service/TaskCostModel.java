package io.failback.jobs.service;

import java.time.Instant;
import java.util.List;

/**
 * How long copying takes as fixed costs per copy plus costs per byte of each kind handled ({@code seconds = c · x}: the
 * first {@code counts} features count copies of each kind, the others are bytes), fitted to this installation's runs
 * with the benchmark's figures as the prior: a Bayesian linear regression whose prior is a normal distribution around
 * the defaults. A run may be one copy or several that shared the link (their features summed, their time the period
 * any of them ran). A new installation gets the defaults; every run pulls the costs toward what it measured, as
 * strongly as it is informative, and the prediction says how uncertain it is. The fit is made for one prediction: a
 * run smaller than the one predicted teaches in proportion to its size, so that a tiny disk's run (its time mostly
 * fixed costs, JIT warm-up and scheduling) cannot set the per-byte costs of a large one; a run of next to no bytes says
 * only what the fixed costs are, and teaches that in full.
 */
final class TaskCostModel {
    /** How far one run's duration strays from any linear model: an absolute part (scheduling, JIT, Kafka)... */
    static final double ABSOLUTE_NOISE_SECONDS = 0.1;
    /** ...and a part that grows with the run (other work on the machine, page cache). */
    static final double RELATIVE_NOISE = 0.1;
    /** A run over at most this many bytes speaks of the fixed cost alone. */
    static final double FIXED_COST_RUN_BYTES = 1 << 20;
    /** The byte features are fitted in GB, so that all coefficients are of similar magnitude. */
    private static final double GB = 1e9;

    /** One finished run: its features (copies of each kind, then bytes of each kind) and how long it took. */
    record Run(String jobName, double[] features, double seconds, Instant endedAt) {
    }

    private final int counts;
    private final double[] coefficients;
    private final double[][] covariance;
    private final List<Run> runs;

    private TaskCostModel(int counts, double[] coefficients, double[][] covariance, List<Run> runs) {
        this.counts = counts;
        this.coefficients = coefficients;
        this.covariance = covariance;
        this.runs = runs;
    }

    /**
     * @param prior the default fixed seconds per copy of each kind, then seconds per byte of each kind
     * @param counts how many of the features count copies (the rest are bytes)
     * @param priorSpread one standard deviation of each, as a share of it (1.0: the installation may well be twice as
     *        fast or slow as the benchmark's machine)
     * @param fixedSpreadSeconds one standard deviation of the fixed cost
     * @param predicted the features of the run to predict: larger runs than it teach in full, smaller ones in proportion
     */
    static TaskCostModel fit(double[] prior, int counts, double priorSpread, double fixedSpreadSeconds, List<Run> runs, double[] predicted) {
        double predictedBytes = bytes(predicted, counts);
        int n = prior.length;
        double[] mean = prior.clone(); // seconds per copy, then seconds per GB
        for (int k = counts; k < n; k++) {
            mean[k] *= GB;
        }
        double[][] precision = new double[n][n];
        double[] weighted = new double[n];
        for (int k = 0; k < n; k++) {
            double sigma = k < counts ? fixedSpreadSeconds : Math.max(mean[k] * priorSpread, 1e-6);
            precision[k][k] = 1 / (sigma * sigma);
            weighted[k] = mean[k] * precision[k][k];
        }
        for (Run run : runs) {
            double[] x = scaled(run.features(), counts);
            double bytes = bytes(run.features(), counts);
            double share = bytes <= FIXED_COST_RUN_BYTES || bytes >= predictedBytes ? 1 : bytes / predictedBytes;
            double noise = ABSOLUTE_NOISE_SECONDS + RELATIVE_NOISE * run.seconds();
            double weight = share / (noise * noise);
            for (int i = 0; i < n; i++) {
                weighted[i] += weight * x[i] * run.seconds();
                for (int j = 0; j < n; j++) {
                    precision[i][j] += weight * x[i] * x[j];
                }
            }
        }
        double[][] covariance = inverse(precision);
        double[] fitted = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                fitted[i] += covariance[i][j] * weighted[j];
            }
            // No negative costs; and no byte is free: a run that seems to say so is noise.
            fitted[i] = Math.max(fitted[i], i < counts ? 0 : mean[i] * 0.05);
        }
        return new TaskCostModel(counts, fitted, covariance, List.copyOf(runs));
    }

    /** The predicted seconds for a run with these features (copies, then bytes). */
    double seconds(double[] features) {
        double[] x = scaled(features, counts);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += coefficients[i] * x[i];
        }
        return sum;
    }

    /** One standard deviation of that prediction: what the costs are not sure of, and a run's own noise. */
    double spreadSeconds(double[] features) {
        double[] x = scaled(features, counts);
        double variance = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                variance += x[i] * covariance[i][j] * x[j];
            }
        }
        double noise = ABSOLUTE_NOISE_SECONDS + RELATIVE_NOISE * seconds(features);
        return Math.sqrt(Math.max(variance, 0) + noise * noise);
    }

    /** The seconds these features' bytes take, without the copies' fixed costs: their share of a link. */
    double byteSeconds(double[] features) {
        double[] x = scaled(features, counts);
        double sum = 0;
        for (int i = counts; i < x.length; i++) {
            sum += coefficients[i] * x[i];
        }
        return sum;
    }

    /** The fixed cost of a copy of the k-th kind (k below counts). */
    double fixedSeconds(int k) {
        return coefficients[k];
    }

    /** The rate of the k-th feature's bytes (k at least counts), in bytes per second. */
    double bytesPerSecond(int k) {
        return GB / coefficients[k];
    }

    List<Run> runs() {
        return runs;
    }

    private static double bytes(double[] features, int counts) {
        double bytes = 0;
        for (int k = counts; k < features.length; k++) {
            bytes += features[k];
        }
        return bytes;
    }

    private static double[] scaled(double[] features, int counts) {
        double[] x = features.clone();
        for (int k = counts; k < x.length; k++) {
            x[k] /= GB;
        }
        return x;
    }

    private static double[][] inverse(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(matrix[i], 0, a[i], 0, n);
            a[i][n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
                    pivot = row;
                }
            }
            double[] swap = a[col];
            a[col] = a[pivot];
            a[pivot] = swap;
            double p = a[col][col];
            for (int k = 0; k < 2 * n; k++) {
                a[col][k] /= p;
            }
            for (int row = 0; row < n; row++) {
                if (row != col) {
                    double factor = a[row][col];
                    for (int k = 0; k < 2 * n; k++) {
                        a[row][k] -= factor * a[col][k];
                    }
                }
            }
        }
        double[][] inverse = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], n, inverse[i], 0, n);
        }
        return inverse;
    }
}
