package org.inceptionj.cpu;

/**
 * The weight gradient of a 1×1 convolution with a short reduction (small planes: Inception's 8×8,
 * 3×3 and 1×1 ones), as {@link Conv2dBlocked}'s register tiles. A fast path that a reader may skip:
 * {@link Conv2dBackward}'s plain loop defines the result, and this path gives the GEMM's bits
 * ({@link Conv2dBackwardWeightGemm}), because it sums each element in the same order.
 *
 * <p>For a 1×1 the gradient is a product of two matrices that lie in x and dy already:
 * <pre>
 *   dw[co, ci] = Σ_{n, p} dy[n, co, p] · x[n, ci, p]
 * </pre>
 * That is a forward convolution with the roles turned: the input channels ci are its "positions",
 * Cout its output channels, and the reduction steps s = (n, p) its input channels. So the blocked
 * kernel computes it with x read in place (step s of position ci reads x[n·Cin·P + p + ci·P]) and
 * dyᵀ packed as its weights ([s][co], a vector of output channels per step), and writes dw [Cout, Cin]
 * as it writes an output plane. Why: with few positions per image the GEMM's strips of colᵀ are
 * short and its reduction is cut by images; here the tile's positions are the input channels, as
 * many as the layer has. Measured on two threads (Zen 4), in one process, alternating with the GEMM:
 * the default run's 192→48, 192→40 and 320→48 over 3×3 planes (batch 64) 1.8×, 1.5× and 2.2×;
 * Mixed_7's 2048→448, 1280→320 and 2048→192 over 8×8 planes (batch 8) 1.16×, 1.22× and 1.39×; the
 * default run's training step 2.4–3.7% faster, the same bits.
 *
 * <p>Order of the sum: each element starts from zero and takes one FMA per step s = n·P + p in
 * ascending order, the GEMM's order over an unsplit reduction; so the same bits.
 */
final class Conv2dBackwardWeightPointwise {
    private Conv2dBackwardWeightPointwise() {
    }

    private static final int L = Vectors.F.length();

    /**
     * Reductions shorter than this stay with the GEMM: over 1×1 planes (batch 32 and 64, 32 to 80 output
     * channels) this path ran 0.3–1.3× the GEMM's speed, each call a tenth of a millisecond.
     */
    static final int MIN_STEPS = 256;

    /**
     * Where this path is taken: AVX-512 (the blocked kernel's 32 registers), a 1×1 stride-1 unpadded
     * convolution whose reduction N·P is at least {@link #MIN_STEPS} but neither long enough for
     * {@link Conv2dBackwardWeightRows} nor cut into parts ({@link Conv2dBackward#REDUCTION_SPLIT}), and
     * whose packed dyᵀ fits an array.
     */
    static boolean applies(Conv2d.Geometry g) {
        long steps = (long) g.batch() * g.positions();
        return Gemm.WIDE && g.pointwise() && !Conv2dBackwardWeightRows.applies(g)
                && steps >= MIN_STEPS && steps < Conv2dBackward.REDUCTION_SPLIT
                && (long) (g.cout() + L - 1) / L * L * steps <= Integer.MAX_VALUE - 16;
    }

    /** The convolution that computes g's weight gradient: Cin positions, Cout channels, N·P steps. */
    static Conv2d.Geometry turned(Conv2d.Geometry g) {
        int steps = g.batch() * g.positions();
        return new Conv2d.Geometry(1, steps, 1, g.cin(), g.cout(), 1, 1, 1, g.cin(), 1, 1, 0, 0, 1, 1);
    }

    /** Overwrites dw [Cout, Cin] with g's weight gradient from dy [N, Cout, P] and x [N, Cin, P]. */
    static void weight(CpuBackend cpu, float[] dw, float[] dy, float[] x, Conv2d.Geometry g) {
        Conv2d.Geometry t = turned(g);
        int p = g.positions(), cin = g.cin(), cout = g.cout(), steps = t.cin();
        int[] tapOff = new int[steps];
        for (int s = 0; s < steps; s++) {
            tapOff[s] = s / p * cin * p + s % p;
        }
        int[] base = new int[cin];
        for (int ci = 0; ci < cin; ci++) {
            base[ci] = ci * p;
        }
        float[] dyT = cpu.cache().allocateStale(Conv2dBlocked.packedLength(t));
        try {
            packTransposed(dy, g, dyT);
            Conv2dBlocked.compute(cpu, dw, x, tapOff, base, dyT, null, t, null);
        } finally {
            cpu.cache().recycle(dyT);
        }
    }

    /**
     * dyᵀ in {@link Conv2dBlocked#packWeights}' layout for {@link #turned}(g): the group of fb vectors from
     * channel co0 starts at co0·S and holds, for step s = n·P + p, dy[n, co, p] at s·fb·L + co − co0 (zero
     * for co ≥ Cout).
     */
    static void packTransposed(float[] dy, Conv2d.Geometry g, float[] dyT) {
        int p = g.positions(), cout = g.cout(), steps = g.batch() * p;
        int[] starts = Conv2dBlocked.groupStarts((cout + L - 1) / L);
        for (int gr = 0; gr + 1 < starts.length; gr++) {
            int co0 = starts[gr] * L, width = (starts[gr + 1] - starts[gr]) * L, at = co0 * steps;
            for (int s = 0; s < steps; s++, at += width) {
                int src = s / p * cout * p + s % p;
                for (int c = 0; c < width; c++) {
                    dyT[at + c] = co0 + c < cout ? dy[src + (co0 + c) * p] : 0f;
                }
            }
        }
    }
}
