package org.inceptionj.api;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The public, validated operations on tensors. Each method checks its arguments (open tensors of
 * one backend, ranks, shapes, geometry) and throws {@link IllegalArgumentException} or
 * {@link IllegalStateException} with a message that names the op and the offending shapes or
 * values; then it allocates the output in the current {@link TensorScope} and calls the
 * {@link Backend} primitive of the same name. Inputs are never modified, except the running
 * statistics of {@link #batchNormTraining} and what the optimizer primitives ({@link #axpy},
 * {@link #momentumUpdate}, {@link #rmsPropUpdate}, {@link #adamUpdate}, {@link #emaUpdate}) update
 * in place.
 */
public final class Ops {
    private Ops() {
    }

    // ================================================================ creation and copies

    /** A zero-filled tensor. */
    public static Tensor zeros(Backend backend, Shape shape) {
        requireBackend("zeros", backend);
        return backend.allocate(requireShape("zeros", shape));
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(Backend backend, Shape shape, float value) {
        Tensor t = zeros(backend, shape);
        backend.fill(t, value);
        return t;
    }

    /** A tensor holding a copy of {@code data} (row-major, exactly shape.size() values). */
    public static Tensor fromArray(Backend backend, Shape shape, float... data) {
        requireBackend("fromArray", backend);
        requireShape("fromArray", shape);
        if (data == null) {
            throw new IllegalArgumentException("fromArray: data is null for shape " + shape);
        }
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("fromArray: shape " + shape + " needs " + shape.size()
                    + " values, got " + data.length);
        }
        Tensor t = backend.empty(shape);
        backend.write(t, data, 0);
        return t;
    }

    /**
     * A tensor holding a copy of the floats in {@code src}: exactly shape.size() of them, row-major,
     * in the platform's byte order (a memory-mapped file, a direct or pinned buffer, native memory).
     */
    public static Tensor fromSegment(Backend backend, Shape shape, MemorySegment src) {
        requireBackend("fromSegment", backend);
        requireShape("fromSegment", shape);
        requireSegment("fromSegment", shape, src, false);
        Tensor t = backend.empty(shape);
        backend.write(t, src);
        return t;
    }

    /** Overwrites dst with the floats in {@code src} (exactly dst.size() of them; see {@link Backend#write(Tensor, MemorySegment)}). */
    public static void write(Tensor dst, MemorySegment src) {
        checkOpen("write", dst);
        requireSegment("write", dst.shape(), src, false);
        dst.backend().write(dst, src);
    }

    /**
     * Copies src's elements into {@code dst} (room for exactly src.size() floats, writable), in the
     * platform's byte order. A synchronization point: see {@link Backend#read(Tensor, MemorySegment)}.
     */
    public static void read(Tensor src, MemorySegment dst) {
        checkOpen("read", src);
        requireSegment("read", src.shape(), dst, true);
        src.backend().read(src, dst);
    }

    private static void requireSegment(String op, Shape shape, MemorySegment m, boolean written) {
        if (m == null) {
            throw new IllegalArgumentException(op + ": memory segment is null for tensor " + shape);
        }
        if (m.byteSize() != 4L * shape.size()) {
            throw new IllegalArgumentException(op + ": tensor " + shape + " holds " + shape.size() + " floats ("
                    + 4L * shape.size() + " bytes), the memory segment has " + m.byteSize() + " bytes"
                    + " (slice it with asSlice(offset, bytes))");
        }
        if (!m.scope().isAlive()) {
            throw new IllegalStateException(op + ": the memory segment of " + m.byteSize()
                    + " bytes for tensor " + shape + " belongs to a closed arena");
        }
        if (written && m.isReadOnly()) {
            throw new IllegalArgumentException(op + ": the memory segment of " + m.byteSize()
                    + " bytes for tensor " + shape + " is read-only");
        }
    }

    /** Seeded random tensor; see {@link RandomStream} and {@link Backend#fillRandom}. */
    public static Tensor random(Backend backend, Shape shape, RandomStream.Distribution distribution,
                                long seed, float a, float b) {
        requireBackend("random", backend);
        requireShape("random", shape);
        if (distribution == null) {
            throw new IllegalArgumentException("random: distribution is null");
        }
        if (!Float.isFinite(a) || !Float.isFinite(b)) {
            throw new IllegalArgumentException("random " + distribution + ": parameters must be finite, got ("
                    + a + ", " + b + ")");
        }
        if (distribution == RandomStream.Distribution.UNIFORM ? b < a : b < 0) {
            throw new IllegalArgumentException("random " + distribution + ": "
                    + (distribution == RandomStream.Distribution.UNIFORM ? "upper bound " + b + " < lower bound " + a
                    : "standard deviation " + b + " < 0"));
        }
        Tensor t = backend.empty(shape);
        backend.fillRandom(t, distribution, seed, a, b);
        return t;
    }

    /** Uniform on [lo, hi). */
    public static Tensor uniform(Backend backend, Shape shape, long seed, float lo, float hi) {
        return random(backend, shape, RandomStream.Distribution.UNIFORM, seed, lo, hi);
    }

    /** Normal(mean, std). */
    public static Tensor normal(Backend backend, Shape shape, long seed, float mean, float std) {
        return random(backend, shape, RandomStream.Distribution.NORMAL, seed, mean, std);
    }

    /** Normal(mean, std) cut at mean ± 2·std. */
    public static Tensor truncatedNormal(Backend backend, Shape shape, long seed, float mean, float std) {
        return random(backend, shape, RandomStream.Distribution.TRUNCATED_NORMAL, seed, mean, std);
    }

    /** A copy of x. */
    public static Tensor copy(Tensor x) {
        checkOpen("copy", x);
        Tensor out = x.backend().empty(x.shape());
        x.backend().copy(out, x);
        return out;
    }

    /** A copy of x with another shape of the same element count. */
    public static Tensor reshape(Tensor x, Shape shape) {
        checkOpen("reshape", x);
        requireShape("reshape", shape);
        if (shape.size() != x.size()) {
            throw new IllegalArgumentException("reshape: cannot reshape " + x.shape() + " (" + x.size()
                    + " elements) to " + shape + " (" + shape.size() + " elements)");
        }
        Tensor out = x.backend().empty(shape);
        x.backend().copy(out, x);
        return out;
    }

    /** Reshape to 2-D [prod(dims[0, axis)), prod(dims[axis, rank))], as ONNX Flatten; axis in [−rank, rank]. */
    public static Tensor flatten(Tensor x, int axis) {
        checkOpen("flatten", x);
        int r = x.shape().rank();
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a > r) {
            throw new IllegalArgumentException("flatten: axis " + axis + " out of range for " + x.shape());
        }
        return reshape(x, Shape.of(x.shape().sizeBetween(0, a), x.shape().sizeBetween(a, r)));
    }

    // ================================================================ elementwise

    public static Tensor unary(UnaryOp op, Tensor x) {
        String name = op == null ? "unary" : op.name().toLowerCase();
        checkOpen(name, x);
        if (op == null) {
            throw new IllegalArgumentException("unary: op is null");
        }
        Tensor out = x.backend().empty(x.shape());
        x.backend().unary(op, out, x);
        return out;
    }

    public static Tensor relu(Tensor x) {
        return unary(UnaryOp.RELU, x);
    }

    public static Tensor sqrt(Tensor x) {
        return unary(UnaryOp.SQRT, x);
    }

    public static Tensor exp(Tensor x) {
        return unary(UnaryOp.EXP, x);
    }

    public static Tensor log(Tensor x) {
        return unary(UnaryOp.LOG, x);
    }

    public static Tensor neg(Tensor x) {
        return unary(UnaryOp.NEG, x);
    }

    /** z = f(a, b) with NumPy broadcasting: shapes are aligned at the right; each pair of dims must be equal or 1. */
    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op == null ? "binary" : op.name().toLowerCase();
        checkOpen(name, a, b);
        if (op == null) {
            throw new IllegalArgumentException("binary: op is null");
        }
        Shape out = broadcastShape(name, a.shape(), b.shape());
        Tensor z = a.backend().empty(out);
        a.backend().binary(op, z, a, b);
        return z;
    }

    public static Tensor add(Tensor a, Tensor b) {
        return binary(BinaryOp.ADD, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary(BinaryOp.SUB, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary(BinaryOp.MUL, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary(BinaryOp.DIV, a, b);
    }

    /** alpha·x + beta. */
    public static Tensor affine(Tensor x, float alpha, float beta) {
        checkOpen("affine", x);
        Tensor out = x.backend().empty(x.shape());
        x.backend().affine(out, x, alpha, beta);
        return out;
    }

    /** alpha·x. */
    public static Tensor scale(Tensor x, float alpha) {
        return affine(x, alpha, 0f);
    }

    /** min(max(x, lo), hi); lo may be −∞ and hi +∞ for a one-sided clip. */
    public static Tensor clip(Tensor x, float lo, float hi) {
        checkOpen("clip", x);
        if (Float.isNaN(lo) || Float.isNaN(hi)) {
            throw new IllegalArgumentException("clip: bounds must not be NaN, got [" + lo + ", " + hi + "]");
        }
        Tensor out = x.backend().empty(x.shape());
        x.backend().clip(out, x, lo, hi);
        return out;
    }

    /** The NumPy broadcast of two shapes, or an exception naming both. */
    public static Shape broadcastShape(String op, Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] d = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dim(i - (r - a.rank()));
            int db = i < r - b.rank() ? 1 : b.dim(i - (r - b.rank()));
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b
                        + " do not broadcast (axis " + i + ": " + da + " vs " + db + ")");
            }
            d[i] = da == 1 ? db : da;
        }
        return Shape.of(d);
    }

    // ================================================================ reductions

    /**
     * Reduces over {@code axes} (negative counts from the end; none given = all axes). With
     * {@code keepDims} the reduced axes stay as size 1, otherwise they are removed.
     */
    public static Tensor reduce(ReduceOp op, Tensor x, boolean keepDims, int... axes) {
        String name = op == null ? "reduce" : "reduce" + op.name().charAt(0) + op.name().substring(1).toLowerCase();
        checkOpen(name, x);
        if (op == null) {
            throw new IllegalArgumentException("reduce: op is null");
        }
        int r = x.shape().rank();
        boolean[] flag = new boolean[r];
        if (axes == null || axes.length == 0) {
            Arrays.fill(flag, true);
        } else {
            for (int a : axes) {
                int n = a < 0 ? a + r : a;
                if (n < 0 || n >= r) {
                    throw new IllegalArgumentException(name + ": axis " + a + " out of range for " + x.shape());
                }
                if (flag[n]) {
                    throw new IllegalArgumentException(name + ": axis " + a + " given twice in " + Arrays.toString(axes));
                }
                flag[n] = true;
            }
        }
        if (op == ReduceOp.MAX) {
            for (int i = 0; i < r; i++) {
                if (flag[i] && x.shape().dim(i) == 0) {
                    throw new IllegalArgumentException(name + ": cannot take the max over empty axis " + i + " of " + x.shape());
                }
            }
        }
        int[] outDims = new int[r];
        int kept = 0;
        for (int i = 0; i < r; i++) {
            outDims[i] = flag[i] ? 1 : x.shape().dim(i);
            if (!flag[i]) {
                kept++;
            }
        }
        Shape outShape;
        if (keepDims) {
            outShape = Shape.of(outDims);
        } else {
            int[] d = new int[kept];
            for (int i = 0, j = 0; i < r; i++) {
                if (!flag[i]) {
                    d[j++] = outDims[i];
                }
            }
            outShape = Shape.of(d);
        }
        // Dropping size-1 axes does not move elements, so the backend may write the keepdims layout.
        Tensor out = x.backend().empty(outShape);
        x.backend().reduce(op, out, x, flag);
        return out;
    }

    public static Tensor sum(Tensor x, int... axes) {
        return reduce(ReduceOp.SUM, x, false, axes);
    }

    public static Tensor mean(Tensor x, int... axes) {
        return reduce(ReduceOp.MEAN, x, false, axes);
    }

    // ================================================================ layout

    /** Concatenation along {@code axis}; all other dims must agree. */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts == null || parts.length == 0) {
            throw new IllegalArgumentException("concat: no tensors given");
        }
        checkOpen("concat", parts);
        Shape first = parts[0].shape();
        int a = axisOf("concat", first, axis);
        int total = 0;
        for (Tensor p : parts) {
            Shape s = p.shape();
            if (s.rank() != first.rank()) {
                throw new IllegalArgumentException("concat: ranks differ: " + shapes(parts));
            }
            for (int i = 0; i < s.rank(); i++) {
                if (i != a && s.dim(i) != first.dim(i)) {
                    throw new IllegalArgumentException("concat along axis " + axis + ": shapes " + shapes(parts)
                            + " differ on axis " + i);
                }
            }
            total += s.dim(a);
        }
        Tensor out = parts[0].backend().empty(first.with(a, total));
        parts[0].backend().concat(out, parts.clone(), a);
        return out;
    }

    /** x[..., start : start + length, ...] along {@code axis}, as a new tensor. */
    public static Tensor slice(Tensor x, int axis, int start, int length) {
        checkOpen("slice", x);
        int a = axisOf("slice", x.shape(), axis);
        int n = x.shape().dim(a);
        if (start < 0 || length < 0 || start + (long) length > n) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + ((long) start + length)
                    + ") is outside axis " + axis + " of size " + n + " in " + x.shape());
        }
        Tensor out = x.backend().empty(x.shape().with(a, length));
        x.backend().slice(out, x, a, start);
        return out;
    }

    /** Splits along {@code axis} into consecutive pieces of the given sizes, which must add up to the axis. */
    public static Tensor[] split(Tensor x, int axis, int... sizes) {
        checkOpen("split", x);
        int a = axisOf("split", x.shape(), axis);
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: negative size " + s + " in " + Arrays.toString(sizes));
            }
            sum += s;
        }
        if (sum != x.shape().dim(a)) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + sum
                    + ", axis " + axis + " of " + x.shape() + " has " + x.shape().dim(a));
        }
        Tensor[] out = new Tensor[sizes.length];
        int start = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = slice(x, a, start, sizes[i]);
            start += sizes[i];
        }
        return out;
    }

    // ================================================================ linear algebra

    /** a[M,K]·b[K,N]. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, false, false);
    }

    /** op(a)·op(b) for 2-D a and b; see {@link Backend#matmul}. */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        checkOpen("matmul", a, b);
        requireRank("matmul", a, 2, "a");
        requireRank("matmul", b, 2, "b");
        int m = transA ? a.shape().dim(1) : a.shape().dim(0);
        int ka = transA ? a.shape().dim(0) : a.shape().dim(1);
        int kb = transB ? b.shape().dim(1) : b.shape().dim(0);
        int n = transB ? b.shape().dim(0) : b.shape().dim(1);
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: a " + a.shape() + (transA ? "ᵀ" : "") + " and b " + b.shape()
                    + (transB ? "ᵀ" : "") + " have inner dimensions " + ka + " != " + kb);
        }
        Tensor out = a.backend().empty(Shape.of(m, n));
        a.backend().matmul(out, a, b, transA, transB);
        return out;
    }

    /**
     * Fully connected layer y = x·wᵀ + bias, with x [N, in], w [out, in] (PyTorch's {@code nn.Linear}
     * layout) and bias [out] or null.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        checkOpen("linear", x, w);
        requireRank("linear", x, 2, "input");
        requireRank("linear", w, 2, "weight");
        if (x.shape().dim(1) != w.shape().dim(1)) {
            throw new IllegalArgumentException("linear: input " + x.shape() + " has " + x.shape().dim(1)
                    + " features, weight " + w.shape() + " expects " + w.shape().dim(1));
        }
        if (bias != null) {
            checkOpen("linear", x, bias);
            if (!bias.shape().equals(Shape.of(w.shape().dim(0)))) {
                throw new IllegalArgumentException("linear: bias " + bias.shape() + " must be [" + w.shape().dim(0)
                        + "] for weight " + w.shape());
            }
        }
        Tensor y = x.backend().empty(Shape.of(x.shape().dim(0), w.shape().dim(0)));
        x.backend().matmul(y, x, w, false, true);
        if (bias != null) {
            x.backend().binary(BinaryOp.ADD, y, y, bias);
        }
        return y;
    }

    /** 2-D convolution; see {@link Backend#conv2d}. bias may be null. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Shape outShape = checkConv2d("conv2d", x, w, bias, spec);
        Tensor out = x.backend().empty(outShape);
        x.backend().conv2d(out, x, w, bias, spec);
        return out;
    }

    /**
     * The inference block convolution → batch norm with given statistics → ReLU (when {@code relu}),
     * in one backend call: {@code relu(batchNorm(conv2d(x, w, null, spec), gamma, beta, mean, var, eps))}.
     * gamma, beta, mean and var are [Cout]. See {@link Backend#conv2dBatchNormInference}.
     */
    public static Tensor conv2dBatchNorm(Tensor x, Tensor w, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
                                         float eps, Conv2dSpec spec, boolean relu) {
        String op = "conv2dBatchNorm";
        Shape outShape = checkConv2d(op, x, w, null, spec);
        checkOpen(op, x, w, gamma, beta, mean, var);   // argument numbers as in this method's signature
        checkBatchNorm(op, outShape, eps, gamma, beta, mean, var);
        Tensor out = x.backend().empty(outShape);
        x.backend().conv2dBatchNormInference(out, x, w, gamma, beta, mean, var, eps, spec, relu);
        return out;
    }

    /**
     * The branch pool of Inception's modules in inference, in one backend call: {@code conv2dBatchNorm(avgPool2d(x,
     * pool), w, gamma, beta, mean, var, eps, spec, relu)}. See {@link Backend#avgPool2dConv2dBatchNormInference}:
     * a backend may average the convolution's output channels instead of x's, which changes the last bits.
     */
    public static Tensor avgPool2dConv2dBatchNorm(Tensor x, Tensor w, Tensor gamma, Tensor beta, Tensor mean,
                                                  Tensor var, float eps, Pool2dSpec pool, Conv2dSpec spec,
                                                  boolean relu) {
        String op = "avgPool2dConv2dBatchNorm";
        checkOpen(op, x, w, gamma, beta, mean, var);   // argument numbers as in this method's signature
        Shape pooled = poolShape(op, x, pool);
        requireSupported(op, x.backend(), OptionalFeature.neededBy(pool), pool);
        Shape outShape = checkConv2d(op, pooled, x.backend(), w, null, spec);
        checkBatchNorm(op, outShape, eps, gamma, beta, mean, var);
        Tensor out = x.backend().empty(outShape);
        x.backend().avgPool2dConv2dBatchNormInference(out, x, w, gamma, beta, mean, var, eps, pool, spec, relu);
        return out;
    }

    /** Checks conv2d's arguments under the name {@code op}; returns the output shape. */
    private static Shape checkConv2d(String op, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        checkOpen(op, x, w);
        if (spec == null) {
            throw new IllegalArgumentException(op + ": spec is null");
        }
        requireRank(op, x, 4, "input [N,C,H,W]");
        if (bias != null) {
            checkOpen(op, x, bias);
        }
        return checkConv2d(op, x.shape(), x.backend(), w, bias, spec);
    }

    /** {@link #checkConv2d(String, Tensor, Tensor, Tensor, Conv2dSpec)} for an input of shape xs [N,C,H,W] on be. */
    private static Shape checkConv2d(String op, Shape xs, Backend be, Tensor w, Tensor bias, Conv2dSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException(op + ": spec is null");
        }
        requireRank(op, w, 4, "weight [Cout,Cin,kh,kw]");
        Shape ws = w.shape();
        if (xs.dim(1) != ws.dim(1)) {
            throw new IllegalArgumentException(op + ": input " + xs + " has " + xs.dim(1) + " channels, weight "
                    + ws + " expects " + ws.dim(1));
        }
        int kh = ws.dim(2), kw = ws.dim(3);
        if (kh < 1 || kw < 1 || ws.dim(0) < 1) {
            throw new IllegalArgumentException(op + ": weight " + ws + " is empty");
        }
        checkPadding(op, xs, ws, spec.padTop(), spec.padBottom(), spec.padLeft(), spec.padRight(),
                spec.dilationH() * (kh - 1) + 1, spec.dilationW() * (kw - 1) + 1, spec);
        int oh = spec.outH(xs.dim(2), kh), ow = spec.outW(xs.dim(3), kw);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " (" + spec
                    + ") is larger than the padded input " + xs);
        }
        if (bias != null && !bias.shape().equals(Shape.of(ws.dim(0)))) {
            throw new IllegalArgumentException(op + ": bias " + bias.shape() + " must be [" + ws.dim(0)
                    + "] for weight " + ws);
        }
        requireSupported(op, be, OptionalFeature.neededBy(spec), spec);
        return Shape.of(xs.dim(0), ws.dim(0), oh, ow);
    }

    // ================================================================ normalization

    /** Inference batch norm with running statistics; see {@link Backend#batchNormInference}. */
    public static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, float eps) {
        checkOpen("batchNorm", x, gamma, beta, mean, var);
        checkBatchNorm("batchNorm", x, eps, gamma, beta, mean, var);
        Tensor out = x.backend().empty(x.shape());
        x.backend().batchNormInference(out, x, gamma, beta, mean, var, eps);
        return out;
    }

    /** What training-mode batch norm returns: the output and the saved statistics backward needs. */
    public record BatchNormResult(Tensor out, Tensor mean, Tensor invStd) {
    }

    /**
     * Training batch norm with batch statistics; <b>updates runningMean and runningVar in place</b>.
     * See {@link Backend#batchNormTraining}. momentum in [0, 1] (PyTorch convention: weight of the batch).
     */
    public static BatchNormResult batchNormTraining(Tensor x, Tensor gamma, Tensor beta,
                                                    Tensor runningMean, Tensor runningVar,
                                                    float eps, float momentum) {
        return batchNormTraining(x, gamma, beta, runningMean, runningVar, eps, momentum, false);
    }

    /**
     * {@link #batchNormTraining}, followed by a ReLU when {@code relu} (one backend call; see
     * {@link Backend#batchNormTraining(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, float,
     * float, boolean)}).
     */
    public static BatchNormResult batchNormTraining(Tensor x, Tensor gamma, Tensor beta,
                                                    Tensor runningMean, Tensor runningVar,
                                                    float eps, float momentum, boolean relu) {
        checkOpen("batchNormTraining", x, gamma, beta, runningMean, runningVar);
        checkBatchNorm("batchNormTraining", x, eps, gamma, beta, runningMean, runningVar);
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("batchNormTraining: momentum must be in [0, 1], got " + momentum);
        }
        int m = x.size() / x.shape().dim(1);
        if (m < 1) {
            throw new IllegalArgumentException("batchNormTraining: input " + x.shape() + " has no values per channel");
        }
        Backend be = x.backend();
        Shape c = Shape.of(x.shape().dim(1));
        Tensor out = be.empty(x.shape());
        Tensor mean = be.empty(c);
        Tensor invStd = be.empty(c);
        if (relu) {
            be.batchNormTraining(out, mean, invStd, x, gamma, beta, runningMean, runningVar, eps, momentum, true);
        } else {
            be.batchNormTraining(out, mean, invStd, x, gamma, beta, runningMean, runningVar, eps, momentum);
        }
        return new BatchNormResult(out, mean, invStd);
    }

    private static void checkBatchNorm(String op, Tensor x, float eps, Tensor... perChannel) {
        checkBatchNorm(op, x.shape(), eps, perChannel);
    }

    /** As above for an input of shape {@code xs} (for the fused op: the convolution's output). */
    private static void checkBatchNorm(String op, Shape xs, float eps, Tensor... perChannel) {
        if (xs.rank() < 2) {
            throw new IllegalArgumentException(op + ": input " + xs + " must have rank >= 2 ([N,C,...])");
        }
        int c = xs.dim(1);
        if (c < 1) {
            throw new IllegalArgumentException(op + ": input " + xs + " has no channels");
        }
        String[] names = {"gamma", "beta", "mean", "var"};
        for (int i = 0; i < perChannel.length; i++) {
            if (!perChannel[i].shape().equals(Shape.of(c))) {
                throw new IllegalArgumentException(op + ": " + names[i] + " " + perChannel[i].shape() + " must be ["
                        + c + "] for input " + xs);
            }
        }
        if (!(eps > 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be > 0 and finite, got " + eps);
        }
    }

    // ================================================================ pooling

    public static Tensor maxPool2d(Tensor x, Pool2dSpec spec) {
        checkOpen("maxPool2d", x);
        Shape ys = poolShape("maxPool2d", x, spec);
        requireSupported("maxPool2d", x.backend(), OptionalFeature.neededBy(spec), spec);
        Tensor out = x.backend().empty(ys);
        x.backend().maxPool2d(out, x, spec);
        return out;
    }

    public static Tensor avgPool2d(Tensor x, Pool2dSpec spec) {
        checkOpen("avgPool2d", x);
        Shape ys = poolShape("avgPool2d", x, spec);
        requireSupported("avgPool2d", x.backend(), OptionalFeature.neededBy(spec), spec);
        Tensor out = x.backend().empty(ys);
        x.backend().avgPool2d(out, x, spec);
        return out;
    }

    /** Mean over H and W: [N,C,H,W] → [N,C,1,1]. */
    public static Tensor globalAvgPool(Tensor x) {
        checkOpen("globalAvgPool", x);
        requireRank("globalAvgPool", x, 4, "input [N,C,H,W]");
        if (x.shape().dim(2) < 1 || x.shape().dim(3) < 1) {
            throw new IllegalArgumentException("globalAvgPool: input " + x.shape() + " has an empty spatial grid");
        }
        return reduce(ReduceOp.MEAN, x, true, 2, 3);
    }

    private static Shape poolShape(String op, Tensor x, Pool2dSpec spec) {
        requireRank(op, x, 4, "input [N,C,H,W]");
        return poolShapeOf(op, x.shape(), spec);
    }

    private static Shape poolShapeOf(String op, Shape xs, Pool2dSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException(op + ": spec is null");
        }
        int keh = spec.dilationH() * (spec.kernelH() - 1) + 1, kew = spec.dilationW() * (spec.kernelW() - 1) + 1;
        checkPadding(op, xs, null, spec.padTop(), spec.padBottom(), spec.padLeft(), spec.padRight(), keh, kew, spec);
        int oh = spec.outH(xs.dim(2)), ow = spec.outW(xs.dim(3));
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": kernel " + spec.kernelH() + "x" + spec.kernelW() + " (" + spec
                    + ") is larger than the padded input " + xs);
        }
        // With dilation a window's taps can all fall into the padding (a max of nothing, 0/0 average).
        int emptyH = firstEmptyWindow(xs.dim(2), oh, spec.kernelH(), spec.strideH(), spec.padTop(), spec.dilationH());
        int emptyW = firstEmptyWindow(xs.dim(3), ow, spec.kernelW(), spec.strideW(), spec.padLeft(), spec.dilationW());
        if (emptyH >= 0 || emptyW >= 0) {
            throw new IllegalArgumentException(op + ": " + (emptyH >= 0 ? "output row " + emptyH : "output column " + emptyW)
                    + " has a window with no input cell (only padding) for input " + xs + " (" + spec + ")");
        }
        return Shape.of(xs.dim(0), xs.dim(1), oh, ow);
    }

    /** The first output index along one axis whose window taps no real input cell, or -1. */
    private static int firstEmptyWindow(int in, int out, int k, int stride, int padBegin, int dilation) {
        for (int o = 0; o < out; o++) {
            boolean any = false;
            for (int i = 0; i < k && !any; i++) {
                int pos = o * stride - padBegin + i * dilation;
                any = pos >= 0 && pos < in;
            }
            if (!any) {
                return o;
            }
        }
        return -1;
    }

    /**
     * Padding may be at most the (dilated) kernel extent minus one on each side: beyond that a
     * window could lie wholly in the padding (an all-zero conv output, a −∞ max, an average over
     * nothing), which is always a mistake in the caller's geometry.
     */
    private static void checkPadding(String op, Shape xs, Shape ws, int top, int bottom, int left, int right,
                                     int extentH, int extentW, Object spec) {
        // spec is printed only in the message: every convolution and pooling call passes here.
        if (top > extentH - 1 || bottom > extentH - 1 || left > extentW - 1 || right > extentW - 1) {
            throw new IllegalArgumentException(op + ": padding (top,left,bottom,right)=(" + top + "," + left + ","
                    + bottom + "," + right + ") is larger than kernel extent " + extentH + "x" + extentW
                    + " minus 1, for input " + xs + (ws == null ? "" : " and weight " + ws) + " (" + spec + ")");
        }
    }

    // ================================================================ softmax

    /** Softmax along {@code axis}. */
    public static Tensor softmax(Tensor x, int axis) {
        return softmax("softmax", x, axis, false);
    }

    /** Log-softmax along {@code axis}. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        return softmax("logSoftmax", x, axis, true);
    }

    private static Tensor softmax(String op, Tensor x, int axis, boolean log) {
        checkOpen(op, x);
        int a = axisOf(op, x.shape(), axis);
        Tensor out = x.backend().empty(x.shape());
        x.backend().softmax(out, x, a, log);
        return out;
    }

    // ================================================================ regularization

    /** Output and mask of dropout; the mask holds 0 or 1/(1−p), what backward multiplies by. */
    public record DropoutResult(Tensor out, Tensor mask) {
    }

    /** Inverted dropout with drop probability p in [0, 1); see {@link Backend#dropout}. */
    public static DropoutResult dropout(Tensor x, float p, long seed) {
        checkOpen("dropout", x);
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: probability p must be in [0, 1), got " + p);
        }
        Tensor out = x.backend().empty(x.shape());
        Tensor mask = x.backend().empty(x.shape());
        x.backend().dropout(out, mask, x, p, seed);
        return new DropoutResult(out, mask);
    }

    // ================================================================ backward primitives (validated)

    /** dL/dx of {@link #conv2d} for an input of shape {@code xShape}; see {@link Backend#conv2dBackwardData}. */
    public static Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        checkOpen("conv2dBackwardData", dy, w);
        checkConvGrad("conv2dBackwardData", dy, xShape, w.shape(), spec);
        requireSupported("conv2dBackwardData", dy.backend(), OptionalFeature.neededBy(spec), spec);
        Tensor dx = dy.backend().empty(xShape);
        dy.backend().conv2dBackwardData(dx, dy, w, spec);
        return dx;
    }

    /** dL/dw of {@link #conv2d} for a weight of shape {@code wShape}; see {@link Backend#conv2dBackwardWeight}. */
    public static Tensor conv2dBackwardWeight(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        checkOpen("conv2dBackwardWeight", dy, x);
        checkConvGrad("conv2dBackwardWeight", dy, x.shape(), wShape, spec);
        requireSupported("conv2dBackwardWeight", dy.backend(), OptionalFeature.neededBy(spec), spec);
        Tensor dw = dy.backend().empty(wShape);
        dy.backend().conv2dBackwardWeight(dw, dy, x, spec);
        return dw;
    }

    private static void checkConvGrad(String op, Tensor dy, Shape xs, Shape ws, Conv2dSpec spec) {
        if (spec == null || xs == null || ws == null) {
            throw new IllegalArgumentException(op + ": spec and shapes must not be null");
        }
        if (xs.rank() != 4 || ws.rank() != 4 || xs.dim(1) != ws.dim(1)) {
            throw new IllegalArgumentException(op + ": input " + xs + " and weight " + ws
                    + " must be [N,C,H,W] and [Cout,C,kh,kw]");
        }
        int oh = spec.outH(xs.dim(2), ws.dim(2)), ow = spec.outW(xs.dim(3), ws.dim(3));
        Shape expected = Shape.of(xs.dim(0), ws.dim(0), Math.max(oh, 0), Math.max(ow, 0));
        if (oh < 1 || ow < 1 || !dy.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": upstream gradient " + dy.shape() + " does not match the forward"
                    + " output " + expected + " of input " + xs + ", weight " + ws + " (" + spec + ")");
        }
    }

    /** The three gradients of training-mode batch norm. */
    public record BatchNormGrads(Tensor dx, Tensor dgamma, Tensor dbeta) {
    }

    /** Gradients of {@link #batchNormTraining}; see {@link Backend#batchNormBackward}. */
    public static BatchNormGrads batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                                   Tensor saveInvStd) {
        checkOpen("batchNormBackward", dy, x, gamma, saveMean, saveInvStd);
        checkBatchNorm("batchNormBackward", x, 1f, gamma, saveMean, saveInvStd);
        sameShape("batchNormBackward", dy, x);
        Backend be = x.backend();
        Shape c = gamma.shape();
        Tensor dx = be.empty(x.shape());
        Tensor dgamma = be.empty(c);
        Tensor dbeta = be.empty(c);
        be.batchNormBackward(dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd);
        return new BatchNormGrads(dx, dgamma, dbeta);
    }

    /**
     * Gradients of {@link #batchNormTraining} with a ReLU, from the block's output y: those of
     * {@link #batchNormBackward} for dy·[y &gt; 0]; see {@link Backend#batchNormReluBackward}.
     */
    public static BatchNormGrads batchNormReluBackward(Tensor dy, Tensor y, Tensor x, Tensor gamma, Tensor saveMean,
                                                       Tensor saveInvStd) {
        checkOpen("batchNormReluBackward", dy, y, x, gamma, saveMean, saveInvStd);
        checkBatchNorm("batchNormReluBackward", x, 1f, gamma, saveMean, saveInvStd);
        sameShape("batchNormReluBackward", dy, x);
        if (!y.shape().equals(x.shape())) {
            throw new IllegalArgumentException("batchNormReluBackward: output y " + y.shape() + " does not match input x "
                    + x.shape());
        }
        Backend be = x.backend();
        Shape c = gamma.shape();
        Tensor dx = be.empty(x.shape());
        Tensor dgamma = be.empty(c);
        Tensor dbeta = be.empty(c);
        be.batchNormReluBackward(dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd);
        return new BatchNormGrads(dx, dgamma, dbeta);
    }

    /** dx = dy·[y &gt; 0] from ReLU's output y. */
    public static Tensor reluBackward(Tensor dy, Tensor y) {
        checkOpen("reluBackward", dy, y);
        sameShape("reluBackward", dy, y);
        Tensor dx = y.backend().empty(y.shape());
        y.backend().reluBackward(dx, dy, y);
        return dx;
    }

    /**
     * Gradient of {@link #maxPool2d} (tie rule in {@link Backend#maxPool2dBackward}); {@code y} is the
     * forward output {@code maxPool2d(x, spec)}, which cuDNN's pooling backward needs.
     */
    public static Tensor maxPool2dBackward(Tensor dy, Tensor x, Tensor y, Pool2dSpec spec) {
        checkOpen("maxPool2dBackward", dy, x, y);
        Shape ys = poolShape("maxPool2dBackward", x, spec);
        if (!dy.shape().equals(ys)) {
            throw new IllegalArgumentException("maxPool2dBackward: upstream gradient " + dy.shape()
                    + " does not match the forward output " + ys + " of input " + x.shape() + " (" + spec + ")");
        }
        if (!y.shape().equals(ys)) {
            throw new IllegalArgumentException("maxPool2dBackward: forward output y " + y.shape()
                    + " does not match the shape " + ys + " that max pooling gives for input " + x.shape()
                    + " (" + spec + ")");
        }
        requireSupported("maxPool2dBackward", x.backend(), OptionalFeature.neededBy(spec), spec);
        Tensor dx = x.backend().empty(x.shape());
        x.backend().maxPool2dBackward(dx, dy, x, y, spec);
        return dx;
    }

    /** Gradient of {@link #avgPool2d} for an input of shape {@code xShape}. */
    public static Tensor avgPool2dBackward(Tensor dy, Shape xShape, Pool2dSpec spec) {
        checkOpen("avgPool2dBackward", dy);
        if (xShape == null || xShape.rank() != 4) {
            throw new IllegalArgumentException("avgPool2dBackward: input shape " + xShape + " must be [N,C,H,W]");
        }
        Shape ys = poolShapeOf("avgPool2dBackward", xShape, spec);
        if (!dy.shape().equals(ys)) {
            throw new IllegalArgumentException("avgPool2dBackward: upstream gradient " + dy.shape()
                    + " does not match the forward output " + ys + " of input " + xShape + " (" + spec + ")");
        }
        requireSupported("avgPool2dBackward", dy.backend(), OptionalFeature.neededBy(spec), spec);
        Tensor dx = dy.backend().empty(xShape);
        dy.backend().avgPool2dBackward(dx, dy, spec);
        return dx;
    }

    /** Gradient of {@link #softmax} or {@link #logSoftmax} from the forward output y. */
    public static Tensor softmaxBackward(Tensor dy, Tensor y, int axis, boolean log) {
        checkOpen("softmaxBackward", dy, y);
        sameShape("softmaxBackward", dy, y);
        int a = axisOf("softmaxBackward", y.shape(), axis);
        Tensor dx = y.backend().empty(y.shape());
        y.backend().softmaxBackward(dx, dy, y, a, log);
        return dx;
    }

    /** Loss (a scalar [] tensor) and, when asked for, dL/dlogits of label-smoothed cross-entropy. */
    public record CrossEntropyResult(Tensor loss, Tensor dlogits) {
    }

    /**
     * Label-smoothed softmax cross-entropy, mean over the batch (paper §7); see
     * {@link Backend#softmaxCrossEntropy}. ε in [0, 1); labels in [0, K); prior [K] non-negative,
     * summing to 1 (null: uniform 1/K).
     */
    public static CrossEntropyResult softmaxCrossEntropy(Tensor logits, int[] labels, float epsilon, Tensor prior,
                                                         boolean withGradient) {
        checkOpen("softmaxCrossEntropy", logits);
        requireRank("softmaxCrossEntropy", logits, 2, "logits [N,K]");
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        if (n < 1 || k < 1) {
            throw new IllegalArgumentException("softmaxCrossEntropy: logits " + logits.shape() + " are empty");
        }
        if (!(epsilon >= 0f && epsilon < 1f)) {
            throw new IllegalArgumentException("softmaxCrossEntropy: label smoothing epsilon must be in [0, 1), got "
                    + epsilon);
        }
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("softmaxCrossEntropy: " + (labels == null ? "labels are null"
                    : labels.length + " labels") + " for logits " + logits.shape() + " (need " + n + ")");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException("softmaxCrossEntropy: label " + labels[i] + " at index " + i
                        + " is outside [0, " + k + ")");
            }
        }
        if (prior != null) {
            checkOpen("softmaxCrossEntropy", logits, prior);
            if (!prior.shape().equals(Shape.of(k))) {
                throw new IllegalArgumentException("softmaxCrossEntropy: prior " + prior.shape() + " must be [" + k + "]");
            }
            double sum = 0;
            for (float v : prior.toArray()) {
                if (!(v >= 0f)) {
                    throw new IllegalArgumentException("softmaxCrossEntropy: prior has a negative or NaN entry " + v);
                }
                sum += v;
            }
            if (Math.abs(sum - 1.0) > 1e-4) {
                throw new IllegalArgumentException("softmaxCrossEntropy: prior sums to " + sum + ", not 1");
            }
        }
        Backend be = logits.backend();
        Tensor loss = be.empty(Shape.scalar());
        Tensor d = withGradient ? be.empty(logits.shape()) : null;
        be.softmaxCrossEntropy(loss, d, logits, labels.clone(), epsilon, prior);
        return new CrossEntropyResult(loss, d);
    }

    private static void sameShape(String op, Tensor dy, Tensor y) {
        if (!dy.shape().equals(y.shape())) {
            throw new IllegalArgumentException(op + ": upstream gradient " + dy.shape() + " does not match " + y.shape());
        }
    }

    // ================================================================ optimizer primitives (validated)

    /** out[i] = Σ_j xs[i][j]², one per tensor: shape [T]; see {@link Backend#sumOfSquares}. */
    public static Tensor sumOfSquares(Tensor... xs) {
        checkLists("sumOfSquares", new String[] {"x"}, new Tensor[][] {xs}, 0, false);
        Tensor out = xs[0].backend().empty(Shape.of(xs.length));
        xs[0].backend().sumOfSquares(out, xs.clone());
        return out;
    }

    /** y[i] ← y[i] + α·x[i], <b>in place</b>; see {@link Backend#axpy}. */
    public static void axpy(Tensor[] y, float alpha, Tensor[] x) {
        checkLists("axpy", new String[] {"y", "x"}, new Tensor[][] {y, x}, 1, true);
        requireFinite("axpy", "alpha", alpha);
        y[0].backend().axpy(y.clone(), alpha, x.clone());
    }

    /**
     * SGD with momentum on every entry, <b>updating theta and acc in place</b>; see
     * {@link Backend#momentumUpdate}. lr ≥ 0, μ in [0, 1), both finite.
     */
    public static void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                                      boolean nesterov) {
        String op = "momentumUpdate";
        checkLists(op, new String[] {"theta", "acc", "grad"}, new Tensor[][] {theta, acc, grad}, 2, false, scale);
        checkScale(op, scale, theta.length);
        requireRate(op, lr);
        requireUnit(op, "mu", mu);
        theta[0].backend().momentumUpdate(theta.clone(), acc.clone(), grad.clone(), scale, lr, mu, nesterov);
    }

    /**
     * RMSProp on every entry, <b>updating theta, ms and mom in place</b>; see
     * {@link Backend#rmsPropUpdate}. lr ≥ 0, ρ and μ in [0, 1), ε &gt; 0, all finite.
     */
    public static void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr,
                                     float rho, float mu, float eps) {
        String op = "rmsPropUpdate";
        checkLists(op, new String[] {"theta", "ms", "mom", "grad"}, new Tensor[][] {theta, ms, mom, grad}, 3, false, scale);
        checkScale(op, scale, theta.length);
        requireRate(op, lr);
        requireUnit(op, "rho", rho);
        requireUnit(op, "mu", mu);
        requirePositive(op, "eps", eps);
        theta[0].backend().rmsPropUpdate(theta.clone(), ms.clone(), mom.clone(), grad.clone(), scale, lr, rho, mu, eps);
    }

    /**
     * Adam on every entry, <b>updating theta, m, v and the two one-element powers in place</b>; see
     * {@link Backend#adamUpdate}. lr ≥ 0, β₁ and β₂ in [0, 1), ε̂ &gt; 0, all finite.
     */
    public static void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power,
                                  Tensor beta2Power, Tensor scale, float lr, float beta1, float beta2, float eps) {
        String op = "adamUpdate";
        checkLists(op, new String[] {"theta", "m", "v", "grad"}, new Tensor[][] {theta, m, v, grad}, 3, false,
                scale, beta1Power, beta2Power);
        checkScale(op, scale, theta.length);
        for (Tensor p : new Tensor[] {beta1Power, beta2Power}) {
            if (p.size() != 1) {
                throw new IllegalArgumentException(op + ": the powers must have one element each, got "
                        + beta1Power.shape() + " and " + beta2Power.shape());
            }
        }
        if (beta1Power == beta2Power || beta1Power == scale || beta2Power == scale) {
            throw new IllegalArgumentException(op + ": beta1Power, beta2Power and scale must be three different tensors"
                    + " (the powers are written)");
        }
        for (int i = 0; i < grad.length; i++) {
            if (grad[i] == beta1Power || grad[i] == beta2Power) {
                throw new IllegalArgumentException(op + ": grad entry " + i + " " + grad[i].shape()
                        + " is one of the powers, which are written");
            }
        }
        requireRate(op, lr);
        requireUnit(op, "beta1", beta1);
        requireUnit(op, "beta2", beta2);
        requirePositive(op, "eps", eps);
        theta[0].backend().adamUpdate(theta.clone(), m.clone(), v.clone(), grad.clone(), beta1Power, beta2Power, scale,
                lr, beta1, beta2, eps);
    }

    /**
     * shadow ← shadow − (1 − d)·(shadow − θ) on every entry, <b>in place</b>, unless {@code gate} (one
     * element) is not finite; see {@link Backend#emaUpdate}. d in [0, 1].
     */
    public static void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) {
        String op = "emaUpdate";
        checkLists(op, new String[] {"shadow", "theta"}, new Tensor[][] {shadow, theta}, 1, false, gate);
        if (gate.size() != 1) {
            throw new IllegalArgumentException(op + ": gate " + gate.shape() + " must have one element");
        }
        if (!(decay >= 0f && decay <= 1f)) {
            throw new IllegalArgumentException(op + ": decay must be in [0, 1], got " + decay);
        }
        shadow[0].backend().emaUpdate(shadow.clone(), theta.clone(), gate, decay);
    }

    /**
     * The lists of a multi-tensor op: non-empty, all of one length; entry i of one shape in every
     * list; every tensor (and each of {@code alsoRead}) open and of one backend. The first
     * {@code written} lists are written: each of their tensors appears once among them all and is
     * none of the tensors read (the later lists and {@code alsoRead}), except, with
     * {@code ownEntryMayRepeat}, a read tensor that is the written tensor of its own entry (axpy's
     * y[i] = x[i]: an elementwise update reads each element before it writes it).
     */
    private static void checkLists(String op, String[] names, Tensor[][] lists, int written, boolean ownEntryMayRepeat,
                                   Tensor... alsoRead) {
        for (int l = 0; l < lists.length; l++) {
            if (lists[l] == null || lists[l].length == 0) {
                throw new IllegalArgumentException(op + ": " + names[l] + " is " + (lists[l] == null ? "null" : "empty"));
            }
            if (lists[l].length != lists[0].length) {
                throw new IllegalArgumentException(op + ": " + names[0] + " has " + lists[0].length + " tensors, "
                        + names[l] + " " + lists[l].length);
            }
        }
        int t = lists[0].length;
        Tensor[] all = new Tensor[lists.length * t + alsoRead.length];
        for (int l = 0; l < lists.length; l++) {
            System.arraycopy(lists[l], 0, all, l * t, t);
        }
        System.arraycopy(alsoRead, 0, all, lists.length * t, alsoRead.length);
        checkOpen(op, all);
        for (int i = 0; i < t; i++) {
            for (int l = 1; l < lists.length; l++) {
                if (!lists[l][i].shape().equals(lists[0][i].shape())) {
                    throw new IllegalArgumentException(op + ": entry " + i + " has " + names[0] + " "
                            + lists[0][i].shape() + " but " + names[l] + " " + lists[l][i].shape());
                }
            }
        }
        java.util.Map<Tensor, String> writes = new java.util.IdentityHashMap<>();
        for (int l = 0; l < written; l++) {
            for (int i = 0; i < t; i++) {
                String where = names[l] + " entry " + i + " " + lists[l][i].shape();
                String before = writes.put(lists[l][i], where);
                if (before != null) {
                    throw new IllegalArgumentException(op + ": " + where + " is the same tensor as " + before
                            + "; a tensor that is written must appear once");
                }
            }
        }
        for (int l = written; l < lists.length; l++) {
            for (int i = 0; i < t; i++) {
                String w = writes.get(lists[l][i]);
                boolean ownEntry = ownEntryMayRepeat && lists[0][i] == lists[l][i];
                if (w != null && !ownEntry) {
                    throw new IllegalArgumentException(op + ": " + names[l] + " entry " + i + " " + lists[l][i].shape()
                            + " is the same tensor as " + w + ", which is written");
                }
            }
        }
        for (Tensor r : alsoRead) {
            String w = writes.get(r);
            if (w != null) {
                throw new IllegalArgumentException(op + ": the one-element tensor " + r.shape()
                        + " is the same tensor as " + w + ", which is written");
            }
        }
    }

    /** scale: one element for every entry, or [T], one per entry. */
    private static void checkScale(String op, Tensor scale, int entries) {
        if (scale.size() != 1 && !scale.shape().equals(Shape.of(entries))) {
            throw new IllegalArgumentException(op + ": scale " + scale.shape() + " must have one element or one per"
                    + " entry ([" + entries + "])");
        }
    }

    private static void requireFinite(String op, String name, float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(op + ": " + name + " must be finite, got " + v);
        }
    }

    private static void requireRate(String op, float lr) {
        if (!(lr >= 0f && Float.isFinite(lr))) {
            throw new IllegalArgumentException(op + ": learning rate must be >= 0 and finite, got " + lr);
        }
    }

    private static void requireUnit(String op, String name, float v) {
        if (!(v >= 0f && v < 1f)) {
            throw new IllegalArgumentException(op + ": " + name + " must be in [0, 1), got " + v);
        }
    }

    private static void requirePositive(String op, String name, float v) {
        if (!(v > 0f && Float.isFinite(v))) {
            throw new IllegalArgumentException(op + ": " + name + " must be > 0 and finite, got " + v);
        }
    }

    // ================================================================ checks

    /**
     * Every tensor must be non-null, open, and of the first tensor's backend.
     *
     * @throws IllegalArgumentException for null or a tensor of another backend
     * @throws IllegalStateException for a closed tensor
     */
    public static void checkOpen(String op, Tensor... ts) {
        Backend be = null;
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            if (t == null) {
                throw new IllegalArgumentException(op + ": argument " + i + " is null");
            }
            if (t.isClosed()) {
                throw new IllegalStateException(op + ": tensor " + t.shape() + " (argument " + i + ") is closed");
            }
            if (be == null) {
                be = t.backend();
            } else if (t.backend() != be) {
                String same = t.backend().name().equals(be.name())
                        ? " (two instances of one backend: tensors do not move between instances either)" : "";
                throw new IllegalArgumentException(op + ": tensor " + t.shape() + " (argument " + i
                        + ") belongs to backend '" + t.backend().name() + "' (" + t.backend().describe()
                        + "), the others to '" + be.name() + "' (" + be.describe() + ")" + same + "; arguments: "
                        + owners(ts));
            }
        }
    }

    /** "[2,3] on 'cpu', [3] on 'cuda'": each argument's shape and owner, for the message above. */
    private static String owners(Tensor[] ts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ts.length; i++) {
            b.append(i == 0 ? "" : ", ").append(ts[i] == null ? "null"
                    : ts[i].shape() + " on '" + ts[i].backend().name() + "'");
        }
        return b.toString();
    }

    /**
     * Refuses a call that needs an {@link OptionalFeature} the backend leaves out
     * ({@link Backend#unsupported()}), naming the op, the feature, the geometry and the backend.
     */
    private static void requireSupported(String op, Backend be, java.util.Set<OptionalFeature> needed, Object spec) {
        if (needed.isEmpty()) {
            return;
        }
        java.util.Set<OptionalFeature> left = be.unsupported();
        for (OptionalFeature f : needed) {
            if (left.contains(f)) {
                throw new UnsupportedOperationException(op + ": backend '" + be.name() + "' does not support "
                        + f.description() + ", which " + spec + " needs (it declares " + left
                        + " unsupported; see Backend#unsupported)");
            }
        }
    }

    private static void requireBackend(String op, Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException(op + ": backend is null");
        }
    }

    private static Shape requireShape(String op, Shape shape) {
        if (shape == null) {
            throw new IllegalArgumentException(op + ": shape is null");
        }
        return shape;
    }

    private static void requireRank(String op, Tensor t, int rank, String what) {
        if (t.shape().rank() != rank) {
            throw new IllegalArgumentException(op + ": " + what + " must have rank " + rank + ", got " + t.shape());
        }
    }

    private static int axisOf(String op, Shape s, int axis) {
        int r = s.rank();
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for " + s + " (rank " + r + ")");
        }
        return a;
    }

    private static String shapes(Tensor[] ts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ts.length; i++) {
            b.append(i == 0 ? "" : ", ").append(ts[i].shape());
        }
        return b.toString();
    }
}
