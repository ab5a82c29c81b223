package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link BatchNorm}'s training forward and backward, vectorized, for planes shorter than a vector
 * (Inception's last blocks at a 75×75 input run at 3×3 and 1×1): there a plane-by-plane loop has
 * no whole vector to work on and pays a call per plane for one to nine values. Instead the vectors
 * run along an image's channels: for the channel range [lo, hi) of one work chunk, the values
 * x[n, lo : hi, ·] are one contiguous run of (hi − lo)·S floats per image, so every pass is whole
 * vectors over that run, image after image. Per-element sums are kept in double, in image order,
 * and a channel's sum adds its S elements' sums in order: one fixed order per channel, whatever the
 * thread count. The per-element formulas are {@link BatchNorm}'s float operations, with each
 * channel's constants laid out along the run.
 */
final class BatchNormSmallPlanes {
    private BatchNormSmallPlanes() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final VectorSpecies<Float> F_HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));

    /** Whether planes of s elements take this path. */
    static boolean applies(int s) {
        return s < F.length();
    }

    /** Per-thread scratch, grown on demand: two double sums per element of the run, and four float rows of constants. */
    private static final class Scratch {
        double[] first = new double[0], second = new double[0];
        float[] a = new float[0], b = new float[0], c = new float[0], d = new float[0];

        void ensure(int len) {
            if (first.length < len) {
                first = new double[len];
                second = new double[len];
                a = new float[len];
                b = new float[len];
                c = new float[len];
                d = new float[len];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@link BatchNorm#training} for channels [lo, hi): the statistics, the running averages and out,
     * then with {@code relu} a ReLU on out. x and out are [n, c, s].
     */
    static void training(float[] out, float[] x, int n, int c, int s, int lo, int hi, float[] gamma, float[] beta,
                         float[] saveMean, float[] saveInvStd, float[] runningMean, float[] runningVar, float eps,
                         float momentum, boolean relu) {
        int len = (hi - lo) * s;
        long m = (long) n * s;
        Scratch sc = SCRATCH.get();
        sc.ensure(len);
        double[] sums = sc.first, squares = sc.second;
        float[] meanRow = sc.a, scaleRow = sc.b, betaRow = sc.c;
        Arrays.fill(sums, 0, len, 0);
        for (int i = 0; i < n; i++) {
            addRow(sums, x, (i * c + lo) * s, len);
        }
        double[] mu = new double[hi - lo];
        for (int ch = lo; ch < hi; ch++) {
            mu[ch - lo] = channelSum(sums, (ch - lo) * s, s) / m;
            for (int t = 0; t < s; t++) {
                sums[(ch - lo) * s + t] = mu[ch - lo];   // now the mean, laid out along the run
            }
        }
        Arrays.fill(squares, 0, len, 0);
        for (int i = 0; i < n; i++) {
            addSquaredDeviations(squares, x, (i * c + lo) * s, sums, len);
        }
        for (int ch = lo; ch < hi; ch++) {
            double variance = channelSum(squares, (ch - lo) * s, s) / m;
            double invStd = 1.0 / Math.sqrt(variance + eps);
            double unbiased = m > 1 ? variance * m / (m - 1) : variance;
            double mean = mu[ch - lo];
            saveMean[ch] = (float) mean;
            saveInvStd[ch] = (float) invStd;
            runningMean[ch] = (float) ((1.0 - momentum) * runningMean[ch] + momentum * mean);
            runningVar[ch] = (float) ((1.0 - momentum) * runningVar[ch] + momentum * unbiased);
            Arrays.fill(meanRow, (ch - lo) * s, (ch - lo + 1) * s, (float) mean);
            Arrays.fill(scaleRow, (ch - lo) * s, (ch - lo + 1) * s, (float) (gamma[ch] * invStd));
            Arrays.fill(betaRow, (ch - lo) * s, (ch - lo + 1) * s, beta[ch]);
        }
        for (int i = 0; i < n; i++) {
            int at = (i * c + lo) * s, t = 0;
            for (int bound = F.loopBound(len); t < bound; t += F.length()) {
                FloatVector.fromArray(F, x, at + t).sub(FloatVector.fromArray(F, meanRow, t))
                        .mul(FloatVector.fromArray(F, scaleRow, t)).add(FloatVector.fromArray(F, betaRow, t))
                        .intoArray(out, at + t);
            }
            for (; t < len; t++) {
                out[at + t] = (x[at + t] - meanRow[t]) * scaleRow[t] + betaRow[t];
            }
            if (relu) {   // the run just written, still in cache
                Elementwise.reluInPlace(out, at, at + len, true);
            }
        }
    }

    /**
     * {@link BatchNorm#backward} for channels [lo, hi): dγ, dβ and dx. dx, dy and x are [n, c, s].
     */
    static void backward(float[] dx, float[] dgamma, float[] dbeta, float[] dy, float[] x, int n, int c, int s, int lo,
                         int hi, float[] gamma, float[] saveMean, float[] saveInvStd) {
        int len = (hi - lo) * s;
        long m = (long) n * s;
        Scratch sc = SCRATCH.get();
        sc.ensure(len);
        double[] sumDy = sc.first, sumDyCentered = sc.second;
        float[] meanRow = sc.a, shiftRow = sc.b, slopeRow = sc.c, scaleRow = sc.d;
        for (int ch = lo; ch < hi; ch++) {
            Arrays.fill(meanRow, (ch - lo) * s, (ch - lo + 1) * s, saveMean[ch]);
        }
        Arrays.fill(sumDy, 0, len, 0);
        Arrays.fill(sumDyCentered, 0, len, 0);
        for (int i = 0; i < n; i++) {
            addGradientSums(sumDy, sumDyCentered, dy, x, (i * c + lo) * s, meanRow, len);
        }
        for (int ch = lo; ch < hi; ch++) {
            double invStd = saveInvStd[ch], dBeta = channelSum(sumDy, (ch - lo) * s, s);
            double dGamma = invStd * channelSum(sumDyCentered, (ch - lo) * s, s);
            dbeta[ch] = (float) dBeta;
            dgamma[ch] = (float) dGamma;
            Arrays.fill(shiftRow, (ch - lo) * s, (ch - lo + 1) * s, (float) (dBeta / m));
            Arrays.fill(slopeRow, (ch - lo) * s, (ch - lo + 1) * s, (float) (invStd * dGamma / m));
            Arrays.fill(scaleRow, (ch - lo) * s, (ch - lo + 1) * s, (float) (gamma[ch] * invStd));
        }
        for (int i = 0; i < n; i++) {
            int at = (i * c + lo) * s, t = 0;
            for (int bound = F.loopBound(len); t < bound; t += F.length()) {
                FloatVector centered = FloatVector.fromArray(F, x, at + t).sub(FloatVector.fromArray(F, meanRow, t));
                FloatVector.fromArray(F, dy, at + t).sub(FloatVector.fromArray(F, shiftRow, t))
                        .sub(centered.mul(FloatVector.fromArray(F, slopeRow, t)))
                        .mul(FloatVector.fromArray(F, scaleRow, t)).intoArray(dx, at + t);
            }
            for (; t < len; t++) {
                dx[at + t] = ((dy[at + t] - shiftRow[t]) - (x[at + t] - meanRow[t]) * slopeRow[t]) * scaleRow[t];
            }
        }
    }

    /** Σ_t sums[from + t] for t &lt; s, in order: one channel's sum from its elements' sums. */
    private static double channelSum(double[] sums, int from, int s) {
        double total = 0;
        for (int t = 0; t < s; t++) {
            total += sums[from + t];
        }
        return total;
    }

    /** sums[t] += x[at + t] for t &lt; len. */
    private static void addRow(double[] sums, float[] x, int at, int len) {
        int t = 0;
        for (int bound = F_HALF.loopBound(len); t < bound; t += F_HALF.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F_HALF, x, at + t).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, sums, t).add(v).intoArray(sums, t);
        }
        for (; t < len; t++) {
            sums[t] += x[at + t];
        }
    }

    /** squares[t] += (x[at + t] − mean[t])² for t &lt; len, in double. */
    private static void addSquaredDeviations(double[] squares, float[] x, int at, double[] mean, int len) {
        int t = 0;
        for (int bound = F_HALF.loopBound(len); t < bound; t += F_HALF.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F_HALF, x, at + t).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector d = v.sub(DoubleVector.fromArray(D, mean, t));
            d.fma(d, DoubleVector.fromArray(D, squares, t)).intoArray(squares, t);
        }
        for (; t < len; t++) {
            double d = x[at + t] - mean[t];
            squares[t] = Math.fma(d, d, squares[t]);
        }
    }

    /** sumDy[t] += dy, sumDyCentered[t] += dy·(x − mean[t]) at at + t, for t &lt; len, in double. */
    private static void addGradientSums(double[] sumDy, double[] sumDyCentered, float[] dy, float[] x, int at,
                                        float[] mean, int len) {
        int t = 0;
        for (int bound = F_HALF.loopBound(len); t < bound; t += F_HALF.length()) {
            DoubleVector g = (DoubleVector) FloatVector.fromArray(F_HALF, dy, at + t).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector xi = (DoubleVector) FloatVector.fromArray(F_HALF, x, at + t).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector mu = (DoubleVector) FloatVector.fromArray(F_HALF, mean, t).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, sumDy, t).add(g).intoArray(sumDy, t);
            g.fma(xi.sub(mu), DoubleVector.fromArray(D, sumDyCentered, t)).intoArray(sumDyCentered, t);
        }
        for (; t < len; t++) {
            sumDy[t] += dy[at + t];
            sumDyCentered[t] = Math.fma(dy[at + t], (double) x[at + t] - mean[t], sumDyCentered[t]);
        }
    }
}
