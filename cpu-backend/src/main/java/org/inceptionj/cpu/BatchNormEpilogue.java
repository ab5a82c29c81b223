package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Inference batch norm and ReLU applied to a convolution's output while {@link Gemm} still holds it:
 * for output channel m, c ← act((c − mean[m])·scale[m] + beta[m]) with scale = γ/√(var + ε) and act
 * = max(·, 0) or the identity. The same float operations in the same order as
 * {@link BatchNorm#inference} and {@link Elementwise}'s RELU, so the fused result is bit for bit the
 * three separate calls; only the two passes over the output (each a read and a write of the whole
 * activation) are gone.
 */
record BatchNormEpilogue(float[] mean, float[] scale, float[] beta, boolean relu) {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();

    /** For gamma, beta, running mean and variance of Cout channels. */
    static BatchNormEpilogue of(float[] gamma, float[] beta, float[] mean, float[] var, float eps, boolean relu) {
        return new BatchNormEpilogue(mean, BatchNorm.scales(gamma, var, eps), beta, relu);
    }

    /**
     * The mean, scale and beta of the L output channels from c into consts[0, 3L), 0 past cout: what
     * {@link #normalizeVectors} reads.
     */
    void constants(int c, int cout, float[] consts) {
        VectorMask<Float> real = F.indexInRange(c, cout);
        FloatVector.fromArray(F, mean, c, real).intoArray(consts, 0);
        FloatVector.fromArray(F, scale, c, real).intoArray(consts, L);
        FloatVector.fromArray(F, beta, c, real).intoArray(consts, 2 * L);
    }

    /**
     * a[at + i·stride, + L) for i &lt; count, each a vector of output channels in the lanes (a register tile's
     * layout: {@link Conv2dBlocked}, {@link Conv2dWinograd}), normalized in place with those channels' mean,
     * scale and beta from consts ({@link #constants}): the same float operations as {@link #apply}.
     * Why vectors go in and out through memory: C2 compiles a Vector API operation to an instruction only
     * where it inlines the call, and a vector passed to a method it did not inline (the kernels that call
     * this are large) ran the API's allocating Java fallback: in the batch-1 eval forward about 3% of the
     * time and 350 MB of garbage a second (a young collection every 1.5 s), from F(4×4, 3×3)'s outputs.
     * Here every vector is made and used within this small method.
     */
    void normalizeVectors(float[] a, int at, int stride, int count, float[] consts) {
        FloatVector mu = FloatVector.fromArray(F, consts, 0), sc = FloatVector.fromArray(F, consts, L),
                be = FloatVector.fromArray(F, consts, 2 * L);
        for (int i = 0, o = at; i < count; i++, o += stride) {
            FloatVector v = FloatVector.fromArray(F, a, o).sub(mu).mul(sc).add(be);
            (relu ? v.max(0f) : v).intoArray(a, o);
        }
    }

    /**
     * dst[to + i·L, + L) = src[from + i·L, + L) normalized as {@link #normalizeVectors} normalizes it, for i &lt;
     * count: one pass where normalizing a run of vectors in place and then copying it took two (a
     * convolution's blocked output leaving its scratch). Where the reduction is short the two passes weighed
     * most: Conv2d_3b (64 → 80 at 73 × 73, a fifth of its time) 1.05–1.06× faster, the stem's Conv2d_1a
     * (27 steps) about 1.17×, the long 1×1s 1.01–1.04× (two threads, in one process, the geometric mean of
     * both orders).
     */
    void normalizeVectorsInto(float[] src, int from, float[] dst, int to, int count, float[] consts) {
        FloatVector mu = FloatVector.fromArray(F, consts, 0), sc = FloatVector.fromArray(F, consts, L),
                be = FloatVector.fromArray(F, consts, 2 * L);
        for (int i = 0; i < count * L; i += L) {
            FloatVector v = FloatVector.fromArray(F, src, from + i).sub(mu).mul(sc).add(be);
            (relu ? v.max(0f) : v).intoArray(dst, to + i);
        }
    }

    /**
     * dst[to + j] = channel m's normalization of src[from + j] for j &lt; cols (src and dst may be the
     * same run): one pass where normalizing in place and then copying would take two.
     */
    void applyInto(float[] src, int from, float[] dst, int to, int m, int cols) {
        float mu = mean[m], sc = scale[m], be = beta[m];
        FloatVector vmu = FloatVector.broadcast(F, mu), vsc = FloatVector.broadcast(F, sc),
                vbe = FloatVector.broadcast(F, be);
        int j = 0;
        for (; j + L <= cols; j += L) {
            FloatVector v = FloatVector.fromArray(F, src, from + j).sub(vmu).mul(vsc).add(vbe);
            (relu ? v.max(0f) : v).intoArray(dst, to + j);
        }
        for (; j < cols; j++) {
            float v = (src[from + j] - mu) * sc + be;
            dst[to + j] = relu ? Math.max(v, 0f) : v;
        }
    }

    /** Rows m0 .. m0+rows−1 (output channels), cols elements each, row m0 + r at c[at + r·ldc], in place. */
    void apply(float[] c, int at, int ldc, int m0, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            applyInto(c, at + r * ldc, c, at + r * ldc, m0 + r, cols);
        }
    }
}
