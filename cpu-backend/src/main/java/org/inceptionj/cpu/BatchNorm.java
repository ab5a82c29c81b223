package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * Batch normalization (Ioffe and Szegedy 2015) over channel axis 1 of x [N, C, spatial...]:
 * out = γ[c]·(x − μ[c]) / √(σ²[c] + ε) + β[c], with given statistics (inference) or the batch's
 * own (training). x is seen as N·C planes of S = spatial size elements; plane p has channel p mod C.
 *
 * <p>Both paths normalize a plane as out = (x − μ)·scale + β with scale = γ/√(σ² + ε) computed once
 * per channel in double: the vector kernel does the same three float operations per lane, so the
 * paths agree bit for bit. Training statistics accumulate in double (two passes: the mean, then the
 * squared deviations from it), each channel by one thread in a fixed order.
 */
final class BatchNorm {
    private BatchNorm() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
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
        float[] scale = new float[c];
        for (int ch = 0; ch < c; ch++) {
            scale[ch] = (float) (g[ch] / Math.sqrt((double) v[ch] + eps));
        }
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

    /**
     * With M = N·S values per channel: μ = Σx/M, σ² = Σ(x − μ)²/M (biased), invStd = 1/√(σ² + eps),
     * out = γ·(x − μ)·invStd + β. Overwrites out, saveMean (= μ) and saveInvStd (= invStd), and
     * <b>updates in place</b> runningMean ← (1 − momentum)·runningMean + momentum·μ and
     * runningVar ← (1 − momentum)·runningVar + momentum·σ²·M/(M − 1) (σ² itself when M = 1).
     */
    static void training(CpuBackend cpu, Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                         Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum) {
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
                double variance = squares / m;
                double invStd = 1.0 / Math.sqrt(variance + eps);
                double unbiased = m > 1 ? variance * m / (m - 1) : variance;

                sm[ch] = (float) mu;
                si[ch] = (float) invStd;
                rm[ch] = (float) ((1.0 - momentum) * rm[ch] + momentum * mu);
                rv[ch] = (float) ((1.0 - momentum) * rv[ch] + momentum * unbiased);

                float meanF = (float) mu, scale = (float) (g[ch] * invStd);
                for (int i = 0; i < n; i++) {
                    int from = (i * c + ch) * s;
                    if (vector) {
                        normalizeVector(o, xs, from, s, meanF, scale, b[ch]);
                    } else {
                        normalizePlain(o, xs, from, 0, s, meanF, scale, b[ch]);
                    }
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
}
