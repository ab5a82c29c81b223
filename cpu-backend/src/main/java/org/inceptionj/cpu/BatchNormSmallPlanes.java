package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link BatchNorm}'s training forward and backward, vectorized, for planes shorter than a vector
 * (Inception's last blocks at a 75×75 input run at 3×3 and 1×1): there a plane-by-plane loop has
 * no whole vector to work on and pays a call per plane for one to nine values. Instead the vectors
 * run along an image's channels: the values x[n, lo : hi, ·] of a channel range are one contiguous
 * run of (hi − lo)·S floats per image, so every pass is whole vectors over that run, image after image.
 *
 * <p>Sums: per element of the run, in double, over the images of each block of {@link #BLOCK}
 * images in order; the blocks' sums added in block order; a channel's sum adds its S elements'
 * sums in order. One fixed order per channel, whatever the thread count and however the work is
 * split: by blocks of images where there is a block per thread and at least {@link #GRAIN} elements
 * (so each thread reads the images that the convolutions around it left in its own cache, see
 * {@link BatchNorm#byImages}; below that, three hand-overs cost more than they save: the default
 * run's 48 × 3 × 3 layers ran 0.55× split), else by channel ranges. The per-element formulas are {@link BatchNorm}'s float operations, with each
 * channel's constants laid out along the run.
 */
final class BatchNormSmallPlanes {
    private BatchNormSmallPlanes() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());

    /** Images per block of the sums (see the class note). */
    static final int BLOCK = 4;

    /** Elements per chunk below which a channel split is not cut further. */
    private static final int GRAIN = 1 << 15;

    /** Whether planes of s elements take this path. */
    static boolean applies(int s) {
        return s < F.length();
    }

    /**
     * The calling thread's scratch, grown on demand: per block, two double sums per element of an
     * image's run; the sums over all blocks; four float rows of per-element constants.
     */
    private static final class Scratch {
        double[] first = new double[0], second = new double[0], total = new double[0];
        float[] a = new float[0], b = new float[0], c = new float[0], d = new float[0];

        void ensure(int blocks, int len) {
            if (first.length < blocks * len) {
                first = new double[blocks * len];
                second = new double[blocks * len];
            }
            if (total.length < len) {
                total = new double[len];
                a = new float[len];
                b = new float[len];
                c = new float[len];
                d = new float[len];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Work on image block b, channels [lo, hi). */
    @FunctionalInterface
    private interface Part {
        void run(int block, int lo, int hi);
    }

    /**
     * Runs part over every (block, channel range): split by blocks where there are at least as many
     * blocks as threads (and more than one thread) and at least {@link #GRAIN} elements, else by
     * channel ranges, each chunk taking every block in turn. Either way each block's sums are the same.
     */
    private static void forEachPart(Parallel parallel, int blocks, int n, int c, int s, Part part) {
        if (parallel.threads() > 1 && blocks >= parallel.threads() && (long) n * c * s >= GRAIN) {
            parallel.forRange(blocks, 1, (b0, b1) -> {
                for (int b = b0; b < b1; b++) {
                    part.run(b, 0, c);
                }
            });
        } else {
            parallel.forRange(c, Math.max(1, (int) (GRAIN / ((long) n * s))), (lo, hi) -> {
                for (int b = 0; b < blocks; b++) {
                    part.run(b, lo, hi);
                }
            });
        }
    }

    /** total[t] = Σ_b partial[b·len + t] in block order, for t &lt; len. */
    private static void addBlocks(double[] total, double[] partial, int blocks, int len) {
        Arrays.fill(total, 0, len, 0);
        for (int b = 0; b < blocks; b++) {
            int at = b * len, t = 0;
            for (int bound = D.loopBound(len); t < bound; t += D.length()) {
                DoubleVector.fromArray(D, total, t).add(DoubleVector.fromArray(D, partial, at + t)).intoArray(total, t);
            }
            for (; t < len; t++) {
                total[t] += partial[at + t];
            }
        }
    }

    /**
     * {@link BatchNorm#training}: the statistics, the running averages and out, then with {@code relu}
     * a ReLU on out. x and out are [n, c, s].
     */
    static void training(Parallel parallel, float[] out, float[] x, int n, int c, int s, float[] gamma, float[] beta,
                         float[] saveMean, float[] saveInvStd, float[] runningMean, float[] runningVar, float eps,
                         float momentum, boolean relu) {
        int len = c * s, blocks = (n + BLOCK - 1) / BLOCK;
        long m = (long) n * s;
        Scratch sc = SCRATCH.get();
        sc.ensure(blocks, len);
        double[] partial = sc.first, total = sc.total;
        float[] meanRow = sc.a, scaleRow = sc.b, betaRow = sc.c;
        forEachPart(parallel, blocks, n, c, s, (b, lo, hi) -> {
            int at = b * len + lo * s, run = (hi - lo) * s;
            Arrays.fill(partial, at, at + run, 0);
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                addRow(partial, at, x, (i * c + lo) * s, run);
            }
        });
        addBlocks(total, partial, blocks, len);
        double[] mu = new double[c];
        for (int ch = 0; ch < c; ch++) {
            mu[ch] = channelSum(total, ch * s, s) / m;
            Arrays.fill(total, ch * s, (ch + 1) * s, mu[ch]);   // now the mean, laid out along the run
        }
        double[] meanAlong = total;
        forEachPart(parallel, blocks, n, c, s, (b, lo, hi) -> {
            int at = b * len + lo * s, run = (hi - lo) * s;
            Arrays.fill(partial, at, at + run, 0);
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                addSquaredDeviations(partial, at, x, (i * c + lo) * s, meanAlong, lo * s, run);
            }
        });
        double[] squares = sc.second;
        addBlocks(squares, partial, blocks, len);
        for (int ch = 0; ch < c; ch++) {
            double mean = mu[ch];
            double invStd = BatchNorm.storeStatistics(ch, mean, channelSum(squares, ch * s, s) / m, m, eps, momentum,
                    saveMean, saveInvStd, runningMean, runningVar);
            Arrays.fill(meanRow, ch * s, (ch + 1) * s, (float) mean);
            Arrays.fill(scaleRow, ch * s, (ch + 1) * s, (float) (gamma[ch] * invStd));
            Arrays.fill(betaRow, ch * s, (ch + 1) * s, beta[ch]);
        }
        forEachPart(parallel, blocks, n, c, s, (b, lo, hi) -> {
            int run = (hi - lo) * s, r0 = lo * s;
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                int at = (i * c + lo) * s, t = 0;
                for (int bound = F.loopBound(run); t < bound; t += F.length()) {
                    FloatVector.fromArray(F, x, at + t).sub(FloatVector.fromArray(F, meanRow, r0 + t))
                            .mul(FloatVector.fromArray(F, scaleRow, r0 + t))
                            .add(FloatVector.fromArray(F, betaRow, r0 + t))
                            .intoArray(out, at + t);
                }
                for (; t < run; t++) {
                    out[at + t] = (x[at + t] - meanRow[r0 + t]) * scaleRow[r0 + t] + betaRow[r0 + t];
                }
                if (relu) {   // the run just written, still in cache
                    Elementwise.reluInPlace(out, at, at + run, true);
                }
            }
        });
    }

    /**
     * {@link BatchNorm#backward}: dγ, dβ and dx. dx, dy and x are [n, c, s]. With {@code upstream} and
     * {@code y} (not null), dy is first written into dx as upstream·[y &gt; 0] (the bits of reluBackward)
     * and {@code dy} must be dx.
     */
    static void backward(Parallel parallel, float[] dx, float[] dgamma, float[] dbeta, float[] dy, float[] upstream,
                         float[] y, float[] x, int n, int c, int s, float[] gamma, float[] saveMean,
                         float[] saveInvStd) {
        int len = c * s, blocks = (n + BLOCK - 1) / BLOCK;
        long m = (long) n * s;
        Scratch sc = SCRATCH.get();
        sc.ensure(blocks, len);
        double[] partialDy = sc.first, partialDyCentered = sc.second, total = sc.total;
        float[] meanRow = sc.a, shiftRow = sc.b, slopeRow = sc.c, scaleRow = sc.d;
        for (int ch = 0; ch < c; ch++) {
            Arrays.fill(meanRow, ch * s, (ch + 1) * s, saveMean[ch]);
        }
        forEachPart(parallel, blocks, n, c, s, (b, lo, hi) -> {
            int at = b * len + lo * s, run = (hi - lo) * s;
            Arrays.fill(partialDy, at, at + run, 0);
            Arrays.fill(partialDyCentered, at, at + run, 0);
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                int from = (i * c + lo) * s;
                if (y != null) {   // this block's run, just before the sums read it
                    Elementwise.reluMask(dx, upstream, y, from, from + run, true);
                }
                addGradientSums(partialDy, partialDyCentered, at, dy, x, from, meanRow, lo * s, run);
            }
        });
        double[] dBetas = new double[c];
        addBlocks(total, partialDy, blocks, len);
        for (int ch = 0; ch < c; ch++) {
            dBetas[ch] = channelSum(total, ch * s, s);
        }
        addBlocks(total, partialDyCentered, blocks, len);
        for (int ch = 0; ch < c; ch++) {
            double invStd = saveInvStd[ch], dBeta = dBetas[ch];
            double dGamma = invStd * channelSum(total, ch * s, s);
            dbeta[ch] = (float) dBeta;
            dgamma[ch] = (float) dGamma;
            Arrays.fill(shiftRow, ch * s, (ch + 1) * s, (float) (dBeta / m));
            Arrays.fill(slopeRow, ch * s, (ch + 1) * s, (float) (invStd * dGamma / m));
            Arrays.fill(scaleRow, ch * s, (ch + 1) * s, (float) (gamma[ch] * invStd));
        }
        forEachPart(parallel, blocks, n, c, s, (b, lo, hi) -> {
            int run = (hi - lo) * s, r0 = lo * s;
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                int at = (i * c + lo) * s, t = 0;
                for (int bound = F.loopBound(run); t < bound; t += F.length()) {
                    FloatVector centered = FloatVector.fromArray(F, x, at + t)
                            .sub(FloatVector.fromArray(F, meanRow, r0 + t));
                    FloatVector.fromArray(F, dy, at + t).sub(FloatVector.fromArray(F, shiftRow, r0 + t))
                            .sub(centered.mul(FloatVector.fromArray(F, slopeRow, r0 + t)))
                            .mul(FloatVector.fromArray(F, scaleRow, r0 + t)).intoArray(dx, at + t);
                }
                for (; t < run; t++) {
                    dx[at + t] = ((dy[at + t] - shiftRow[r0 + t]) - (x[at + t] - meanRow[r0 + t]) * slopeRow[r0 + t])
                            * scaleRow[r0 + t];
                }
            }
        });
    }

    /** Σ_t sums[from + t] for t &lt; s, in order: one channel's sum from its elements' sums. */
    private static double channelSum(double[] sums, int from, int s) {
        double total = 0;
        for (int t = 0; t < s; t++) {
            total += sums[from + t];
        }
        return total;
    }

    /** sums[to + t] += x[at + t] for t &lt; len. */
    private static void addRow(double[] sums, int to, float[] x, int at, int len) {
        int t = 0;
        for (int bound = D.loopBound(len); t < bound; t += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, at + t, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, sums, to + t).add(v).intoArray(sums, to + t);
        }
        for (; t < len; t++) {
            sums[to + t] += x[at + t];
        }
    }

    /** squares[to + t] += (x[at + t] − mean[m0 + t])² for t &lt; len, in double. */
    private static void addSquaredDeviations(double[] squares, int to, float[] x, int at, double[] mean, int m0,
                                             int len) {
        int t = 0;
        for (int bound = D.loopBound(len); t < bound; t += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, at + t, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector d = v.sub(DoubleVector.fromArray(D, mean, m0 + t));
            d.fma(d, DoubleVector.fromArray(D, squares, to + t)).intoArray(squares, to + t);
        }
        for (; t < len; t++) {
            double d = x[at + t] - mean[m0 + t];
            squares[to + t] = Math.fma(d, d, squares[to + t]);
        }
    }

    /**
     * sumDy[to + t] += dy, sumDyCentered[to + t] += dy·(x − mean[m0 + t]) at at + t, for t &lt; len, in
     * double.
     */
    private static void addGradientSums(double[] sumDy, double[] sumDyCentered, int to, float[] dy, float[] x, int at,
                                        float[] mean, int m0, int len) {
        int t = 0;
        for (int bound = D.loopBound(len); t < bound; t += D.length()) {
            DoubleVector g = (DoubleVector) FloatVector.fromArray(F, dy, at + t, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector xi = (DoubleVector) FloatVector.fromArray(F, x, at + t, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector mu = (DoubleVector) FloatVector.fromArray(F, mean, m0 + t, Vectors.LOWER_HALF)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector.fromArray(D, sumDy, to + t).add(g).intoArray(sumDy, to + t);
            g.fma(xi.sub(mu), DoubleVector.fromArray(D, sumDyCentered, to + t)).intoArray(sumDyCentered, to + t);
        }
        for (; t < len; t++) {
            sumDy[to + t] += dy[at + t];
            sumDyCentered[to + t] = Math.fma(dy[at + t], (double) x[at + t] - mean[m0 + t], sumDyCentered[to + t]);
        }
    }
}
