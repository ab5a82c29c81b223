package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;

/**
 * Elementwise ops: y = f(x), z = f(a, b) with NumPy broadcasting, y = α·x + β, clip, and ReLU's
 * backward.
 *
 * <p>Every vector kernel here does per lane exactly the IEEE operation the plain loop does
 * (add, mul, div, sqrt, min, max are correctly rounded either way), so both paths give the same
 * bits. EXP and LOG always run the plain loop: the Vector API's transcendental functions may differ
 * by an ulp between their intrinsic and their Java fallback, which would make results depend on
 * whether the JIT has compiled the kernel yet.
 */
final class Elementwise {
    private Elementwise() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    /** Elements per parallel chunk below which a loop is not split. */
    private static final int GRAIN = 1 << 15;

    // ================================================================ unary

    /** out[i] = f(x[i]). out may alias x. */
    static void unary(CpuBackend cpu, UnaryOp op, Tensor out, Tensor x) {
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        boolean vector = cpu.vectorized() && op != UnaryOp.EXP && op != UnaryOp.LOG;
        cpu.parallel().forRange(o.length, GRAIN, (lo, hi) -> {
            if (vector) {
                unaryVector(op, o, xs, lo, hi);
            } else {
                unaryPlain(op, o, xs, lo, hi);
            }
        });
    }

    static float apply(UnaryOp op, float x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SQRT -> (float) Math.sqrt(x); // the double root rounds to the correctly rounded float root
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case RELU -> Math.max(x, 0f);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1f / x;
        };
    }

    /** a[i] = max(a[i], 0) for i in [lo, hi): {@link #unary} RELU's bits, in place (for fused blocks). */
    static void reluInPlace(float[] a, int lo, int hi, boolean vector) {
        if (vector) {
            unaryVector(UnaryOp.RELU, a, a, lo, hi);
        } else {
            unaryPlain(UnaryOp.RELU, a, a, lo, hi);
        }
    }

    /** dx[i] = dy[i] where y[i] &gt; 0, else 0, for i in [lo, hi): {@link #reluBackward}'s bits (for fused blocks). */
    static void reluMask(float[] dx, float[] dy, float[] y, int lo, int hi, boolean vector) {
        if (vector) {
            reluBackwardVector(dx, dy, y, lo, hi);
        } else {
            reluBackwardPlain(dx, dy, y, lo, hi);
        }
    }

    private static void unaryPlain(UnaryOp op, float[] out, float[] x, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            out[i] = apply(op, x[i]);
        }
    }

    /** One loop per op, each with a constant lane operation (see {@link Vectors} on why no helper takes vectors). */
    private static void unaryVector(UnaryOp op, float[] out, float[] x, int lo, int hi) {
        int i = lo, step = F.length(), bound = lo + F.loopBound(hi - lo);
        switch (op) {
            case NEG -> {
                for (; i < bound; i += step) {
                    FloatVector.fromArray(F, x, i).neg().intoArray(out, i);
                }
            }
            case ABS -> {
                for (; i < bound; i += step) {
                    FloatVector.fromArray(F, x, i).abs().intoArray(out, i);
                }
            }
            case SQRT -> {
                for (; i < bound; i += step) {
                    FloatVector.fromArray(F, x, i).sqrt().intoArray(out, i);
                }
            }
            case RELU -> {
                for (; i < bound; i += step) {
                    FloatVector.fromArray(F, x, i).max(0f).intoArray(out, i);
                }
            }
            case SQUARE -> {
                for (; i < bound; i += step) {
                    FloatVector v = FloatVector.fromArray(F, x, i);
                    v.mul(v).intoArray(out, i);
                }
            }
            case RECIPROCAL -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (; i < bound; i += step) {
                    one.div(FloatVector.fromArray(F, x, i)).intoArray(out, i);
                }
            }
            case EXP, LOG -> throw new IllegalStateException("cpu unary: " + op + " has no vector kernel");
        }
        unaryPlain(op, out, x, i, hi);
    }

    // ================================================================ affine and clip

    /** out[i] = alpha·x[i] + beta (multiply, then add: two roundings on both paths). out may alias x. */
    static void affine(CpuBackend cpu, Tensor out, Tensor x, float alpha, float beta) {
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        boolean vector = cpu.vectorized();
        cpu.parallel().forRange(o.length, GRAIN, (lo, hi) -> {
            int i = lo;
            if (vector) {
                for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
                    FloatVector.fromArray(F, xs, i).mul(alpha).add(beta).intoArray(o, i);
                }
            }
            for (; i < hi; i++) {
                o[i] = alpha * xs[i] + beta;
            }
        });
    }

    /** out[i] = min(max(x[i], lo), hi). out may alias x. */
    static void clip(CpuBackend cpu, Tensor out, Tensor x, float lo, float hi) {
        float[] o = CpuBackend.data(out), xs = CpuBackend.data(x);
        boolean vector = cpu.vectorized();
        cpu.parallel().forRange(o.length, GRAIN, (from, to) -> {
            int i = from;
            if (vector) {
                for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
                    FloatVector.fromArray(F, xs, i).max(lo).min(hi).intoArray(o, i);
                }
            }
            for (; i < to; i++) {
                o[i] = Math.min(Math.max(xs[i], lo), hi);
            }
        });
    }

    // ================================================================ binary with broadcasting

    static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    /**
     * out[idx] = f(a[idx mod a's shape], b[idx mod b's shape]) for every multi-index idx of out:
     * NumPy broadcasting, shapes aligned at the right, a dimension of 1 repeated.
     *
     * <p>The loop nest is out's shape with size-1 axes dropped and neighbouring axes merged where
     * both inputs step through them contiguously (or both repeat them). What is left is a list of
     * rows: the innermost merged axis, along which a and b each either advance by one element or
     * repeat one value. A channel bias b [1,C,1,1] over a [N,C,H,W] becomes N·C rows of H·W with b
     * repeated; equal shapes become one row. Threads take contiguous ranges of out, cut across rows
     * where needed. out may alias a, and b when their shapes are equal.
     */
    static void binary(CpuBackend cpu, BinaryOp op, Tensor out, Tensor a, Tensor b) {
        float[] o = CpuBackend.data(out), as = CpuBackend.data(a), bs = CpuBackend.data(b);
        if (o.length == 0) {
            return;
        }
        Broadcast g = Broadcast.of(out.shape().dims(), a.shape().dims(), b.shape().dims());
        int rowLength = g.rowLength();
        int aStep = g.aStride[g.rank - 1], bStep = g.bStride[g.rank - 1];
        boolean vector = cpu.vectorized();
        cpu.parallel().forRange(o.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; ) {
                int row = i / rowLength, from = i - row * rowLength, to = Math.min(rowLength, from + (hi - i));
                int ao = g.offset(row, g.aStride), bo = g.offset(row, g.bStride), at = row * rowLength;
                if (vector) {
                    binaryRowVector(op, o, at, as, ao, aStep, bs, bo, bStep, from, to);
                } else {
                    binaryRowPlain(op, o, at, as, ao, aStep, bs, bo, bStep, from, to);
                }
                i += to - from;
            }
        });
    }

    /** out[o + j] = f(a[ao + j·aStep], b[bo + j·bStep]) for j in [from, to); each step is 0 or 1. */
    private static void binaryRowPlain(BinaryOp op, float[] out, int o, float[] a, int ao, int aStep,
                                       float[] b, int bo, int bStep, int from, int to) {
        for (int j = from; j < to; j++) {
            out[o + j] = apply(op, a[ao + j * aStep], b[bo + j * bStep]);
        }
    }

    /**
     * The vector row kernels: one loop per op, each with a constant lane operation. A helper of
     * ours taking and returning vectors would box them whenever C2 declines to inline it, and the
     * lane operation would then run the Vector API's Java fallback (see {@link Vectors}).
     */
    private static void binaryRowVector(BinaryOp op, float[] out, int o, float[] a, int ao, int aStep,
                                        float[] b, int bo, int bStep, int from, int to) {
        int done;
        if (aStep == 1 && bStep == 1) {
            done = rowBothVector(op, out, o, a, ao, b, bo, from, to);
        } else if (aStep == 1) {
            done = rowRepeatedBVector(op, out, o, a, ao, b[bo], from, to);
        } else if (bStep == 1) {
            done = rowRepeatedAVector(op, out, o, a[ao], b, bo, from, to);
        } else {
            done = from; // both repeated: every element is the same scalar, the plain loop is as fast
        }
        binaryRowPlain(op, out, o, a, ao, aStep, b, bo, bStep, done, to);
    }

    /** out[o + j] = f(a[ao + j], b[bo + j]) over the whole vectors in [from, to); returns where it stopped. */
    private static int rowBothVector(BinaryOp op, float[] out, int o, float[] a, int ao, float[] b, int bo,
                                     int from, int to) {
        // The optimizer's and the tape's updates (ADD, SUB, MUL, DIV on equal shapes) take this
        // loop. C2 does not fold apply(op, ·, ·) into it for a varying op (profile: the generic
        // lanewise fallback, not the intrinsic), so each of those ops has its own loop, where the
        // lane operation is a constant.
        switch (op) {
            case ADD -> {
                return rowAdd(out, o, a, ao, b, bo, from, to);
            }
            case SUB -> {
                return rowSub(out, o, a, ao, b, bo, from, to);
            }
            case MUL -> {
                return rowMul(out, o, a, ao, b, bo, from, to);
            }
            case DIV -> {
                return rowDiv(out, o, a, ao, b, bo, from, to);
            }
            case MAX -> {
                int j = from;
                for (int bound = from + F.loopBound(to - from); j < bound; j += F.length()) {
                    FloatVector.fromArray(F, a, ao + j).max(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
                return j;
            }
            case MIN -> {
                int j = from;
                for (int bound = from + F.loopBound(to - from); j < bound; j += F.length()) {
                    FloatVector.fromArray(F, a, ao + j).min(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
                return j;
            }
        }
        throw new IllegalStateException("cpu binary: " + op);
    }

    private static int rowAdd(float[] out, int o, float[] a, int ao, float[] b, int bo, int from, int to) {
        int j = from;
        for (int bound = from + F.loopBound(to - from); j < bound; j += F.length()) {
            FloatVector.fromArray(F, a, ao + j).add(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
        }
        return j;
    }

    private static int rowSub(float[] out, int o, float[] a, int ao, float[] b, int bo, int from, int to) {
        int j = from;
        for (int bound = from + F.loopBound(to - from); j < bound; j += F.length()) {
            FloatVector.fromArray(F, a, ao + j).sub(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
        }
        return j;
    }

    private static int rowMul(float[] out, int o, float[] a, int ao, float[] b, int bo, int from, int to) {
        int j = from;
        for (int bound = from + F.loopBound(to - from); j < bound; j += F.length()) {
            FloatVector.fromArray(F, a, ao + j).mul(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
        }
        return j;
    }

    private static int rowDiv(float[] out, int o, float[] a, int ao, float[] b, int bo, int from, int to) {
        int j = from;
        for (int bound = from + F.loopBound(to - from); j < bound; j += F.length()) {
            FloatVector.fromArray(F, a, ao + j).div(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
        }
        return j;
    }

    /** out[o + j] = f(a[ao + j], b) likewise: a scalar b, as in a per-channel scale or shift. */
    private static int rowRepeatedBVector(BinaryOp op, float[] out, int o, float[] a, int ao, float b,
                                          int from, int to) {
        int j = from, step = F.length(), bound = from + F.loopBound(to - from);
        switch (op) {
            case ADD -> {
                for (; j < bound; j += step) {
                    FloatVector.fromArray(F, a, ao + j).add(b).intoArray(out, o + j);
                }
            }
            case SUB -> {
                for (; j < bound; j += step) {
                    FloatVector.fromArray(F, a, ao + j).sub(b).intoArray(out, o + j);
                }
            }
            case MUL -> {
                for (; j < bound; j += step) {
                    FloatVector.fromArray(F, a, ao + j).mul(b).intoArray(out, o + j);
                }
            }
            case DIV -> {
                for (; j < bound; j += step) {
                    FloatVector.fromArray(F, a, ao + j).div(b).intoArray(out, o + j);
                }
            }
            case MAX -> {
                for (; j < bound; j += step) {
                    FloatVector.fromArray(F, a, ao + j).max(b).intoArray(out, o + j);
                }
            }
            case MIN -> {
                for (; j < bound; j += step) {
                    FloatVector.fromArray(F, a, ao + j).min(b).intoArray(out, o + j);
                }
            }
        }
        return j;
    }

    /** out[o + j] = f(a, b[bo + j]) likewise: a scalar a. */
    private static int rowRepeatedAVector(BinaryOp op, float[] out, int o, float a, float[] b, int bo,
                                          int from, int to) {
        FloatVector av = FloatVector.broadcast(F, a);
        int j = from, step = F.length(), bound = from + F.loopBound(to - from);
        switch (op) {
            case ADD -> {
                for (; j < bound; j += step) {
                    av.add(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
            }
            case SUB -> {
                for (; j < bound; j += step) {
                    av.sub(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
            }
            case MUL -> {
                for (; j < bound; j += step) {
                    av.mul(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
            }
            case DIV -> {
                for (; j < bound; j += step) {
                    av.div(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
            }
            case MAX -> {
                for (; j < bound; j += step) {
                    av.max(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
            }
            case MIN -> {
                for (; j < bound; j += step) {
                    av.min(FloatVector.fromArray(F, b, bo + j)).intoArray(out, o + j);
                }
            }
        }
        return j;
    }

    /**
     * The merged loop nest of a broadcast: dims of out (size-1 axes dropped, mergeable neighbours
     * merged) and, per input, the element stride along each (0 where it is repeated).
     */
    private record Broadcast(int rank, int[] dims, int[] aStride, int[] bStride) {

        static Broadcast of(int[] out, int[] a, int[] b) {
            int r = out.length;
            int[] as = inputStrides(out, a), bs = inputStrides(out, b);
            int[] d = new int[r + 1], sa = new int[r + 1], sb = new int[r + 1];
            int m = 0;
            for (int i = 0; i < r; i++) {
                if (out[i] == 1) {
                    continue;
                }
                // Merge axis i into the previous kept axis when both inputs continue it seamlessly.
                if (m > 0 && sa[m - 1] == as[i] * out[i] && sb[m - 1] == bs[i] * out[i]) {
                    d[m - 1] *= out[i];
                    sa[m - 1] = as[i];
                    sb[m - 1] = bs[i];
                } else {
                    d[m] = out[i];
                    sa[m] = as[i];
                    sb[m] = bs[i];
                    m++;
                }
            }
            if (m == 0) { // a single element
                d[0] = 1;
                sa[0] = 0;
                sb[0] = 0;
                m = 1;
            }
            return new Broadcast(m, java.util.Arrays.copyOf(d, m), java.util.Arrays.copyOf(sa, m),
                    java.util.Arrays.copyOf(sb, m));
        }

        /** Row-major strides of an input right-aligned to out, 0 on repeated (size-1) axes. */
        private static int[] inputStrides(int[] out, int[] in) {
            int[] s = new int[out.length];
            int shift = out.length - in.length, acc = 1;
            for (int i = out.length - 1; i >= shift; i--) {
                int d = in[i - shift];
                s[i] = d == 1 ? 0 : acc;
                acc *= d;
            }
            return s;
        }

        int rowLength() {
            return dims[rank - 1];
        }

        /** Offset of the start of {@code row} (an index over all axes but the last) in the input with these strides. */
        int offset(int row, int[] stride) {
            int off = 0;
            for (int i = rank - 2; i >= 0; i--) {
                off += (row % dims[i]) * stride[i];
                row /= dims[i];
            }
            return off;
        }
    }

    // ================================================================ ReLU backward

    /**
     * dx[i] = dy[i] where y[i] &gt; 0, else 0, from ReLU's output y (the derivative at 0 is taken as 0;
     * a NaN output passes nothing). Overwrites dx. Both paths select, so they give the same bits.
     */
    static void reluBackward(CpuBackend cpu, Tensor dx, Tensor dy, Tensor y) {
        float[] d = CpuBackend.data(dx), g = CpuBackend.data(dy), ys = CpuBackend.data(y);
        boolean vector = cpu.vectorized();
        cpu.parallel().forRange(d.length, GRAIN, (lo, hi) -> {
            if (vector) {
                reluBackwardVector(d, g, ys, lo, hi);
            } else {
                reluBackwardPlain(d, g, ys, lo, hi);
            }
        });
    }

    private static void reluBackwardPlain(float[] dx, float[] dy, float[] y, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            dx[i] = y[i] > 0f ? dy[i] : 0f;
        }
    }

    private static void reluBackwardVector(float[] dx, float[] dy, float[] y, int lo, int hi) {
        FloatVector zero = FloatVector.zero(F);
        int i = lo;
        for (int bound = lo + F.loopBound(hi - lo); i < bound; i += F.length()) {
            VectorMask<Float> passes = FloatVector.fromArray(F, y, i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(F, dy, i), passes).intoArray(dx, i);
        }
        reluBackwardPlain(dx, dy, y, i, hi);
    }
}
