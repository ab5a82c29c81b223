package org.inceptionj.conformance.selftest;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Storage;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.reference.BatchNormBackwardReference;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dBackwardReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.CrossEntropyReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseBackwardReference;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.MatMulReference;
import org.inceptionj.conformance.reference.OptimizerReference;
import org.inceptionj.conformance.reference.PoolingBackwardReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.RandomReference;
import org.inceptionj.conformance.reference.ReduceReference;
import org.inceptionj.conformance.reference.SoftmaxBackwardReference;
import org.inceptionj.conformance.reference.SoftmaxReference;

/**
 * A backend for testing the kit itself: every op is the double-precision reference rounded to
 * float32 once, so it is as accurate as a float backend can be. With {@link Bug}s switched on it
 * makes the mistakes that real kernels make, and the kit must notice each one.
 */
final class ReferenceBackend implements Backend {

    /** Deliberate mistakes, one per op family. */
    enum Bug {
        /** conv2d swaps padTop and padBottom (breaks asymmetric padding only). */
        CONV_SWAPS_PADDING,
        /** conv2d adds into the output instead of overwriting it. */
        CONV_ACCUMULATES,
        /** avgPool2d always divides by the full window. */
        AVGPOOL_ALWAYS_INCLUDES_PAD,
        /** maxPool2d ignores ceil mode's last window (leaves it as written before). */
        MAXPOOL_SKIPS_LAST_COLUMN,
        /** matmul treats transB as false. */
        MATMUL_IGNORES_TRANSB,
        /** batchNormTraining updates runningVar with the biased variance. */
        BN_BIASED_RUNNING_VAR,
        /** softmax without subtracting the max (overflows to NaN for large inputs). */
        SOFTMAX_UNSTABLE,
        /** binary ignores broadcasting of b along the last axis (reads b[0]). */
        BINARY_BROADCAST_LAST_AXIS,
        /** reduce MEAN divides by the element count of x, not the reduced count. */
        REDUCE_MEAN_WRONG_COUNT,
        /** dropout's mask keeps 1 instead of 1/(1 − p). */
        DROPOUT_NOT_INVERTED,
        /** slice ignores the start offset. */
        SLICE_IGNORES_START,
        /** scope-closed tensors are not subtracted from liveBytes. */
        LEAKS_BYTES,
        /** exp is computed in float with a crude approximation (relative error about 1e−4). */
        EXP_INACCURATE,
        /** conv2dBackwardData ignores dilation. */
        CONV_BACKWARD_DATA_IGNORES_DILATION,
        /** batchNormBackward forgets that the batch statistics depend on x: dx = γ·invStd·dy. */
        BN_BACKWARD_WITHOUT_STATISTICS,
        /** maxPool2dBackward gives a tie to the last maximum instead of the first. */
        MAXPOOL_BACKWARD_LAST_TIE,
        /** avgPool2dBackward always divides by the full window. */
        AVGPOOL_BACKWARD_ALWAYS_INCLUDES_PAD,
        /** softmaxBackward adds into dx instead of overwriting it. */
        SOFTMAX_BACKWARD_ACCUMULATES,
        /** softmaxCrossEntropy's dlogits are not divided by the batch size. */
        CROSS_ENTROPY_GRADIENT_NOT_AVERAGED,
        /** rmsPropUpdate puts ε outside the root, lr·g/(√ms + ε) (PyTorch's form, not TF1's). */
        RMSPROP_EPSILON_OUTSIDE_ROOT,
        /** momentumUpdate uses the gradient without its scale (a clip factor dropped). */
        MOMENTUM_IGNORES_SCALE,
        /** adamUpdate without the bias correction: αₜ = lr. */
        ADAM_WITHOUT_BIAS_CORRECTION,
        /** emaUpdate ignores its gate: a skipped step still moves the average. */
        EMA_IGNORES_GATE
    }

    private final Set<Bug> bugs;
    private final AtomicLong live = new AtomicLong();

    ReferenceBackend(Bug... bugs) {
        this.bugs = bugs.length == 0 ? EnumSet.noneOf(Bug.class) : EnumSet.of(bugs[0], bugs);
    }

    private final class FloatStorage implements Storage {
        final float[] data;

        FloatStorage(int n) {
            data = new float[n];
            live.addAndGet(byteSize());
        }

        @Override
        public long byteSize() {
            return 4L * data.length;
        }

        @Override
        public void free() {
            if (!bugs.contains(Bug.LEAKS_BYTES)) {
                live.addAndGet(-byteSize());
            }
        }
    }

    private static float[] data(Tensor t) {
        return t.storage(FloatStorage.class).data;
    }

    private static DTensor in(Tensor t) {
        return DTensor.of(t.shape(), data(t));
    }

    private static void out(Tensor t, DTensor d) {
        float[] o = data(t);
        for (int i = 0; i < o.length; i++) {
            o[i] = (float) d.data()[i];
        }
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String describe() {
        return "reference: double-precision references rounded to float" + (bugs.isEmpty() ? "" : ", bugs " + bugs);
    }

    @Override
    public Tensor allocate(Shape shape) {
        return new Tensor(this, shape, new FloatStorage(shape.size()));
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, data(dst), 0, dst.size());
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        System.arraycopy(data(src), 0, dst, dstOffset, src.size());
    }

    @Override
    public void copy(Tensor out, Tensor x) {
        System.arraycopy(data(x), 0, data(out), 0, x.size());
    }

    @Override
    public long liveBytes() {
        return live.get();
    }

    @Override
    public void fill(Tensor out, float value) {
        java.util.Arrays.fill(data(out), value);
    }

    @Override
    public void fillRandom(Tensor out, RandomStream.Distribution d, long seed, float a, float b) {
        out(out, RandomReference.fillRandom(out.shape(), d, seed, a, b));
    }

    @Override
    public void unary(UnaryOp op, Tensor out, Tensor x) {
        DTensor r = ElementwiseReference.unary(op, in(x));
        if (op == UnaryOp.EXP && bugs.contains(Bug.EXP_INACCURATE)) {
            for (int i = 0; i < r.size(); i++) {
                r.data()[i] *= 1 + 1e-4;
            }
        }
        out(out, r);
    }

    @Override
    public void binary(BinaryOp op, Tensor out, Tensor a, Tensor b) {
        DTensor bd = in(b);
        if (bugs.contains(Bug.BINARY_BROADCAST_LAST_AXIS) && b.shape().rank() > 0
                && b.shape().dim(-1) == 1 && out.shape().dim(-1) > 1) {
            // reads b as if it were not broadcast along the last axis: wrong elements of b
            DTensor ad = in(a);
            DTensor r = DTensor.zeros(out.shape());
            for (int i = 0; i < r.size(); i++) {
                r.data()[i] = ElementwiseReference.binary(op, ad.data()[i % ad.size()], bd.data()[i % bd.size()]);
            }
            out(out, r);
            return;
        }
        out(out, ElementwiseReference.binary(op, in(a), bd).reshape(out.shape()));
    }

    @Override
    public void affine(Tensor out, Tensor x, float alpha, float beta) {
        out(out, ElementwiseReference.affine(in(x), alpha, beta));
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        out(out, ElementwiseReference.clip(in(x), lo, hi));
    }

    @Override
    public void reduce(ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis) {
        DTensor r = ReduceReference.reduce(op, in(x), reduceAxis, true);
        if (op == ReduceOp.MEAN && bugs.contains(Bug.REDUCE_MEAN_WRONG_COUNT)) {
            double k = ReduceReference.reducedCount(x.shape(), reduceAxis);
            for (int i = 0; i < r.size(); i++) {
                r.data()[i] = r.data()[i] * k / Math.max(1, x.size());
            }
        }
        out(out, r);
    }

    @Override
    public void concat(Tensor out, Tensor[] parts, int axis) {
        DTensor[] ds = new DTensor[parts.length];
        for (int i = 0; i < ds.length; i++) {
            ds[i] = in(parts[i]);
        }
        out(out, LayoutReference.concat(ds, axis));
    }

    @Override
    public void slice(Tensor out, Tensor x, int axis, int start) {
        int s = bugs.contains(Bug.SLICE_IGNORES_START) ? 0 : start;
        out(out, LayoutReference.slice(in(x), axis, s, out.shape().dim(axis)));
    }

    @Override
    public void matmul(Tensor out, Tensor a, Tensor b, boolean transA, boolean transB) {
        if (bugs.contains(Bug.MATMUL_IGNORES_TRANSB) && transB) {
            DTensor bd = in(b);
            out(out, MatMulReference.matmul(in(a), bd.reshape(Shape.of(bd.shape().dim(1), bd.shape().dim(0))),
                    transA, false));
            return;
        }
        out(out, MatMulReference.matmul(in(a), in(b), transA, transB));
    }

    @Override
    public void conv2d(Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Conv2dSpec s = bugs.contains(Bug.CONV_SWAPS_PADDING) ? new Conv2dSpec(spec.strideH(), spec.strideW(),
                spec.padBottom(), spec.padLeft(), spec.padTop(), spec.padRight(), spec.dilationH(), spec.dilationW())
                : spec;
        DTensor r = Conv2dReference.forward(in(x), in(w), bias == null ? null : in(bias), s);
        if (bugs.contains(Bug.CONV_ACCUMULATES)) {
            float[] o = data(out);
            for (int i = 0; i < o.length; i++) {
                o[i] += (float) r.data()[i];
            }
            return;
        }
        out(out, r);
    }

    @Override
    public void batchNormInference(Tensor out, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
                                   float eps) {
        out(out, BatchNormReference.inference(in(x), in(gamma), in(beta), in(mean), in(var), eps));
    }

    @Override
    public void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                                  Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum) {
        BatchNormReference.Training r = BatchNormReference.training(in(x), in(gamma), in(beta), in(runningMean),
                in(runningVar), eps, momentum);
        out(out, r.out());
        out(saveMean, r.mean());
        out(saveInvStd, r.invStd());
        out(runningMean, r.runningMean());
        if (bugs.contains(Bug.BN_BIASED_RUNNING_VAR)) {
            DTensor rv = in(runningVar);
            for (int c = 0; c < rv.size(); c++) {
                rv.data()[c] = (1 - momentum) * rv.data()[c] + momentum * r.variance().data()[c];
            }
            out(runningVar, rv);
        } else {
            out(runningVar, r.runningVar());
        }
    }

    @Override
    public void maxPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        DTensor r = PoolingReference.max(in(x), spec);
        if (bugs.contains(Bug.MAXPOOL_SKIPS_LAST_COLUMN) && spec.ceilMode()) {
            float[] o = data(out);
            int ow = out.shape().dim(3);
            for (int i = 0; i < o.length; i++) {
                if (i % ow != ow - 1) {
                    o[i] = (float) r.data()[i];
                }
            }
            return;
        }
        out(out, r);
    }

    @Override
    public void avgPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        Pool2dSpec s = bugs.contains(Bug.AVGPOOL_ALWAYS_INCLUDES_PAD) ? spec.withCountIncludePad(true) : spec;
        out(out, PoolingReference.average(in(x), s));
    }

    @Override
    public void softmax(Tensor out, Tensor x, int axis, boolean log) {
        if (bugs.contains(Bug.SOFTMAX_UNSTABLE) && !log) {
            // exp(x) / Σ exp(x) in float: overflows for x > 88
            float[] xs = data(x), o = data(out);
            int n = x.shape().dim(axis), inner = x.shape().sizeBetween(axis + 1, x.shape().rank());
            for (int base = 0; base < xs.length; base++) {
                if ((base / inner) % n != 0) {
                    continue;
                }
                float sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += (float) Math.exp(xs[base + k * inner]);
                }
                for (int k = 0; k < n; k++) {
                    o[base + k * inner] = (float) Math.exp(xs[base + k * inner]) / sum;
                }
            }
            return;
        }
        out(out, SoftmaxReference.softmax(in(x), axis, log));
    }

    @Override
    public void dropout(Tensor out, Tensor mask, Tensor x, float p, long seed) {
        RandomReference.Dropout r = RandomReference.dropout(in(x), bugs.contains(Bug.DROPOUT_NOT_INVERTED) ? 0f : p,
                seed);
        if (bugs.contains(Bug.DROPOUT_NOT_INVERTED)) {
            DTensor m = r.mask(), o = r.out(), xd = in(x);
            for (int i = 0; i < m.size(); i++) {
                boolean drop = RandomStream.uniform(seed, i) < p;
                m.data()[i] = drop ? 0 : 1;
                o.data()[i] = drop ? 0 : xd.data()[i];
            }
        }
        out(out, r.out());
        out(mask, r.mask());
    }

    // ---------------------------------------------------------------- backward primitives: the references rounded once

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec) {
        Conv2dSpec s = bugs.contains(Bug.CONV_BACKWARD_DATA_IGNORES_DILATION) ? new Conv2dSpec(spec.strideH(),
                spec.strideW(), spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight(), 1, 1) : spec;
        out(dx, Conv2dBackwardReference.data(in(dy), in(w), dx.shape(), s));
    }

    @Override
    public void conv2dBackwardWeight(Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec) {
        out(dw, Conv2dBackwardReference.weight(in(dy), in(x), dw.shape(), spec));
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                                  Tensor saveMean, Tensor saveInvStd) {
        BatchNormBackwardReference.Grads g = BatchNormBackwardReference.training(in(dy), in(x), in(gamma), in(saveMean),
                in(saveInvStd));
        if (bugs.contains(Bug.BN_BACKWARD_WITHOUT_STATISTICS)) {
            DTensor d = in(dy), gm = in(gamma), inv = in(saveInvStd);
            int c = x.shape().dim(1), inner = x.shape().sizeBetween(2, x.shape().rank());
            for (int i = 0; i < d.size(); i++) {
                d.data()[i] *= gm.data()[(i / inner) % c] * inv.data()[(i / inner) % c];
            }
            g = new BatchNormBackwardReference.Grads(d, g.dgamma(), g.dbeta());
        }
        out(dx, g.dx());
        out(dgamma, g.dgamma());
        out(dbeta, g.dbeta());
    }

    @Override
    public void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        out(dx, ElementwiseBackwardReference.relu(in(dy), in(y)));
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor yt, Pool2dSpec spec) {
        if (bugs.contains(Bug.MAXPOOL_BACKWARD_LAST_TIE)) {
            // the last cell equal to the window's maximum (the forward output y, as cuDNN uses it) wins
            DTensor xd = in(x), d = in(dy), g = DTensor.zeros(x.shape());
            DTensor y = in(yt);
            int h = x.shape().dim(2), w = x.shape().dim(3);
            for (int flat = 0; flat < d.size(); flat++) {
                int[] o = DTensor.unravel(d.shape(), flat);
                int at = -1;
                for (int i = 0; i < spec.kernelH(); i++) {
                    int ih = o[2] * spec.strideH() - spec.padTop() + i * spec.dilationH();
                    for (int j = 0; j < spec.kernelW(); j++) {
                        int iw = o[3] * spec.strideW() - spec.padLeft() + j * spec.dilationW();
                        if (ih >= 0 && ih < h && iw >= 0 && iw < w && xd.get(o[0], o[1], ih, iw) == y.data()[flat]) {
                            at = g.offset(o[0], o[1], ih, iw);
                        }
                    }
                }
                g.data()[at] += d.data()[flat];
            }
            out(dx, g);
            return;
        }
        out(dx, PoolingBackwardReference.max(in(dy), in(x), spec));
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dSpec spec) {
        Pool2dSpec s = bugs.contains(Bug.AVGPOOL_BACKWARD_ALWAYS_INCLUDES_PAD) ? spec.withCountIncludePad(true) : spec;
        out(dx, PoolingBackwardReference.average(in(dy), dx.shape(), s));
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis, boolean log) {
        DTensor r = SoftmaxBackwardReference.backward(in(dy), in(y), axis, log);
        if (bugs.contains(Bug.SOFTMAX_BACKWARD_ACCUMULATES)) {
            float[] o = data(dx);
            for (int i = 0; i < o.length; i++) {
                o[i] += (float) r.data()[i];
            }
            return;
        }
        out(dx, r);
    }

    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor dlogits, Tensor logits, int[] labels, float epsilon,
                                    Tensor prior) {
        CrossEntropyReference.Result r = CrossEntropyReference.forward(in(logits), labels, epsilon,
                prior == null ? null : in(prior));
        out(loss, r.loss());
        if (dlogits != null) {
            DTensor d = r.dlogits();
            if (bugs.contains(Bug.CROSS_ENTROPY_GRADIENT_NOT_AVERAGED)) {
                d = ElementwiseReference.affine(d, logits.shape().dim(0), 0);
            }
            out(dlogits, d);
        }
    }

    // ---------------------------------------------------------------- optimizer primitives: the references rounded once

    private static DTensor[] ins(Tensor[] ts) {
        DTensor[] out = new DTensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = in(ts[i]);
        }
        return out;
    }

    private static void outs(Tensor[] ts, DTensor[] ds) {
        for (int i = 0; i < ts.length; i++) {
            out(ts[i], ds[i]);
        }
    }

    @Override
    public void sumOfSquares(Tensor out, Tensor[] xs) {
        out(out, OptimizerReference.sumOfSquares(ins(xs)));
    }

    @Override
    public void axpy(Tensor[] y, float alpha, Tensor[] x) {
        outs(y, OptimizerReference.axpy(ins(y), alpha, ins(x)));
    }

    @Override
    public void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                               boolean nesterov) {
        DTensor s = in(scale);
        if (bugs.contains(Bug.MOMENTUM_IGNORES_SCALE) && OptimizerReference.scales(s, theta.length) != null) {
            s = DTensor.full(Shape.of(1), 1.0);
        }
        OptimizerReference.Momentum r = OptimizerReference.momentum(ins(theta), ins(acc), ins(grad), s, lr, mu, nesterov);
        outs(theta, r.theta());
        outs(acc, r.acc());
    }

    @Override
    public void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr,
                              float rho, float mu, float eps) {
        OptimizerReference.RmsProp r = OptimizerReference.rmsProp(ins(theta), ins(ms), ins(mom), ins(grad), in(scale),
                lr, rho, mu, eps);
        double[] s = OptimizerReference.scales(in(scale), theta.length);
        if (bugs.contains(Bug.RMSPROP_EPSILON_OUTSIDE_ROOT) && s != null) {
            DTensor[] th = ins(theta), mo = ins(mom), g = ins(grad);
            for (int i = 0; i < th.length; i++) {
                for (int j = 0; j < th[i].size(); j++) {
                    double gj = s[i] * g[i].data()[j];
                    mo[i].data()[j] = mu * mo[i].data()[j] + lr * gj / (Math.sqrt(r.ms()[i].data()[j]) + eps);
                    th[i].data()[j] -= mo[i].data()[j];
                }
            }
            r = new OptimizerReference.RmsProp(th, r.ms(), mo);
        }
        outs(theta, r.theta());
        outs(ms, r.ms());
        outs(mom, r.mom());
    }

    @Override
    public void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power, Tensor beta2Power,
                           Tensor scale, float lr, float beta1, float beta2, float eps) {
        double p1 = data(beta1Power)[0], p2 = data(beta2Power)[0], rate = lr;
        if (bugs.contains(Bug.ADAM_WITHOUT_BIAS_CORRECTION)) {
            // the rate that makes αₜ = lr
            rate = lr * (1 - beta1 * p1) / Math.sqrt(1 - beta2 * p2);
        }
        OptimizerReference.Adam r = OptimizerReference.adam(ins(theta), ins(m), ins(v), ins(grad), p1, p2, in(scale),
                rate, beta1, beta2, eps);
        outs(theta, r.theta());
        outs(m, r.m());
        outs(v, r.v());
        data(beta1Power)[0] = (float) r.beta1Power();
        data(beta2Power)[0] = (float) r.beta2Power();
    }

    @Override
    public void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) {
        double g = bugs.contains(Bug.EMA_IGNORES_GATE) ? 0 : data(gate)[0];
        outs(shadow, OptimizerReference.ema(ins(shadow), ins(theta), g, decay));
    }

    @Override
    public void close() {
    }
}
