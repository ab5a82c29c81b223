package org.inceptionj.inception.cost;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

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

/**
 * A backend that computes nothing and holds no values: a tensor is its shape and a byte count, and
 * every primitive called is recorded as a {@link Call} with its tensors, its settings and its
 * multiply-adds. Running a model on it gives, from the model's own code, each op with its output
 * shape (what {@link org.inceptionj.inception.Summary} tabulates) and the number of backend calls
 * of a forward or a training step: the launches a GPU backend would make for it.
 *
 * <p>Values. There are none: fills, writes and random draws change nothing, and a read hands back
 * zeros, what a freshly allocated tensor holds. Reads are recorded like every other call, so a test
 * can check that a piece of code never looks at values; code that does (a NaN check on the loss)
 * sees zeros.
 *
 * <p>Multiply-adds, the convention of spec §8: a convolution costs N·Hout·Wout·Cout·Cin·kh·kw (Cin the
 * weight's second axis), and each of its two backward primitives as much again; a matrix product
 * [M,K]·[K,N] costs M·N·K; everything else (batch norm, ReLU, pooling, concatenation, dropout, fills,
 * copies, bias adds) costs 0.
 *
 * <p>What is recorded: every method of {@link Backend} that takes a tensor, {@code allocate},
 * {@code empty} and {@code close} excepted (allocations are counted by {@link #allocations()}). One
 * {@code record(...)} line per method: a new primitive in the contract needs one more such line. Not a compute backend:
 * {@code Backends.load} does not find it. Not thread-safe: one model on one thread.
 *
 * <p>Fused calls. {@code conv2dBatchNormInference} is recorded, by default, as the three primitives it
 * stands for (conv2d, batchNormInference, RELU), {@code avgPool2dConv2dBatchNormInference} as the average pool
 * and those three, and the training block's {@code batchNormTraining} with a
 * ReLU and {@code batchNormReluBackward} as their two each, so that what reads a recorded forward (the summary,
 * the ONNX export) sees each layer's operations one by one; {@link #recordingFusedCalls()} records each as
 * the one call a compute backend receives (what a profile matches its timings against).
 */
public final class ShapeBackend implements Backend {

    /** The settings of {@code conv2dBatchNormInference} when recorded as one call. */
    public record ConvBatchNorm(Conv2dSpec conv, float eps, boolean relu) {
        @Override
        public String toString() {
            return conv + " eps=" + eps + (relu ? " relu" : "");
        }
    }

    /** The settings of {@code avgPool2dConv2dBatchNormInference} when recorded as one call. */
    public record PoolConvBatchNorm(Pool2dSpec pool, Conv2dSpec conv, float eps, boolean relu) {
        @Override
        public String toString() {
            return "avg pool " + pool + ", then " + conv + " eps=" + eps + (relu ? " relu" : "");
        }
    }

    private final boolean fused;

    /** A backend that records a fused call as the primitives it stands for. */
    public ShapeBackend() {
        this(false);
    }

    private ShapeBackend(boolean fused) {
        this.fused = fused;
    }

    /** A backend that records a fused call ({@code conv2dBatchNormInference}) as one call. */
    public static ShapeBackend recordingFusedCalls() {
        return new ShapeBackend(true);
    }

    /**
     * One call of a primitive.
     *
     * @param op      the {@link Backend} method's name ({@code conv2d}, {@code batchNormTraining}, {@code read})
     * @param outputs the tensors it writes, in the method's argument order (empty for {@code read});
     *                an in-place update (a running statistic) is an output
     * @param inputs  the tensors it reads, in argument order, absent optional ones (a null bias) left out.
     *                They are the caller's tensors themselves, so a caller that knows names (a model's
     *                parameters) can tell which layer made the call
     * @param spec    the settings that are not tensors: the {@link Conv2dSpec} or {@link Pool2dSpec}; the
     *                {@link UnaryOp}, {@link BinaryOp}, {@link ReduceOp} or {@link RandomStream.Distribution};
     *                {@link Transposes} for {@code matmul}; the axis ({@code Integer}) of concat and
     *                softmax; {@link Slice} for slice; {@link Affine} for affine; ε ({@code Float}) of
     *                batchNormInference; the drop probability ({@code Float}) of dropout; null otherwise.
     *                With these a recorded evaluation forward can be replayed elsewhere (the ONNX export)
     * @param macs    multiply-adds, by the convention above
     */
    public record Call(String op, List<Tensor> outputs, List<Tensor> inputs, Object spec, long macs) {
        /** The shape of the first output; null for a call that writes no tensor ({@code read}). */
        public Shape output() {
            return outputs.isEmpty() ? null : outputs.getFirst().shape();
        }

        @Override
        public String toString() {
            return op + (spec == null ? "" : " " + spec) + " " + shapes(inputs) + " -> " + shapes(outputs)
                    + (macs > 0 ? ", " + macs + " multiply-adds" : "");
        }
    }

    /** Which operands of a {@code matmul} are transposed: out = op(a)·op(b). */
    public record Transposes(boolean a, boolean b) {
        @Override
        public String toString() {
            return (a ? "aᵀ" : "a") + "·" + (b ? "bᵀ" : "b");
        }
    }

    /** The settings of {@code slice}: the axis and the first index taken (the length is the output's). */
    public record Slice(int axis, int start) {
        @Override
        public String toString() {
            return "axis=" + axis + " start=" + start;
        }
    }

    /** The scalars of {@code affine}: out = alpha·x + beta. */
    public record Affine(float alpha, float beta) {
        @Override
        public String toString() {
            return "alpha=" + alpha + " beta=" + beta;
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private long allocations;
    private long liveBytes;

    /** Every call since construction or the last {@link #clear()}, in order (a live, read-only view). */
    public List<Call> calls() {
        return Collections.unmodifiableList(calls);
    }

    /** How many of the recorded calls are of {@code op} (a {@link Backend} method's name). */
    public int count(String op) {
        int n = 0;
        for (Call c : calls) {
            n += c.op().equals(op) ? 1 : 0;
        }
        return n;
    }

    /** Tensors allocated since construction or the last {@link #clear()}. */
    public long allocations() {
        return allocations;
    }

    /** Forgets the recorded calls and the allocation count (say, those of building a model). */
    public void clear() {
        calls.clear();
        allocations = 0;
    }

    private void record(String op, List<Tensor> outputs, List<Tensor> inputs, Object spec, long macs) {
        calls.add(new Call(op, outputs, inputs, spec, macs));
    }

    /** The non-null tensors among {@code ts}, in order. */
    private static List<Tensor> of(Tensor... ts) {
        List<Tensor> l = new ArrayList<>(ts.length);
        for (Tensor t : ts) {
            if (t != null) {
                l.add(t);
            }
        }
        return Collections.unmodifiableList(l);
    }

    /** N·Hout·Wout·Cout (the elements of y) times Cin·kh·kw (the weight's trailing axes). */
    private static long convMacs(Tensor y, Shape w) {
        return (long) y.size() * w.dim(1) * w.dim(2) * w.dim(3);
    }

    /** Lists longer than this (an optimizer's update of every parameter) print their first and last shapes only. */
    static final int LISTED_SHAPES = 8;

    private static String shapes(List<Tensor> ts) {
        StringBuilder b = new StringBuilder("(");
        if (ts.size() > LISTED_SHAPES) {
            for (int i = 0; i < 3; i++) {
                b.append(ts.get(i).shape()).append(", ");
            }
            return b.append("…, ").append(ts.getLast().shape()).append("; ").append(ts.size()).append(" tensors)").toString();
        }
        for (int i = 0; i < ts.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(ts.get(i).shape());
        }
        return b.append(')').toString();
    }

    @Override
    public String name() {
        return "shape";
    }

    @Override
    public String describe() {
        return "shape only: records each call, holds no values";
    }

    // ---------------------------------------------------------------- memory

    /** A byte count in place of memory. */
    private final class Bytes implements Storage {
        private final long bytes;

        Bytes(long bytes) {
            this.bytes = bytes;
            liveBytes += bytes;
        }

        @Override
        public long byteSize() {
            return bytes;
        }

        @Override
        public void free() {
            liveBytes -= bytes;
        }
    }

    @Override
    public Tensor allocate(Shape shape) {
        allocations++;
        return new Tensor(this, shape, new Bytes(4L * shape.size()));
    }

    @Override
    public Tensor empty(Shape shape) {
        return allocate(shape);
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        record("write", of(dst), of(), null, 0);
    }

    /** Writes zeros: the values every tensor of this backend is taken to hold. */
    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        Arrays.fill(dst, dstOffset, dstOffset + src.size(), 0f);
        record("read", of(), of(src), null, 0);
    }

    @Override
    public void write(Tensor dst, MemorySegment src) {
        record("write", of(dst), of(), null, 0);
    }

    /** Writes zeros, as the array read above. */
    @Override
    public void read(Tensor src, MemorySegment dst) {
        dst.fill((byte) 0);
        record("read", of(), of(src), null, 0);
    }

    @Override
    public void copy(Tensor out, Tensor x) {
        record("copy", of(out), of(x), null, 0);
    }

    @Override
    public long liveBytes() {
        return liveBytes;
    }

    // ---------------------------------------------------------------- fills

    @Override
    public void fill(Tensor out, float value) {
        record("fill", of(out), of(), null, 0);
    }

    @Override
    public void fillRandom(Tensor out, RandomStream.Distribution distribution, long seed, float a, float b) {
        record("fillRandom", of(out), of(), distribution, 0);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void unary(UnaryOp op, Tensor out, Tensor x) {
        record("unary", of(out), of(x), op, 0);
    }

    @Override
    public void binary(BinaryOp op, Tensor out, Tensor a, Tensor b) {
        record("binary", of(out), of(a, b), op, 0);
    }

    @Override
    public void affine(Tensor out, Tensor x, float alpha, float beta) {
        record("affine", of(out), of(x), new Affine(alpha, beta), 0);
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        record("clip", of(out), of(x), null, 0);
    }

    // ---------------------------------------------------------------- reductions, layout

    @Override
    public void reduce(ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis) {
        record("reduce", of(out), of(x), op, 0);
    }

    @Override
    public void concat(Tensor out, Tensor[] parts, int axis) {
        record("concat", of(out), of(parts), axis, 0);
    }

    @Override
    public void slice(Tensor out, Tensor x, int axis, int start) {
        record("slice", of(out), of(x), new Slice(axis, start), 0);
    }

    // ---------------------------------------------------------------- linear algebra

    /** out [M,N], inner dimension K: M·N·K multiply-adds. */
    @Override
    public void matmul(Tensor out, Tensor a, Tensor b, boolean transA, boolean transB) {
        long k = transA ? a.shape().dim(0) : a.shape().dim(1);
        record("matmul", of(out), of(a, b), new Transposes(transA, transB), out.size() * k);
    }

    @Override
    public void conv2d(Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        record("conv2d", of(out), of(x, w, bias), spec, convMacs(out, w.shape()));
    }

    @Override
    public void conv2dBatchNormInference(Tensor out, Tensor x, Tensor w, Tensor gamma, Tensor beta, Tensor mean,
                                         Tensor var, float eps, Conv2dSpec spec, boolean relu) {
        if (fused) {
            record("conv2dBatchNormInference", of(out), of(x, w, gamma, beta, mean, var),
                    new ConvBatchNorm(spec, eps, relu), convMacs(out, w.shape()));
        } else {
            Backend.super.conv2dBatchNormInference(out, x, w, gamma, beta, mean, var, eps, spec, relu);
        }
    }

    @Override
    public void avgPool2dConv2dBatchNormInference(Tensor out, Tensor x, Tensor w, Tensor gamma, Tensor beta,
                                                  Tensor mean, Tensor var, float eps, Pool2dSpec pool,
                                                  Conv2dSpec spec, boolean relu) {
        if (fused) {
            record("avgPool2dConv2dBatchNormInference", of(out), of(x, w, gamma, beta, mean, var),
                    new PoolConvBatchNorm(pool, spec, eps, relu), convMacs(out, w.shape()));
        } else {
            Backend.super.avgPool2dConv2dBatchNormInference(out, x, w, gamma, beta, mean, var, eps, pool, spec, relu);
        }
    }

    // ---------------------------------------------------------------- normalization, pooling, softmax, dropout

    @Override
    public void batchNormInference(Tensor out, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
                                   float eps) {
        record("batchNormInference", of(out), of(x, gamma, beta, mean, var), eps, 0);
    }

    @Override
    public void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                                  Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum) {
        record("batchNormTraining", of(out, saveMean, saveInvStd, runningMean, runningVar),
                of(x, gamma, beta, runningMean, runningVar), null, 0);
    }

    /** With a ReLU: one call where fused calls are recorded as such ({@code "relu"} as its geometry), else the two. */
    @Override
    public void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                                  Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum,
                                  boolean relu) {
        if (fused && relu) {
            record("batchNormTraining", of(out, saveMean, saveInvStd, runningMean, runningVar),
                    of(x, gamma, beta, runningMean, runningVar), "relu", 0);
        } else {
            Backend.super.batchNormTraining(out, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, eps,
                    momentum, relu);
        }
    }

    @Override
    public void maxPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        record("maxPool2d", of(out), of(x), spec, 0);
    }

    @Override
    public void avgPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        record("avgPool2d", of(out), of(x), spec, 0);
    }

    @Override
    public void softmax(Tensor out, Tensor x, int axis, boolean log) {
        record("softmax", of(out), of(x), axis, 0);
    }

    @Override
    public void dropout(Tensor out, Tensor mask, Tensor x, float p, long seed) {
        record("dropout", of(out, mask), of(x), p, 0);
    }

    // ---------------------------------------------------------------- backward primitives

    /** As many multiply-adds as the forward convolution: each (dy, w) pair once. */
    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec) {
        record("conv2dBackwardData", of(dx), of(dy, w), spec, convMacs(dy, w.shape()));
    }

    /** As many multiply-adds as the forward convolution: each (dy, x) pair once. */
    @Override
    public void conv2dBackwardWeight(Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec) {
        record("conv2dBackwardWeight", of(dw), of(dy, x), spec, convMacs(dy, dw.shape()));
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                                  Tensor saveMean, Tensor saveInvStd) {
        record("batchNormBackward", of(dx, dgamma, dbeta), of(dy, x, gamma, saveMean, saveInvStd), null, 0);
    }

    @Override
    public void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        record("reluBackward", of(dx), of(dy, y), null, 0);
    }

    /** One call where fused calls are recorded as such, else reluBackward and batchNormBackward. */
    @Override
    public void batchNormReluBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y, Tensor x,
                                      Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        if (fused) {
            record("batchNormReluBackward", of(dx, dgamma, dbeta), of(dy, y, x, gamma, saveMean, saveInvStd), null, 0);
        } else {
            Backend.super.batchNormReluBackward(dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd);
        }
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Pool2dSpec spec) {
        record("maxPool2dBackward", of(dx), of(dy, x, y), spec, 0);
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dSpec spec) {
        record("avgPool2dBackward", of(dx), of(dy), spec, 0);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis, boolean log) {
        record("softmaxBackward", of(dx), of(dy, y), axis, 0);
    }

    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor dlogits, Tensor logits, int[] labels, float epsilon,
                                    Tensor prior) {
        record("softmaxCrossEntropy", of(loss, dlogits), of(logits, prior), null, 0);
    }

    /** Nothing runs, so nothing to wait for; recorded, as a GPU backend would spend a wait on it. */
    @Override
    public void synchronize() {
        record("synchronize", of(), of(), null, 0);
    }

    // ------------------------------------------------------------------ fused updates (one call per list)

    @Override
    public void sumOfSquares(Tensor out, Tensor[] xs) {
        record("sumOfSquares", of(out), all(xs), null, 0);
    }

    @Override
    public void axpy(Tensor[] y, float alpha, Tensor[] x) {
        record("axpy", all(y), all(x), alpha, 0);
    }

    @Override
    public void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                               boolean nesterov) {
        record("momentumUpdate", all(theta, acc), all(grad, new Tensor[] {scale}), null, 0);
    }

    @Override
    public void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr,
                              float rho, float mu, float eps) {
        record("rmsPropUpdate", all(theta, ms, mom), all(grad, new Tensor[] {scale}), null, 0);
    }

    @Override
    public void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power, Tensor beta2Power,
                           Tensor scale, float lr, float beta1, float beta2, float eps) {
        record("adamUpdate", all(theta, m, v), all(grad, new Tensor[] {beta1Power, beta2Power, scale}), null, 0);
    }

    @Override
    public void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) {
        record("emaUpdate", all(shadow), all(theta, new Tensor[] {gate}), decay, 0);
    }

    /** The non-null tensors of the lists, in order. */
    private static List<Tensor> all(Tensor[]... lists) {
        List<Tensor> l = new ArrayList<>();
        for (Tensor[] list : lists) {
            for (Tensor t : list) {
                if (t != null) {
                    l.add(t);
                }
            }
        }
        return Collections.unmodifiableList(l);
    }

    /** Nothing to release; the record stays readable. */
    @Override
    public void close() {
    }
}
