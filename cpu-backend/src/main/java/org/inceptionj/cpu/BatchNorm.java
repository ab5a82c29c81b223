package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * Batch normalization (Ioffe and Szegedy 2015), forward and backward, over channel axis 1 of
 * x [N, C, spatial...]: out = γ[c]·(x − μ[c]) / √(σ²[c] + ε) + β[c], with given statistics
 * (inference) or the batch's own (training). x is seen as N·C planes of S = spatial size elements;
 * plane p has channel p mod C.
 *
 * <p>Both paths normalize a plane as out = (x − μ)·scale + β with scale = γ/√(σ² + ε) computed once
 * per channel in double: the vector kernel does the same three float operations per lane, so the
 * paths agree bit for bit. Training statistics accumulate in double (two passes: the mean, then the
 * squared deviations from it), each channel by one thread in a fixed order. The backward (gradient
 * of training mode) follows the same plan: sums in double per channel, then one float formula per
 * element on both paths.
 */
final class BatchNorm {
    private BatchNorm() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Doubles of F's width: half as many lanes, each loaded from F's lower half ({@link Vectors#LOWER_HALF}). */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    /** Elements per parallel chunk below which a loop is not split. */
    private static final int GRAIN = 1 << 15;

    /**
     * out = γ[c]·(x − mean[c]) / √(var[c] + eps) + β[c]. Overwrites out; reads the statistics only.
     */
    static void inference(CpuBackend cpu, Tensor out, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
                          float eps) {
        int n = x.shape().dim(0), c = x.shape().dim(1);
        int s = n * c == 0 ? 0 : x.size() / (n * c);
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x), g = CpuBackend.data(gamma),
                b = CpuBackend.data(beta), mu = CpuBackend.data(mean), v = CpuBackend.data(var);
        float[] scale = scales(g, v, eps);
        boolean vector = cpu.vectorized();
        cpu.parallel().forRange(n * c, Math.max(1, GRAIN / Math.max(1, s)), (lo, hi) -> {
            for (int p = lo; p < hi; p++) {
                int ch = p % c;
                if (vector) {
                    normalizeVector(o, xs, p * s, s, mu[ch], scale[ch], b[ch]);
                } else {
                    normalizePlain(o, xs, p * s, 0, s, mu[ch], scale[ch], b[ch]);
                }
            }
        });
    }

    /** scale[c] = γ[c]/√(var[c] + ε), in double, rounded once (shared with {@link BatchNormEpilogue}). */
    static float[] scales(float[] gamma, float[] var, float eps) {
        float[] scale = new float[gamma.length];
        for (int ch = 0; ch < gamma.length; ch++) {
            scale[ch] = (float) (gamma[ch] / Math.sqrt((double) var[ch] + eps));
        }
        return scale;
    }

    /**
     * With M = N·S values per channel: μ = Σx/M, σ² = Σ(x − μ)²/M (biased), invStd = 1/√(σ² + eps),
     * out = γ·(x − μ)·invStd + β. Overwrites out, saveMean (= μ) and saveInvStd (= invStd), and
     * <b>updates in place</b> runningMean ← (1 − momentum)·runningMean + momentum·μ and
     * runningVar ← (1 − momentum)·runningVar + momentum·σ²·M/(M − 1) (σ² itself when M = 1).
     */
    static void training(CpuBackend cpu, Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                         Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum) {
        training(cpu, out, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, eps, momentum, false);
    }

    /**
     * {@link #training}, and with {@code relu} a ReLU applied to each channel's output right after it is
     * written, while it is still in cache: the bits of the two ops, without a second pass over memory.
     */
    static void training(CpuBackend cpu, Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                         Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum, boolean relu) {
        int n = x.shape().dim(0), c = x.shape().dim(1);
        if (n * c == 0) {
            return;
        }
        int s = x.size() / (n * c);
        long m = (long) n * s;
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x), g = CpuBackend.data(gamma),
                b = CpuBackend.data(beta), sm = CpuBackend.data(saveMean), si = CpuBackend.data(saveInvStd),
                rm = CpuBackend.data(runningMean), rv = CpuBackend.data(runningVar);
        boolean vector = cpu.vectorized();
        if (vector && BatchNormSmallPlanes.applies(s)) {
            BatchNormSmallPlanes.training(cpu.parallel(), o, xs, n, c, s, g, b, sm, si, rm, rv, eps, momentum, relu);
            return;
        }
        if (byImages(cpu, n, c, s)) {
            trainingByImages(cpu, o, xs, n, c, s, g, b, sm, si, rm, rv, eps, momentum, relu);
            return;
        }
        cpu.parallel().forRange(c, Math.max(1, (int) (GRAIN / m)), (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int from = (i * c + ch) * s;
                    sum += vector ? Reduce.sumVector(xs, from, s) : Reduce.sumPlain(xs, from, from + s);
                }
                double mu = sum / m;
                double squares = 0;
                for (int i = 0; i < n; i++) {
                    int from = (i * c + ch) * s;
                    squares += vector ? Reduce.sumSquaredDeviationsVector(xs, from, s, mu)
                            : Reduce.sumSquaredDeviationsPlain(xs, from, from + s, mu);
                }
                double invStd = storeStatistics(ch, mu, squares / m, m, eps, momentum, sm, si, rm, rv);

                float meanF = (float) mu, scale = (float) (g[ch] * invStd);
                for (int i = 0; i < n; i++) {
                    int from = (i * c + ch) * s;
                    if (vector) {
                        normalizeVector(o, xs, from, s, meanF, scale, b[ch]);
                    } else {
                        normalizePlain(o, xs, from, 0, s, meanF, scale, b[ch]);
                    }
                    if (relu) {
                        Elementwise.reluInPlace(o, from, from + s, vector);
                    }
                }
            }
        });
    }

    /**
     * Channel ch's statistics from its mean and (biased) variance over m values: saveMean, saveInvStd and
     * the running averages (the variance's unbiased, σ²·m/(m − 1), or σ² itself when m = 1). Returns
     * invStd = 1/√(σ² + eps), in double.
     */
    static double storeStatistics(int ch, double mu, double variance, long m, float eps, float momentum,
                                  float[] saveMean, float[] saveInvStd, float[] runningMean, float[] runningVar) {
        double invStd = 1.0 / Math.sqrt(variance + eps);
        double unbiased = m > 1 ? variance * m / (m - 1) : variance;
        saveMean[ch] = (float) mu;
        saveInvStd[ch] = (float) invStd;
        runningMean[ch] = (float) ((1.0 - momentum) * runningMean[ch] + momentum * mu);
        runningVar[ch] = (float) ((1.0 - momentum) * runningVar[ch] + momentum * unbiased);
        return invStd;
    }

    /** Elements of a tensor up to which {@link #byImages} splits it by images: 8 MB. */
    static final int BY_IMAGES_MAX = 1 << 21;

    /**
     * Whether a training forward or backward is split by images rather than by channels: with at
     * least one image per thread and a tensor of at most {@link #BY_IMAGES_MAX} elements. Why: the
     * convolutions around a batch norm split the batch, so each core holds its images in its own
     * cache; split by channels, each thread reads half of its channels' planes from the other core's
     * cache, strided from image to image. Measured on two threads, in one process: the default run's
     * 16 × 7 × 7 layers (batch 64) ran slower on two threads than on one, and 2.4–2.9× faster split by
     * images, its 16 × 35 × 35 layers (5 MB) 1.65× faster, its step 4.6% and then another 5.7%; at
     * 299 × 299, batch 8, the 17 × 17 and 35 × 35 layers' batch norm 1.5–2.2× faster, the step 0–2.3%.
     * Larger tensors (the 73 × 73 and 147 × 147 layers) ran slower split by images (0.74–0.86×): there
     * a channel split keeps each channel's planes in cache between its passes. The sums are the same
     * either way: each plane's sum, added over the images in order, per channel, so the split never
     * changes a bit.
     */
    static boolean byImages(CpuBackend cpu, int n, int c, int s) {
        int threads = cpu.parallel().threads();
        return threads > 1 && n >= threads && (long) n * c * s <= BY_IMAGES_MAX;
    }

    /**
     * {@link #training} split by images: per plane sums (in parallel, each thread its images), the
     * channel's sum of them in image order (as the channel split adds them), then likewise the squared
     * deviations, then each thread normalizes its images.
     */
    private static void trainingByImages(CpuBackend cpu, float[] o, float[] xs, int n, int c, int s, float[] g,
                                         float[] b, float[] sm, float[] si, float[] rm, float[] rv, float eps,
                                         float momentum, boolean relu) {
        boolean vector = cpu.vectorized();
        long m = (long) n * s;
        double[] planes = new double[n * c], mu = new double[c];
        cpu.parallel().forRange(n, 1, (lo, hi) -> {
            for (int p = lo * c; p < hi * c; p++) {
                planes[p] = vector ? Reduce.sumVector(xs, p * s, s) : Reduce.sumPlain(xs, p * s, p * s + s);
            }
        });
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += planes[i * c + ch];
            }
            mu[ch] = sum / m;
        }
        cpu.parallel().forRange(n, 1, (lo, hi) -> {
            for (int p = lo * c; p < hi * c; p++) {
                double mean = mu[p % c];
                planes[p] = vector ? Reduce.sumSquaredDeviationsVector(xs, p * s, s, mean)
                        : Reduce.sumSquaredDeviationsPlain(xs, p * s, p * s + s, mean);
            }
        });
        float[] meanF = new float[c], scale = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double squares = 0;
            for (int i = 0; i < n; i++) {
                squares += planes[i * c + ch];
            }
            double invStd = storeStatistics(ch, mu[ch], squares / m, m, eps, momentum, sm, si, rm, rv);
            meanF[ch] = (float) mu[ch];
            scale[ch] = (float) (g[ch] * invStd);
        }
        cpu.parallel().forRange(n, 1, (lo, hi) -> {
            for (int p = lo * c; p < hi * c; p++) {
                int ch = p % c, from = p * s;
                if (vector) {
                    normalizeVector(o, xs, from, s, meanF[ch], scale[ch], b[ch]);
                } else {
                    normalizePlain(o, xs, from, 0, s, meanF[ch], scale[ch], b[ch]);
                }
                if (relu) {
                    Elementwise.reluInPlace(o, from, from + s, vector);
                }
            }
        });
    }

    /** out[at + i] = (x[at + i] − mean)·scale + beta for i in [lo, hi). */
    private static void normalizePlain(float[] out, float[] x, int at, int lo, int hi, float mean, float scale,
                                       float beta) {
        for (int i = lo; i < hi; i++) {
            out[at + i] = (x[at + i] - mean) * scale + beta;
        }
    }

    private static void normalizeVector(float[] out, float[] x, int at, int length, float mean, float scale,
                                        float beta) {
        FloatVector mu = FloatVector.broadcast(F, mean), sc = FloatVector.broadcast(F, scale),
                be = FloatVector.broadcast(F, beta);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, at + i).sub(mu).mul(sc).add(be).intoArray(out, at + i);
        }
        normalizePlain(out, x, at, i, length, mean, scale, beta);
    }

    // ================================================================ backward

    /**
     * Gradient of {@link #training}, per channel over its M = N·S values, with
     * x̂ = (x − saveMean)·saveInvStd:
     * <pre>
     *   dβ = Σ dy,   dγ = Σ dy·x̂,   dx = γ·invStd/M · (M·dy − dβ − x̂·dγ)
     * </pre>
     * Overwrites dx, dgamma and dbeta (0 for a channel without values). Each channel is one thread's:
     * one pass sums Σ dy and Σ dy·(x − μ) in double (dγ = invStd·Σ dy·(x − μ)); a second writes
     * dx = ((dy − dβ/M) − (x − μ)·(invStd·dγ/M))·(γ·invStd), the three per-channel factors computed
     * once in double. The vector kernel does the same float operations per lane, so the paths differ
     * only in the order of the sums.
     */
    static void backward(CpuBackend cpu, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x,
                         Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        backward(cpu, dx, dgamma, dbeta, dy, null, x, gamma, saveMean, saveInvStd);
    }

    /**
     * {@link #backward}, for a batch norm followed by a ReLU whose output is y (or null for none): each
     * channel's dy·[y &gt; 0] is written into its planes of dx first ({@link Elementwise#reluMask}, the
     * bits of reluBackward) and the passes below read it from there, just written (in cache where a
     * channel's planes fit); the last pass overwrites it element by element (each element read before
     * it is written). So there is no separate pass over the whole gradient, and the bits are those of
     * the two ops.
     */
    static void backward(CpuBackend cpu, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y, Tensor x,
                         Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        float[] d = CpuBackend.data(dx), dg = CpuBackend.data(dgamma), db = CpuBackend.data(dbeta),
                xs = CpuBackend.data(x), ga = CpuBackend.data(gamma),
                mu = CpuBackend.data(saveMean), is = CpuBackend.data(saveInvStd);
        float[] upstream = CpuBackend.read(dy), ys = y == null ? null : CpuBackend.read(y);
        // With a ReLU the gradient read below is the masked one, in dx.
        float[] g = ys == null ? upstream : d;
        int n = x.shape().dim(0), c = x.shape().dim(1);
        if (xs.length == 0) {
            Arrays.fill(dg, 0f); // empty sums
            Arrays.fill(db, 0f);
            return;
        }
        int s = xs.length / (n * c);
        long m = (long) n * s;
        boolean vector = cpu.vectorized();
        if (vector && BatchNormSmallPlanes.applies(s)) {
            BatchNormSmallPlanes.backward(cpu.parallel(), d, dg, db, g, upstream, ys, xs, n, c, s, ga, mu, is);
            return;
        }
        if (byImages(cpu, n, c, s)) {
            backwardByImages(cpu, d, dg, db, upstream, ys, g, xs, n, c, s, ga, mu, is);
            return;
        }
        cpu.parallel().forRange(c, Math.max(1, (int) (GRAIN / m)), (lo, hi) -> {
            double[] sums = new double[2];
            for (int ch = lo; ch < hi; ch++) {
                if (ys != null) {   // this channel's planes, just before the passes that read them
                    for (int i = 0; i < n; i++) {
                        int from = (i * c + ch) * s;
                        Elementwise.reluMask(d, upstream, ys, from, from + s, vector);
                    }
                }
                double sumDy = 0, sumDyCentered = 0;
                for (int i = 0; i < n; i++) {
                    int from = (i * c + ch) * s;
                    if (vector) {
                        gradientSumsVector(sums, g, xs, from, s, mu[ch]);
                    } else {
                        gradientSumsPlain(sums, g, xs, from, from + s, mu[ch]);
                    }
                    sumDy += sums[0];
                    sumDyCentered += sums[1];
                }
                double invStd = is[ch], dBeta = sumDy, dGamma = invStd * sumDyCentered;
                db[ch] = (float) dBeta;
                dg[ch] = (float) dGamma;

                float shift = (float) (dBeta / m), slope = (float) (invStd * dGamma / m),
                        scale = (float) (ga[ch] * invStd);
                for (int i = 0; i < n; i++) {
                    int from = (i * c + ch) * s;
                    if (vector) {
                        inputGradientVector(d, g, xs, from, s, mu[ch], shift, slope, scale);
                    } else {
                        inputGradientPlain(d, g, xs, from, 0, s, mu[ch], shift, slope, scale);
                    }
                }
            }
        });
    }

    /**
     * {@link #backward} split by images (see {@link #byImages}): each thread masks its planes of the
     * gradient and sums them plane by plane; each channel adds its planes' sums in image order (as the
     * channel split does); then each thread writes its planes of dx.
     */
    private static void backwardByImages(CpuBackend cpu, float[] d, float[] dg, float[] db, float[] upstream,
                                         float[] ys, float[] g, float[] xs, int n, int c, int s, float[] ga,
                                         float[] mu, float[] is) {
        boolean vector = cpu.vectorized();
        long m = (long) n * s;
        double[] planes = new double[2 * n * c];
        cpu.parallel().forRange(n, 1, (lo, hi) -> {
            double[] sums = new double[2];
            for (int p = lo * c; p < hi * c; p++) {
                int ch = p % c, from = p * s;
                if (ys != null) {
                    Elementwise.reluMask(d, upstream, ys, from, from + s, vector);
                }
                if (vector) {
                    gradientSumsVector(sums, g, xs, from, s, mu[ch]);
                } else {
                    gradientSumsPlain(sums, g, xs, from, from + s, mu[ch]);
                }
                planes[2 * p] = sums[0];
                planes[2 * p + 1] = sums[1];
            }
        });
        float[] shift = new float[c], slope = new float[c], scale = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sumDy = 0, sumDyCentered = 0;
            for (int i = 0; i < n; i++) {
                sumDy += planes[2 * (i * c + ch)];
                sumDyCentered += planes[2 * (i * c + ch) + 1];
            }
            double invStd = is[ch], dBeta = sumDy, dGamma = invStd * sumDyCentered;
            db[ch] = (float) dBeta;
            dg[ch] = (float) dGamma;
            shift[ch] = (float) (dBeta / m);
            slope[ch] = (float) (invStd * dGamma / m);
            scale[ch] = (float) (ga[ch] * invStd);
        }
        cpu.parallel().forRange(n, 1, (lo, hi) -> {
            for (int p = lo * c; p < hi * c; p++) {
                int ch = p % c, from = p * s;
                if (vector) {
                    inputGradientVector(d, g, xs, from, s, mu[ch], shift[ch], slope[ch], scale[ch]);
                } else {
                    inputGradientPlain(d, g, xs, from, 0, s, mu[ch], shift[ch], slope[ch], scale[ch]);
                }
            }
        });
    }

    /** sums = {Σ dy[i], Σ dy[i]·(x[i] − mean)} for i in [from, to), in double, in order. */
    private static void gradientSumsPlain(double[] sums, float[] dy, float[] x, int from, int to, float mean) {
        double sumDy = 0, sumDyCentered = 0;
        for (int i = from; i < to; i++) {
            sumDy += dy[i];
            sumDyCentered += dy[i] * ((double) x[i] - mean);
        }
        sums[0] = sumDy;
        sums[1] = sumDyCentered;
    }

    /** The same over [from, from + length): each double lane sums its share, the lanes added in order. */
    private static void gradientSumsVector(double[] sums, float[] dy, float[] x, int from, int length, float mean) {
        DoubleVector sumDy = DoubleVector.zero(D), sumDyCentered = DoubleVector.zero(D);
        DoubleVector mu = DoubleVector.broadcast(D, mean);
        int i = 0;
        for (int bound = D.loopBound(length); i < bound; i += D.length()) {
            // widened in place, not through a helper of ours (see Vectors)
            DoubleVector g = (DoubleVector) FloatVector.fromArray(F, dy, from + i, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector xi = (DoubleVector) FloatVector.fromArray(F, x, from + i, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            sumDy = sumDy.add(g);
            sumDyCentered = g.fma(xi.sub(mu), sumDyCentered);
        }
        gradientSumsPlain(sums, dy, x, from + i, from + length, mean);
        // reduceLanes(ADD) leaves the order open, which would cost determinism: add the lanes in order.
        for (int lane = 0; lane < D.length(); lane++) {
            sums[0] += sumDy.lane(lane); // lane(i), not toArray(): no array per call
            sums[1] += sumDyCentered.lane(lane);
        }
    }


    /** dx[at + i] = ((dy − shift) − (x − mean)·slope)·scale at at + i, for i in [lo, hi). */
    private static void inputGradientPlain(float[] dx, float[] dy, float[] x, int at, int lo, int hi, float mean,
                                           float shift, float slope, float scale) {
        for (int i = lo; i < hi; i++) {
            dx[at + i] = ((dy[at + i] - shift) - (x[at + i] - mean) * slope) * scale;
        }
    }

    private static void inputGradientVector(float[] dx, float[] dy, float[] x, int at, int length, float mean,
                                            float shift, float slope, float scale) {
        FloatVector mu = FloatVector.broadcast(F, mean), sh = FloatVector.broadcast(F, shift),
                sl = FloatVector.broadcast(F, slope), sc = FloatVector.broadcast(F, scale);
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector centered = FloatVector.fromArray(F, x, at + i).sub(mu);
            FloatVector.fromArray(F, dy, at + i).sub(sh).sub(centered.mul(sl)).mul(sc).intoArray(dx, at + i);
        }
        inputGradientPlain(dx, dy, x, at, i, length, mean, shift, slope, scale);
    }
}
