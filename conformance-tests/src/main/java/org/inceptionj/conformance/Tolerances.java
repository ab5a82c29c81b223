package org.inceptionj.conformance;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.MatMulReference;
import org.inceptionj.conformance.reference.OptimizerReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.RandomReference;
import org.inceptionj.conformance.reference.ReduceReference;

/**
 * How far a float32 backend may be from the double-precision references: one tolerance per output
 * element, |backend − reference| ≤ tol. Each bound is a first-order rounding-error bound of the
 * op's formula in float32 (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>, ch. 2–4)
 * <b>times {@value #SAFETY}</b>, stated in the magnitudes of the terms (never in the result alone,
 * which can cancel to 0). A bound holds for any summation order — sequential, blocked, pairwise,
 * with or without FMA — so a correct backend never fails it, while a wrong index, a missing term or
 * a wrong divisor is off by the size of a term and fails by orders of magnitude.
 *
 * <p>u is the unit roundoff of float32, 2⁻²⁴ ≈ 6·10⁻⁸ (half an ulp at 1.0), and uDot that of the
 * products and sums inside matmul and conv2d (also 2⁻²⁴ by default; a backend that runs them in
 * TF32 or with Winograd transforms states its own, see {@link #Tolerances(double, double)}).
 * Every tolerance also includes {@link #FLOOR} = 2⁻¹²⁶, the smallest normal float, so that results
 * flushed to zero or left subnormal are not errors. Infinite references must be matched exactly;
 * a backend's ±∞ against a finite reference counts as ±2¹²⁸ (the first value past the float range).
 *
 * <table>
 *   <caption>Per-op tolerances (b = first-order bound; tol = {@value #SAFETY}·b + FLOOR)</caption>
 *   <tr><th>op</th><th>b</th><th>why</th></tr>
 *   <tr><td>copy, reshape, concat, slice, fill, clip, max pool, reduce MAX, unary NEG/ABS/RELU,
 *       binary MAX/MIN</td><td>0</td><td>exact: data movement and comparisons round nothing</td></tr>
 *   <tr><td>unary SQUARE, SQRT, RECIPROCAL; binary ADD, SUB, MUL</td><td>u·|ref|</td>
 *       <td>one IEEE operation on exact float inputs: one rounding</td></tr>
 *   <tr><td>binary DIV</td><td>2u·|ref|</td><td>one rounding, or a reciprocal then a product</td></tr>
 *   <tr><td>unary EXP, LOG</td><td>8u·|ref|</td><td>libm / SVML / CUDA expf, logf are within 1–2 ulp
 *       (= 2u–4u relative); 8u leaves room for a vectorized polynomial</td></tr>
 *   <tr><td>affine</td><td>2u·(|α·x| + |β|)</td><td>a product and a sum, or one FMA</td></tr>
 *   <tr><td>reduce SUM</td><td>(K + 1)·u·Σ|x|</td><td>any order of summing K values errs by at most
 *       γ_{K−1}·Σ|x| ≈ (K − 1)·u·Σ|x| (Higham §4.2)</td></tr>
 *   <tr><td>reduce MEAN, global average pool</td><td>(K + 2)·u·Σ|x|/K</td><td>the sum, then one division</td></tr>
 *   <tr><td>matmul</td><td>(K + 1)·uDot·Σ_k |a_ik|·|b_kj|</td><td>dot product of length K: γ_K·Σ|a||b|
 *       (Higham §3.1), any order</td></tr>
 *   <tr><td>conv2d</td><td>(K + 2)·uDot·(Σ|x|·|w| + |bias|), K = Cin·kh·kw</td>
 *       <td>a dot product of length K (im2col, direct or blocked) plus the bias</td></tr>
 *   <tr><td>avg pool</td><td>(K + 2)·u·Σ|x|/divisor, K = window positions</td><td>a sum then a division</td></tr>
 *   <tr><td>batch norm inference</td><td>6u·(|γ|·(|x| + |μ|)/√(v + ε) + |β|)</td>
 *       <td>about six roundings, in terms of the magnitudes of x·scale, μ·scale and β, so that the
 *       usual refactoring x·scale + shift (which cancels) passes</td></tr>
 *   <tr><td>batch norm training</td><td>see {@link #batchNormTraining}</td><td>mean and variance are
 *       sums of M values; the variance bound also covers the one-pass E[x²] − μ²</td></tr>
 *   <tr><td>softmax</td><td>u·(2R + K + 17)·ref, R = max over the line of |x − max|</td>
 *       <td>x − max rounds (relative error u·R in exp), exp 8u, the sum K·u, the division u</td></tr>
 *   <tr><td>log-softmax</td><td>u·(|x − max| + R + K + 8 + 8·|log Σ| + |ref|)</td>
 *       <td>the same terms, absolute, through log</td></tr>
 *   <tr><td>fillRandom</td><td>3u·(|a| + |b − a|·U) or 2u·(|a| + |b·z|)</td><td>the standard variate is
 *       exact (defined by {@link RandomStream}); mapping it to (a, b) rounds three times (b − a, the
 *       product, the sum) or twice</td></tr>
 *   <tr><td>dropout</td><td>mask 2u·|ref|, out 3u·|ref|; zeros exact</td><td>1/(1 − p) rounds twice,
 *       x·mask once more; which elements drop is a float comparison and must match exactly</td></tr>
 *   <tr><td>sumOfSquares</td><td>(K + 2)·u·Σx², K elements</td><td>a sum of K squares, any order</td></tr>
 *   <tr><td>axpy</td><td>2u·(|y| + |α·x|)</td><td>a product and a sum, or one FMA</td></tr>
 *   <tr><td>momentumUpdate, rmsPropUpdate, adamUpdate, emaUpdate</td><td>see {@link #momentum},
 *       {@link #rmsProp}, {@link #adam}, {@link #ema}</td><td>a few roundings per element, bounded in
 *       the magnitudes of the terms; a skipped step (a scale that is not finite) is exact</td></tr>
 * </table>
 *
 * <p>When the suite also compares a backend with an oracle backend (both float32), the same
 * tolerance is used for |backend − oracle|: both are within it of the exact result, and since
 * rounding errors of real kernels are far below these worst-case bounds (≈ √K·u rather than K·u),
 * two correct backends agree much more closely than twice the bound.
 */
public final class Tolerances {
    /** Unit roundoff of float32: 2⁻²⁴. */
    public static final double U32 = 0x1.0p-24;
    /** Unit roundoff of TF32 (10-bit mantissa), for a backend whose matmul/conv use tensor cores: 2⁻¹¹. */
    public static final double U_TF32 = 0x1.0p-11;
    /** Factor between the first-order bound and the tolerance: second-order terms and slack. */
    public static final double SAFETY = 2.0;
    /** Added to every tolerance: the smallest normal float, 2⁻¹²⁶ (flush-to-zero is not an error). */
    public static final double FLOOR = 0x1.0p-126;

    /** Plain float32 everywhere: what the CPU backend must meet. */
    public static final Tolerances FLOAT32 = new Tolerances(U32, U32);

    private final double u;
    private final double uDot;

    /**
     * @param unitRoundoff    u for elementwise ops, reductions, pooling, normalization, softmax
     * @param dotUnitRoundoff uDot for the products and sums of matmul and conv2d (e.g.
     *                        {@link #U_TF32} for tensor cores; a Winograd conv needs a few times u)
     */
    public Tolerances(double unitRoundoff, double dotUnitRoundoff) {
        if (!(unitRoundoff > 0) || !(dotUnitRoundoff > 0)) {
            throw new IllegalArgumentException("Tolerances: unit roundoffs must be > 0, got " + unitRoundoff
                    + ", " + dotUnitRoundoff);
        }
        this.u = unitRoundoff;
        this.uDot = dotUnitRoundoff;
    }

    public double unitRoundoff() {
        return u;
    }

    public double dotUnitRoundoff() {
        return uDot;
    }

    @Override
    public String toString() {
        return "Tolerances(u=" + u + ", uDot=" + uDot + ")";
    }

    // ---------------------------------------------------------------- helpers

    /** tol = SAFETY·b + FLOOR. */
    private static double tol(double bound) {
        return SAFETY * bound + FLOOR;
    }

    /** Every element exact (up to {@link #FLOOR}). */
    public DTensor exact(Shape shape) {
        return DTensor.full(shape, FLOOR);
    }

    /** tol[i] = SAFETY·(ulps·u·|ref[i]|) + FLOOR. */
    private DTensor relative(DTensor ref, double units) {
        DTensor t = DTensor.zeros(ref.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol(units * u * Math.abs(ref.data()[i]));
        }
        return t;
    }

    // ---------------------------------------------------------------- elementwise

    /** unary: NEG, ABS, RELU exact; SQUARE, SQRT, RECIPROCAL u·|ref|; EXP, LOG 8u·|ref|. */
    public DTensor unary(UnaryOp op, DTensor ref) {
        return switch (op) {
            case NEG, ABS, RELU -> exact(ref.shape());
            case SQUARE, SQRT, RECIPROCAL -> relative(ref, 1);
            case EXP, LOG -> relative(ref, 8);
        };
    }

    /** binary: MAX, MIN exact; ADD, SUB, MUL u·|ref|; DIV 2u·|ref|. */
    public DTensor binary(BinaryOp op, DTensor ref) {
        return switch (op) {
            case MAX, MIN -> exact(ref.shape());
            case ADD, SUB, MUL -> relative(ref, 1);
            case DIV -> relative(ref, 2);
        };
    }

    /** affine: 2u·(|α·x| + |β|). */
    public DTensor affine(DTensor x, double alpha, double beta) {
        DTensor t = DTensor.zeros(x.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol(2 * u * (Math.abs(alpha * x.data()[i]) + Math.abs(beta)));
        }
        return t;
    }

    // ---------------------------------------------------------------- reductions

    /** reduce: MAX exact; SUM (K + 1)·u·Σ|x|; MEAN (K + 2)·u·Σ|x|/K, K = reduced count. */
    public DTensor reduce(ReduceOp op, DTensor x, boolean[] reduceAxis, boolean keepDims) {
        DTensor absSum = ReduceReference.reduce(op == ReduceOp.MAX ? ReduceOp.SUM : op, x.abs(), reduceAxis, keepDims);
        if (op == ReduceOp.MAX) {
            return exact(absSum.shape());
        }
        int k = ReduceReference.reducedCount(x.shape(), reduceAxis);
        double units = op == ReduceOp.SUM ? k + 1 : k + 2;
        DTensor t = DTensor.zeros(absSum.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol(units * u * absSum.data()[i]);
        }
        return t;
    }

    // ---------------------------------------------------------------- linear algebra

    /** matmul: (K + 1)·uDot·(|op(a)|·|op(b)|)[i,j]. */
    public DTensor matmul(DTensor a, DTensor b, boolean transA, boolean transB) {
        int k = transA ? a.shape().dim(0) : a.shape().dim(1);
        DTensor mag = MatMulReference.matmul(a.abs(), b.abs(), transA, transB);
        DTensor t = DTensor.zeros(mag.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol((k + 1) * uDot * mag.data()[i]);
        }
        return t;
    }

    /** conv2d: (K + 2)·uDot·conv2d(|x|, |w|, |bias|), K = Cin·kh·kw. */
    public DTensor conv2d(DTensor x, DTensor w, DTensor bias, Conv2dSpec spec) {
        int k = w.shape().dim(1) * w.shape().dim(2) * w.shape().dim(3);
        DTensor mag = Conv2dReference.forward(x.abs(), w.abs(), bias == null ? null : bias.abs(), spec);
        DTensor t = DTensor.zeros(mag.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol((k + 2) * uDot * mag.data()[i]);
        }
        return t;
    }

    /**
     * The inference block conv → batch norm → ReLU or not: the convolution's error carried through the
     * normalization, |γ|/√(v + ε)·tol_conv2d, plus batch norm's own tolerance at the convolution's largest
     * possible magnitude conv2d(|x|, |w|). ReLU moves no value closer to or further from another.
     */
    public DTensor conv2dBatchNormInference(DTensor x, DTensor w, Conv2dSpec spec, DTensor gamma, DTensor beta,
                                            DTensor mean, DTensor var, double eps) {
        DTensor conv = conv2d(x, w, null, spec);
        DTensor norm = batchNormInference(Conv2dReference.forward(x.abs(), w.abs(), null, spec), gamma, beta, mean,
                var, eps);
        int c = conv.shape().dim(1), inner = conv.shape().sizeBetween(2, conv.shape().rank());
        DTensor t = DTensor.zeros(conv.shape());
        for (int i = 0; i < t.size(); i++) {
            int ch = (i / inner) % c;
            double scale = Math.abs(gamma.data()[ch]) / Math.sqrt(var.data()[ch] + eps);
            t.data()[i] = scale * conv.data()[i] + norm.data()[i];
        }
        return t;
    }

    /**
     * An average pool and then the inference block ({@code avgPool2dConv2dBatchNormInference}), in either order
     * (an average and a 1×1 commute): both orders' rounding is within (K + 2)·uDot + (k + 2)·u of
     * conv2d(avgPool(|x|), |w|), K = Cin·kh·kw products, k = the pool's cells; carried through the normalization
     * as in {@link #conv2dBatchNormInference}.
     */
    public DTensor avgPool2dConv2dBatchNormInference(DTensor x, Pool2dSpec pool, DTensor w, Conv2dSpec spec,
                                                     DTensor gamma, DTensor beta, DTensor mean, DTensor var,
                                                     double eps) {
        int big = w.shape().dim(1) * w.shape().dim(2) * w.shape().dim(3), cells = pool.kernelH() * pool.kernelW();
        DTensor mag = Conv2dReference.forward(PoolingReference.average(x.abs(), pool), w.abs(), null, spec);
        DTensor norm = batchNormInference(mag, gamma, beta, mean, var, eps);
        int c = mag.shape().dim(1), inner = mag.shape().sizeBetween(2, mag.shape().rank());
        DTensor t = DTensor.zeros(mag.shape());
        for (int i = 0; i < t.size(); i++) {
            int ch = (i / inner) % c;
            double scale = Math.abs(gamma.data()[ch]) / Math.sqrt(var.data()[ch] + eps);
            t.data()[i] = scale * tol(((big + 2) * uDot + (cells + 2) * u) * mag.data()[i]) + norm.data()[i];
        }
        return t;
    }

    // ---------------------------------------------------------------- pooling

    /** max pool: exact. */
    public DTensor maxPool2d(Shape x, Pool2dSpec spec) {
        return exact(PoolingReference.outShape(x, spec));
    }

    /** avg pool: (K + 2)·u·Σ|x|/divisor = (K + 2)·u·avgPool(|x|), K = kh·kw positions. */
    public DTensor avgPool2d(DTensor x, Pool2dSpec spec) {
        int k = spec.kernelH() * spec.kernelW();
        DTensor mag = PoolingReference.average(x.abs(), spec);
        DTensor t = DTensor.zeros(mag.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol((k + 2) * u * mag.data()[i]);
        }
        return t;
    }

    // ---------------------------------------------------------------- normalization

    /**
     * batch norm inference: 6u·(|γ|·(|x| + |μ|)/√(v + ε) + |β|). Computed as scale = γ/√(v + ε)
     * (relative error 2.5u), shift = β − μ·scale, out = x·scale + shift, the error is at most
     * 4.5u·|x·scale| + 5.5u·|μ·scale| + 2u·|β|; the direct formula does better.
     */
    public DTensor batchNormInference(DTensor x, DTensor gamma, DTensor beta, DTensor mean, DTensor var, double eps) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        DTensor t = DTensor.zeros(x.shape());
        for (int i = 0; i < t.size(); i++) {
            int ch = (i / inner) % c;
            double scale = Math.abs(gamma.data()[ch]) / Math.sqrt(var.data()[ch] + eps);
            t.data()[i] = tol(6 * u * (scale * (Math.abs(x.data()[i]) + Math.abs(mean.data()[ch]))
                    + Math.abs(beta.data()[ch])));
        }
        return t;
    }

    /** Tolerances of the five outputs of training-mode batch norm. */
    public record BatchNormTraining(DTensor out, DTensor mean, DTensor invStd, DTensor runningMean,
                                    DTensor runningVar) {
    }

    /**
     * Training batch norm, per channel with M values x, reference μ, σ², invStd (first-order bounds b;
     * each tol = SAFETY·b + FLOOR):
     * <ul>
     *   <li>b_μ = (M + 1)·u·mean|x| (a sum of M values, one division);</li>
     *   <li>b_σ² = (M + 3)·u·mean(x²) + 2|μ|·b_μ: bounds the two-pass Σ(x − μ̂)²/M and also the
     *       one-pass E[x²] − μ², whose error is relative to mean(x²) = σ² + μ², not σ²;</li>
     *   <li>invStd: relative ½·b_σ²/(σ² + ε) + 4u (add, sqrt, divide or an approximate rsqrt);</li>
     *   <li>out: |γ|·invStd·(b_μ + |x − μ|·(rel(invStd) + 3u) + 4u·(|x| + |μ|)) + 2u·|β|: the direct
 *       formula, plus the cancellation of the refactored x·scale + (β − μ·scale);</li>
     *   <li>runningMean': momentum·b_μ + 3u·(|(1 − m)·rm| + |m·μ|);</li>
     *   <li>runningVar': momentum·M/(M − 1)·b_σ² + 4u·(|(1 − m)·rv| + |m·σ²·M/(M − 1)|).</li>
     * </ul>
     */
    public BatchNormTraining batchNormTraining(DTensor x, DTensor gamma, DTensor beta, DTensor runningMean,
                                               DTensor runningVar, double eps, double momentum,
                                               BatchNormReference.Training ref) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        int m = x.size() / c;
        double[] meanAbs = new double[c], meanSq = new double[c];
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            meanAbs[ch] += Math.abs(x.data()[i]) / m;
            meanSq[ch] += x.data()[i] * x.data()[i] / m;
        }
        Shape cs = Shape.of(c);
        DTensor tMean = DTensor.zeros(cs), tInv = DTensor.zeros(cs), tRm = DTensor.zeros(cs), tRv = DTensor.zeros(cs);
        double[] bMu = new double[c], relInv = new double[c];
        double unbiasedFactor = m > 1 ? (double) m / (m - 1) : 1.0;
        for (int ch = 0; ch < c; ch++) {
            double mu = ref.mean().data()[ch], var = ref.variance().data()[ch];
            bMu[ch] = (m + 1) * u * meanAbs[ch];
            double bVar = (m + 3) * u * meanSq[ch] + 2 * Math.abs(mu) * bMu[ch];
            relInv[ch] = 0.5 * bVar / (var + eps) + 4 * u;
            tMean.data()[ch] = tol(bMu[ch]);
            tInv.data()[ch] = tol(ref.invStd().data()[ch] * relInv[ch]);
            tRm.data()[ch] = tol(momentum * bMu[ch]
                    + 3 * u * (Math.abs((1 - momentum) * runningMean.data()[ch]) + Math.abs(momentum * mu)));
            tRv.data()[ch] = tol(momentum * unbiasedFactor * bVar
                    + 4 * u * (Math.abs((1 - momentum) * runningVar.data()[ch])
                    + Math.abs(momentum * var * unbiasedFactor)));
        }
        DTensor tOut = DTensor.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double inv = ref.invStd().data()[ch];
            double centered = Math.abs(x.data()[i] - ref.mean().data()[ch]);
            double refactored = 4 * u * (Math.abs(x.data()[i]) + Math.abs(ref.mean().data()[ch]));
            tOut.data()[i] = tol(Math.abs(gamma.data()[ch]) * inv
                    * (bMu[ch] + centered * (relInv[ch] + 3 * u) + refactored) + 2 * u * Math.abs(beta.data()[ch]));
        }
        return new BatchNormTraining(tOut, tMean, tInv, tRm, tRv);
    }

    // ---------------------------------------------------------------- softmax

    /**
     * softmax: u·(2R + K + 17)·|ref|; log-softmax: u·(|x − max| + R + K + 8 + 8·|log Σ| + |ref|),
     * where K is the length of the line and R = max over the line of |x − max|.
     */
    public DTensor softmax(DTensor x, int axis, boolean log, DTensor ref) {
        int n = x.shape().dim(axis);
        int inner = x.shape().sizeBetween(axis + 1, x.shape().rank());
        int outer = x.shape().sizeBetween(0, axis);
        DTensor t = DTensor.zeros(x.shape());
        double[] in = x.data();
        for (int a = 0; a < outer; a++) {
            for (int b = 0; b < inner; b++) {
                int base = a * n * inner + b;
                double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY, sum = 0;
                for (int k = 0; k < n; k++) {
                    max = Math.max(max, in[base + k * inner]);
                    min = Math.min(min, in[base + k * inner]);
                }
                for (int k = 0; k < n; k++) {
                    sum += Math.exp(in[base + k * inner] - max);
                }
                double range = max - min;
                for (int k = 0; k < n; k++) {
                    int i = base + k * inner;
                    double r = Math.abs(ref.data()[i]);
                    t.data()[i] = log
                            ? tol(u * ((max - in[i]) + range + n + 8 + 8 * Math.abs(Math.log(sum)) + r))
                            : tol(u * (2 * range + n + 17) * r);
                }
            }
        }
        return t;
    }

    // ---------------------------------------------------------------- random

    /** fillRandom: 3u·(|a| + |b − a|·U) (uniform) or 2u·(|a| + |b·z|) (normal, truncated normal). */
    public DTensor fillRandom(Shape shape, RandomStream.Distribution d, long seed, double a, double b) {
        DTensor t = DTensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            double z = RandomReference.standardVariate(d, seed, i);
            boolean uniform = d == RandomStream.Distribution.UNIFORM;
            double spread = uniform ? Math.abs(b - a) * z : Math.abs(b * z);
            t.data()[i] = tol((uniform ? 3 : 2) * u * (Math.abs(a) + spread));
        }
        return t;
    }

    /** dropout: mask 2u·|ref| (0 exactly where dropped), out 3u·|ref|. */
    public RandomReference.Dropout dropout(RandomReference.Dropout ref) {
        return new RandomReference.Dropout(relative(ref.out(), 3), relative(ref.mask(), 2));
    }

    // ---------------------------------------------------------------- optimizer primitives

    /** sumOfSquares: (K_i + 2)·u·Σ x_i² for output i, K_i the element count of tensor i. */
    public DTensor sumOfSquares(DTensor[] xs) {
        DTensor ref = OptimizerReference.sumOfSquares(xs);
        DTensor t = DTensor.zeros(ref.shape());
        for (int i = 0; i < xs.length; i++) {
            t.data()[i] = tol((xs[i].size() + 2) * u * ref.data()[i]);
        }
        return t;
    }

    /** axpy: 2u·(|y| + |α·x|). */
    public DTensor[] axpy(DTensor[] y, double alpha, DTensor[] x) {
        DTensor[] t = new DTensor[y.length];
        for (int i = 0; i < y.length; i++) {
            t[i] = DTensor.zeros(y[i].shape());
            for (int j = 0; j < t[i].size(); j++) {
                t[i].data()[j] = tol(2 * u * (Math.abs(y[i].data()[j]) + Math.abs(alpha * x[i].data()[j])));
            }
        }
        return t;
    }

    /**
     * momentumUpdate, with G = |s·grad| and A = |μ·acc| + G: acc' 2u·A (g = s·grad, μ·acc and the sum
     * each round); θ' heavy ball u·|θ| + 4u·lr·A; Nesterov u·|θ| + 6u·lr·(μ·A + G). Exact when skipped.
     */
    public OptimizerReference.Momentum momentum(DTensor[] theta, DTensor[] acc, DTensor[] grad, DTensor scale,
                                                double lr, double mu, boolean nesterov) {
        DTensor[] tTheta = zerosLike(theta), tAcc = zerosLike(acc);
        double[] s = OptimizerReference.scales(scale, theta.length);
        for (int i = 0; i < theta.length; i++) {
            for (int j = 0; j < theta[i].size(); j++) {
                if (s == null) {
                    tTheta[i].data()[j] = tAcc[i].data()[j] = FLOOR;
                    continue;
                }
                double g = Math.abs(s[i] * grad[i].data()[j]), a = Math.abs(mu * acc[i].data()[j]) + g;
                double th = Math.abs(theta[i].data()[j]);
                tAcc[i].data()[j] = tol(2 * u * a);
                tTheta[i].data()[j] = tol(u * th + (nesterov ? 6 * u * lr * (mu * a + g) : 4 * u * lr * a));
            }
        }
        return new OptimizerReference.Momentum(tTheta, tAcc);
    }

    /**
     * rmsPropUpdate, with G = |s·grad|, M = ρ·ms + (1 − ρ)·G² (ms ≥ 0) and q = lr·G/√(M + ε):
     * ms' 6u·M (g, g², 1 − ρ, the product, ρ·ms and the sum round); √(ms' + ε) is then within 4.5u
     * relative, so q within 8u·q; mom' 2u·|μ·mom| + 9u·q; θ' u·|θ| + 3u·|μ·mom| + 10u·q. Exact when
     * skipped.
     */
    public OptimizerReference.RmsProp rmsProp(DTensor[] theta, DTensor[] ms, DTensor[] mom, DTensor[] grad,
                                              DTensor scale, double lr, double rho, double mu, double eps) {
        DTensor[] tTheta = zerosLike(theta), tMs = zerosLike(ms), tMom = zerosLike(mom);
        double[] s = OptimizerReference.scales(scale, theta.length);
        for (int i = 0; i < theta.length; i++) {
            for (int j = 0; j < theta[i].size(); j++) {
                if (s == null) {
                    tTheta[i].data()[j] = tMs[i].data()[j] = tMom[i].data()[j] = FLOOR;
                    continue;
                }
                double g = Math.abs(s[i] * grad[i].data()[j]);
                double m = rho * Math.abs(ms[i].data()[j]) + (1 - rho) * g * g;
                double q = lr * g / Math.sqrt(m + eps), muMom = Math.abs(mu * mom[i].data()[j]);
                tMs[i].data()[j] = tol(6 * u * m);
                tMom[i].data()[j] = tol(2 * u * muMom + 9 * u * q);
                tTheta[i].data()[j] = tol(u * Math.abs(theta[i].data()[j]) + 3 * u * muMom + 10 * u * q);
            }
        }
        return new OptimizerReference.RmsProp(tTheta, tMs, tMom);
    }

    /**
     * adamUpdate, with G = |s·grad|, p' = β·p the new powers, d = √V + ε̂:
     * <ul>
     *   <li>powers u·p' (one product each);</li>
     *   <li>αₜ relative u·(4 + p₁'/(1 − p₁') + p₂'/(2(1 − p₂'))): the powers are float32, and 1 − p'
     *       amplifies their rounding when p' is near 1;</li>
     *   <li>m' 4u·Mm, Mm = |β₁·m| + (1 − β₁)·G; v' 6u·V, V = β₂·v + (1 − β₂)·G² (v ≥ 0);</li>
     *   <li>θ' u·|θ| + αₜ·(Mm/d)·(12u + rel(αₜ)): m'/d within 10u·Mm/d, then the product and the
     *       difference.</li>
     * </ul>
     * Exact when skipped.
     */
    public OptimizerReference.Adam adam(DTensor[] theta, DTensor[] m, DTensor[] v, DTensor[] grad, double beta1Power,
                                        double beta2Power, DTensor scale, double lr, double beta1, double beta2,
                                        double eps) {
        DTensor[] tTheta = zerosLike(theta), tM = zerosLike(m), tV = zerosLike(v);
        double[] s = OptimizerReference.scales(scale, theta.length);
        double p1 = beta1 * beta1Power, p2 = beta2 * beta2Power;
        double alpha = lr * Math.sqrt(1 - p2) / (1 - p1);
        double relAlpha = u * (4 + p1 / (1 - p1) + p2 / (2 * (1 - p2)));
        for (int i = 0; i < theta.length; i++) {
            for (int j = 0; j < theta[i].size(); j++) {
                if (s == null) {
                    tTheta[i].data()[j] = tM[i].data()[j] = tV[i].data()[j] = FLOOR;
                    continue;
                }
                double g = Math.abs(s[i] * grad[i].data()[j]);
                double mm = Math.abs(beta1 * m[i].data()[j]) + (1 - beta1) * g;
                double vv = beta2 * Math.abs(v[i].data()[j]) + (1 - beta2) * g * g;
                double d = Math.sqrt(vv) + eps;
                tM[i].data()[j] = tol(4 * u * mm);
                tV[i].data()[j] = tol(6 * u * vv);
                tTheta[i].data()[j] = tol(u * Math.abs(theta[i].data()[j]) + alpha * (mm / d) * (12 * u + relAlpha));
            }
        }
        return s == null ? new OptimizerReference.Adam(tTheta, tM, tV, FLOOR, FLOOR)
                : new OptimizerReference.Adam(tTheta, tM, tV, tol(u * p1), tol(u * p2));
    }

    /** emaUpdate: u·|shadow| + 4u·(1 − d)·(|shadow| + |θ|) (1 − d, the difference, the product, the difference). Exact when skipped. */
    public DTensor[] ema(DTensor[] shadow, DTensor[] theta, double gate, double decay) {
        DTensor[] t = zerosLike(shadow);
        for (int i = 0; i < shadow.length; i++) {
            for (int j = 0; j < t[i].size(); j++) {
                double sh = Math.abs(shadow[i].data()[j]), th = Math.abs(theta[i].data()[j]);
                t[i].data()[j] = Double.isFinite(gate) ? tol(u * sh + 4 * u * (1 - decay) * (sh + th)) : FLOOR;
            }
        }
        return t;
    }

    private static DTensor[] zerosLike(DTensor[] ts) {
        DTensor[] out = new DTensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = DTensor.zeros(ts[i].shape());
        }
        return out;
    }
}
