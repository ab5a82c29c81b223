package org.inceptionj.conformance;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.conformance.reference.BatchNormBackwardReference;
import org.inceptionj.conformance.reference.Conv2dBackwardReference;
import org.inceptionj.conformance.reference.CrossEntropyReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseBackwardReference;
import org.inceptionj.conformance.reference.LinearReference;
import org.inceptionj.conformance.reference.PoolingBackwardReference;

/**
 * Per-element tolerances of the gradient suite ({@link GradientConformance}), in three kinds.
 *
 * <p><b>1. A backward primitive (or a tape rule) against its double reference</b>, both fed the
 * same float32 inputs: |backend − reference| ≤ tol, with tol = SAFETY·b + FLOOR exactly as in
 * {@link Tolerances}: b is a first-order bound of the rounding error of the op's float32 formula
 * in the magnitudes of its terms, valid for any summation order (sequential, blocked, pairwise,
 * FMA). u is the unit roundoff, uDot the one of products and sums of the conv and linear kernels
 * (both from the run's {@link Tolerances}).
 * <table>
 *   <caption>first-order bounds b</caption>
 *   <tr><th>gradient</th><th>b</th><th>why</th></tr>
 *   <tr><td>conv2d dx</td><td>(K + 2)·uDot·conv2dBackwardData(|dy|, |w|), K = Cout·kh·kw</td>
 *       <td>a sum of at most K products per input cell (col2im, direct or implicit GEMM)</td></tr>
 *   <tr><td>conv2d dw</td><td>(K + 2)·uDot·conv2dBackwardWeight(|dy|, |x|), K = N·outH·outW</td>
 *       <td>a sum of K products per weight</td></tr>
 *   <tr><td>conv2d dbias, linear db</td><td>(K + 1)·u·Σ|dy|, K = N·outH·outW or N</td><td>a sum of K terms</td></tr>
 *   <tr><td>linear dx, dw</td><td>(K + 2)·uDot·(|dy|·|w|) and (K + 2)·uDot·(|dy|ᵀ·|x|), K = out or N</td>
 *       <td>matmuls</td></tr>
 *   <tr><td>batch norm (training) dβ, dγ</td><td>(M + 1)·u·Σ|dy|; (M + 1)·u·Σ|dy·x̂| + 3u·invStd·Σ|dy|·(|x| + |μ|)</td>
 *       <td>sums of M terms; x̂ = (x − μ)·invStd rounds, or cancels when refactored as x·invStd − μ·invStd</td></tr>
 *   <tr><td>batch norm (training) dx</td><td>|γ|·invStd/M·(4u·A + b_β + |x̂|·b_γ + |dγ|·3u·invStd·(|x| + |μ|)) + 2u·|dx|,
 *       A = M·|dy| + |dβ| + |x̂·dγ|</td><td>dx = γ·invStd/M·(M·dy − dβ − x̂·dγ): the errors of dβ, dγ and x̂
 *       carried through, two subtractions and the scaling; A is what the bracket cancels</td></tr>
 *   <tr><td>batch norm (evaluation, tape) dx, dγ, dβ</td><td>5u·|dx|; (M + 7)·u·Σ|dy·x̂|; (M + 1)·u·Σ|dy|</td>
 *       <td>invStd = 1/√(var + ε) and x̂ round about five times, then products and sums</td></tr>
 *   <tr><td>ReLU, concat, slice, flatten</td><td>0</td><td>nothing rounds</td></tr>
 *   <tr><td>max pool</td><td>(kh·kw + 1)·u·maxPool2dBackward(|dy|)</td><td>a cell that wins several
 *       overlapping windows sums their dy (at most kh·kw of them); the winner itself is exact</td></tr>
 *   <tr><td>avg pool</td><td>(kh·kw + 3)·u·avgPool2dBackward(|dy|)</td><td>each share dy/divisor rounds
 *       once or twice (reciprocal then product), then a sum of at most kh·kw shares</td></tr>
 *   <tr><td>softmax dx</td><td>|y|·((K + 3)·u·Σ|dy·y| + 2u·|dy|) + u·|dx|</td><td>dx = y·(dy − Σ dy·y)</td></tr>
 *   <tr><td>log-softmax dx</td><td>u·(|dy| + |dx|) + exp(y)·(K + 11)·u·Σ|dy|</td><td>dx = dy − exp(y)·Σ dy, exp within 8u</td></tr>
 *   <tr><td>cross-entropy loss</td><td>mean over rows of [u·(|lse| + |max| + R + K + 9 + 8·|log Σ|) + (K + 4)·u·Σ q'·|x|
 *       + u·|loss_n|], plus (N + 2)·u·mean|loss_n|</td><td>lse = max + log Σ exp(x − max) (R = max − min of the
 *       row), the dot product with q' (which rounds 3u), the batch mean</td></tr>
 *   <tr><td>cross-entropy dlogits</td><td>(p·(u·|x − lse| + b_lse + 8u) + 3u·q' + u·|p − q'|)/N + u·|ref|</td>
 *       <td>p = exp(x − lse), minus q', over N</td></tr>
 *   <tr><td>dropout (tape)</td><td>3u·|dx|</td><td>the mask 1/(1 − p) rounds twice, dy·mask once</td></tr>
 *   <tr><td>add, sub, mul (tape)</td><td>(K + 2)·u·Σ|dz·other|, K = elements broadcast onto one input element</td>
 *       <td>one product, then the sum over the broadcast axes</td></tr>
 *   <tr><td>mean, global average pool (tape)</td><td>2u·|dx|</td><td>1/K rounds, then one product</td></tr>
 * </table>
 *
 * <p><b>2. A double reference backward against central finite differences of the double reference
 * forward</b> ({@link FiniteDifferences}): |analytic − fd| ≤ {@link #FD_RELATIVE}·(|fd_i| + max_j|analytic_j|)
 * + noise_i. The step h is about 2⁻²⁰ (10⁻⁶) relative; the truncation error is O(h²) ≈ 10⁻¹²
 * relative (values stay in (−2, 2) and away from kinks), and the cancellation error is bounded by
 * noise_i, 8 double ulps of each output the step changed, weighted by the upstream gradient, over
 * the step (about 10⁻⁹ of the outputs' magnitude). A wrong term, index or sign in a reference
 * misses by 10⁻² of the gradient or more.
 *
 * <p><b>3. A whole network's tape gradients (float32, the backend) against finite differences of
 * the same network's double reference forward</b>: per parameter tensor,
 * |backend − fd| ≤ τ·(|fd_i| + max_j|fd_j|) with τ = min(2¹³·max(u, uDot), 2⁻⁴), which is
 * 2⁻¹¹ ≈ 4.9·10⁻⁴ for float32. First-order bounds that multiply along a chain of conv, batch norm
 * and pooling layers are too loose to be useful, so this is normwise and empirical: float32
 * errors through these small networks are typically 10⁻⁶ and at worst about 10⁻⁵ of the
 * gradient's largest element (the printed report's rel column; the CPU backend over 40 seeds per
 * network: batch norm's backward projects out most of its upstream gradient, which costs relative
 * accuracy in the convolution weights before it), while a missing branch, term or accumulation is
 * of the order of the gradient itself. A backend with a coarser uDot (TF32) gets a
 * proportionally wider τ, at most 2⁻⁴.
 */
public final class GradientTolerances {
    /** Relative tolerance of a double reference backward against finite differences (kind 2). */
    public static final double FD_RELATIVE = 1e-6;
    /** τ of kind 3 in units of the coarser unit roundoff: 2¹³. */
    public static final double COMPOSITE_UNITS = 0x1.0p13;

    private final double u;
    private final double uDot;

    /** The bounds of kind 1 with the unit roundoffs of {@code t}. */
    public GradientTolerances(Tolerances t) {
        this.u = t.unitRoundoff();
        this.uDot = t.dotUnitRoundoff();
    }

    /** tol = SAFETY·b + FLOOR. */
    private static double tol(double bound) {
        return Tolerances.SAFETY * bound + Tolerances.FLOOR;
    }

    /** tol[i] = SAFETY·(units·unit·mag[i]) + FLOOR. */
    private static DTensor scaled(DTensor mag, double units, double unit) {
        DTensor t = DTensor.zeros(mag.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tol(units * unit * Math.abs(mag.data()[i]));
        }
        return t;
    }

    /** Every element exact (up to {@link Tolerances#FLOOR}). */
    public DTensor exact(Shape shape) {
        return DTensor.full(shape, Tolerances.FLOOR);
    }

    /** units·u·|ref|, for results of a few roundings. */
    public DTensor relative(DTensor ref, double units) {
        return scaled(ref, units, u);
    }

    // ---------------------------------------------------------------- convolution and linear

    /** conv2d dx: (K + 2)·uDot·conv2dBackwardData(|dy|, |w|), K = Cout·kh·kw. */
    public DTensor conv2dBackwardData(DTensor dy, DTensor w, Shape xShape, Conv2dSpec spec) {
        int k = w.shape().dim(0) * w.shape().dim(2) * w.shape().dim(3);
        return scaled(Conv2dBackwardReference.data(dy.abs(), w.abs(), xShape, spec), k + 2, uDot);
    }

    /** conv2d dw: (K + 2)·uDot·conv2dBackwardWeight(|dy|, |x|), K = N·outH·outW. */
    public DTensor conv2dBackwardWeight(DTensor dy, DTensor x, Shape wShape, Conv2dSpec spec) {
        int k = dy.shape().dim(0) * dy.shape().dim(2) * dy.shape().dim(3);
        return scaled(Conv2dBackwardReference.weight(dy.abs(), x.abs(), wShape, spec), k + 2, uDot);
    }

    /** conv2d dbias: (K + 1)·u·Σ|dy|, K = N·outH·outW. */
    public DTensor conv2dBias(DTensor dy) {
        int k = dy.shape().dim(0) * dy.shape().dim(2) * dy.shape().dim(3);
        return scaled(Conv2dBackwardReference.bias(dy.abs()), k + 1, u);
    }

    /** linear dx, dw, db: (out + 2)·uDot·|dy|·|w|, (N + 2)·uDot·|dy|ᵀ·|x|, (N + 1)·u·Σ_n|dy|. */
    public LinearReference.Grads linearBackward(DTensor dy, DTensor x, DTensor w, boolean bias) {
        LinearReference.Grads mag = LinearReference.backward(dy.abs(), x.abs(), w.abs(), bias);
        int n = x.shape().dim(0), out = w.shape().dim(0);
        return new LinearReference.Grads(scaled(mag.dx(), out + 2, uDot), scaled(mag.dw(), n + 2, uDot),
                bias ? scaled(mag.db(), n + 1, u) : null);
    }

    // ---------------------------------------------------------------- normalization

    /** Training-mode batch norm backward from saved statistics; see the class table. */
    public BatchNormBackwardReference.Grads batchNormBackward(DTensor dy, DTensor x, DTensor gamma, DTensor mean,
                                                             DTensor invStd, BatchNormBackwardReference.Grads ref) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        int m = x.size() / c;
        double[] sumDy = new double[c], sumDyXhat = new double[c], sumDyX = new double[c];
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double dyi = Math.abs(dy.data()[i]), s = invStd.data()[ch];
            sumDy[ch] += dyi;
            sumDyXhat[ch] += dyi * Math.abs(x.data()[i] - mean.data()[ch]) * s;
            sumDyX[ch] += dyi * (Math.abs(x.data()[i]) + Math.abs(mean.data()[ch])) * s;
        }
        Shape cs = Shape.of(c);
        DTensor tGamma = DTensor.zeros(cs), tBeta = DTensor.zeros(cs);
        double[] bBeta = new double[c], bGamma = new double[c];
        for (int ch = 0; ch < c; ch++) {
            bBeta[ch] = (m + 1) * u * sumDy[ch];
            bGamma[ch] = (m + 1) * u * sumDyXhat[ch] + 3 * u * sumDyX[ch];
            tBeta.data()[ch] = tol(bBeta[ch]);
            tGamma.data()[ch] = tol(bGamma[ch]);
        }
        DTensor tDx = DTensor.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double s = invStd.data()[ch], mu = mean.data()[ch];
            double xhat = Math.abs(x.data()[i] - mu) * s, dg = Math.abs(ref.dgamma().data()[ch]);
            double a = m * Math.abs(dy.data()[i]) + Math.abs(ref.dbeta().data()[ch]) + xhat * dg;
            double bracket = 4 * u * a + bBeta[ch] + xhat * bGamma[ch] + dg * 3 * u * s * (Math.abs(x.data()[i]) + Math.abs(mu));
            tDx.data()[i] = tol(Math.abs(gamma.data()[ch]) * s / m * bracket + 2 * u * Math.abs(ref.dx().data()[i]));
        }
        return new BatchNormBackwardReference.Grads(tDx, tGamma, tBeta);
    }

    /** Evaluation-mode batch norm backward (the tape's rule, from Ops): 5u·|dx|, (M + 7)·u·Σ|dy·x̂|, (M + 1)·u·Σ|dy|. */
    public BatchNormBackwardReference.Grads batchNormEvalBackward(DTensor dy, DTensor x, DTensor mean, DTensor var,
                                                                 double eps, BatchNormBackwardReference.Grads ref) {
        int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
        int m = x.size() / c;
        DTensor tGamma = DTensor.zeros(Shape.of(c)), tBeta = DTensor.zeros(Shape.of(c));
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            double xhat = Math.abs(x.data()[i] - mean.data()[ch]) / Math.sqrt(var.data()[ch] + eps);
            tGamma.data()[ch] += (m + 7) * u * Math.abs(dy.data()[i]) * xhat;
            tBeta.data()[ch] += (m + 1) * u * Math.abs(dy.data()[i]);
        }
        for (int ch = 0; ch < c; ch++) {
            tGamma.data()[ch] = tol(tGamma.data()[ch]);
            tBeta.data()[ch] = tol(tBeta.data()[ch]);
        }
        return new BatchNormBackwardReference.Grads(relative(ref.dx(), 5), tGamma, tBeta);
    }

    // ---------------------------------------------------------------- pooling

    /** max pool: (kh·kw + 1)·u·maxPool2dBackward(|dy|, x). */
    public DTensor maxPool2dBackward(DTensor dy, DTensor x, Pool2dSpec spec) {
        return scaled(PoolingBackwardReference.max(dy.abs(), x, spec), spec.kernelH() * spec.kernelW() + 1, u);
    }

    /** avg pool: (kh·kw + 3)·u·avgPool2dBackward(|dy|). */
    public DTensor avgPool2dBackward(DTensor dy, Shape xShape, Pool2dSpec spec) {
        return scaled(PoolingBackwardReference.average(dy.abs(), xShape, spec), spec.kernelH() * spec.kernelW() + 3, u);
    }

    // ---------------------------------------------------------------- softmax and loss

    /**
     * softmax: |y|·((K + 3)·u·Σ|dy·y| + 2u·|dy|) + u·|dx|; log-softmax:
     * u·(|dy| + |dx|) + exp(y)·(K + 11)·u·Σ|dy|; K the line length, sums over the line.
     */
    public DTensor softmaxBackward(DTensor dy, DTensor y, int axis, boolean log, DTensor ref) {
        int n = y.shape().dim(axis);
        int inner = y.shape().sizeBetween(axis + 1, y.shape().rank());
        int outer = y.shape().sizeBetween(0, axis);
        DTensor t = DTensor.zeros(y.shape());
        for (int a = 0; a < outer; a++) {
            for (int b = 0; b < inner; b++) {
                int base = a * n * inner + b;
                double sumAbsDy = 0, sumAbsDyY = 0;
                for (int k = 0; k < n; k++) {
                    int i = base + k * inner;
                    sumAbsDy += Math.abs(dy.data()[i]);
                    sumAbsDyY += Math.abs(dy.data()[i] * y.data()[i]);
                }
                for (int k = 0; k < n; k++) {
                    int i = base + k * inner;
                    double dyi = Math.abs(dy.data()[i]), yi = y.data()[i], r = Math.abs(ref.data()[i]);
                    t.data()[i] = tol(log
                            ? u * (dyi + r) + Math.exp(yi) * (n + 11) * u * sumAbsDy
                            : Math.abs(yi) * ((n + 3) * u * sumAbsDyY + 2 * u * dyi) + u * r);
                }
            }
        }
        return t;
    }

    /** Cross-entropy loss and dlogits; see the class table. */
    public CrossEntropyReference.Result crossEntropy(DTensor logits, int[] labels, double epsilon, DTensor prior,
                                                     CrossEntropyReference.Result ref) {
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        DTensor tD = DTensor.zeros(logits.shape());
        double lossBound = 0, meanAbsLoss = 0;
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY, sum = 0, dotMag = 0, dot = 0;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, logits.get(r, j));
                min = Math.min(min, logits.get(r, j));
            }
            for (int j = 0; j < k; j++) {
                double q = CrossEntropyReference.target(j, labels[r], epsilon, prior, k);
                sum += Math.exp(logits.get(r, j) - max);
                dotMag += q * Math.abs(logits.get(r, j));
                dot += q * logits.get(r, j);
            }
            double lse = max + Math.log(sum), lossRow = lse - dot;
            double bLse = u * (Math.abs(lse) + Math.abs(max) + (max - min) + k + 9 + 8 * Math.abs(Math.log(sum)));
            lossBound += (bLse + (k + 4) * u * dotMag + u * Math.abs(lossRow)) / n;
            meanAbsLoss += Math.abs(lossRow) / n;
            for (int j = 0; j < k; j++) {
                double x = logits.get(r, j), p = Math.exp(x - lse);
                double q = CrossEntropyReference.target(j, labels[r], epsilon, prior, k);
                double b = (p * (u * Math.abs(x - lse) + bLse + 8 * u) + 3 * u * q + u * Math.abs(p - q)) / n
                        + u * Math.abs(ref.dlogits().get(r, j));
                tD.set(tol(b), r, j);
            }
        }
        DTensor tLoss = DTensor.full(Shape.scalar(), tol(lossBound + (n + 2) * u * meanAbsLoss));
        return new CrossEntropyReference.Result(tLoss, tD);
    }

    /** A tolerance {@code t} of some result r, for the result g·r of one more float product: |g|·t + 2u·|g·r|. */
    public DTensor timesScalar(DTensor t, double g, DTensor ref) {
        DTensor s = DTensor.zeros(t.shape());
        for (int i = 0; i < s.size(); i++) {
            s.data()[i] = Math.abs(g) * t.data()[i] + tol(u * Math.abs(g * ref.data()[i]));
        }
        return s;
    }

    // ---------------------------------------------------------------- elementwise (tape rules)

    /**
     * add, sub, mul backward with broadcasting: (K + 2)·u·Σ|dz·other| over the K output elements
     * each input element was broadcast to (other = 1 for add and sub).
     */
    public DTensor[] binaryBackward(BinaryOp op, DTensor a, DTensor b, DTensor dz) {
        boolean mul = op == BinaryOp.MUL;
        DTensor[] mag = ElementwiseBackwardReference.binary(
                mul ? op : BinaryOp.ADD, a.abs(), b.abs(), dz.abs());
        int ka = dz.size() / Math.max(1, a.size()), kb = dz.size() / Math.max(1, b.size());
        return new DTensor[] {scaled(mag[0], ka + 2, u), scaled(mag[1], kb + 2, u)};
    }

    // ---------------------------------------------------------------- finite differences

    /**
     * Kind 2: FD_RELATIVE·(|fd_i| + scale) + noise_i, scale = the largest |element| of the analytic
     * gradient, noise_i the estimate's cancellation bound.
     */
    public static DTensor finiteDifference(FiniteDifferences.Estimate fd, double scale) {
        DTensor t = DTensor.zeros(fd.value().shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = FD_RELATIVE * (Math.abs(fd.value().data()[i]) + scale) + fd.noise().data()[i]
                    + Tolerances.FLOOR;
        }
        return t;
    }

    /** Kind 3's τ: min(2¹³·max(u, uDot), 2⁻⁴). */
    public double compositeRelative() {
        return Math.min(COMPOSITE_UNITS * Math.max(u, uDot), 0x1.0p-4);
    }

    /** Kind 3: τ·(|fd_i| + max_j|fd_j|). */
    public DTensor composite(DTensor fd) {
        double tau = compositeRelative();
        double max = 0;
        for (double v : fd.data()) {
            max = Math.max(max, Math.abs(v));
        }
        DTensor t = DTensor.zeros(fd.shape());
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = tau * (Math.abs(fd.data()[i]) + max) + Tolerances.FLOOR;
        }
        return t;
    }
}
