package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Tensor;

/**
 * Stride-1 3×3, 5×5, 1×3, 3×1, 1×7 and 7×1 convolutions by Winograd's minimal filtering (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). F(2×2, 3×3): each 2×2 block of
 * outputs (a tile) comes from its 4×4 window of x with 16 multiplications per input channel instead of 36.
 * <pre>
 *   Y = Aᵀ [ Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 *
 *        [1  0 -1  0]        [ 1    0    0 ]
 *   Bᵀ = [0  1  1  0]    G = [ 1/2  1/2  1/2]    Aᵀ = [1  1  1  0]
 *        [0 -1  1  0]        [ 1/2 -1/2  1/2]         [0  1 -1 -1]
 *        [0  1  0 -1]        [ 0    0    1 ]
 * </pre>
 * with g a 3×3 kernel of w and d a 4×4 window of x. The sum over the input channels is, for each of
 * the 16 points ξ of the 4×4 transform, a product of the transformed inputs [tiles × Cin] and weights
 * [Cin × Cout]: 16 products that {@link Conv2dBlocked}'s register tiles compute, with tiles as their
 * positions and the input channels as their steps. So 2.25× fewer multiply-adds than the direct sum,
 * for the price of the transforms (additions only, per tile and channel, not per channel pair).
 *
 * <p>Where: the fused inference convolution, and in training the forward convolution and the data
 * gradient (a forward convolution of dy with the turned kernel, see {@link Conv2d#dataAsForward}). The
 * sums differ from the direct sum's in their last bits (the transforms add and subtract before and
 * after the products; Lavin and Gray measure F(2×2, 3×3) as accurate as the direct form in fp32, and
 * the conformance kit's float bounds hold), but not with the thread count: a run is as reproducible
 * as before, and {@code -Dinceptionj.cpu.winograd=false} gives the direct sums' bits back.
 *
 * <p>Work: tiles are taken in blocks of {@link #tileBlock} across the batch; a block's transformed
 * inputs (16 × Cin × tiles) and sums (16 × Cout × tiles) stay in L2 while the 16 products run over
 * them, and each block's outputs are transformed, normalized (the fused batch norm and ReLU) and
 * stored before the next block. Blocks (and, where there are too few, ranges of output channels) are
 * the parallel tasks. Every output's sum runs over ci in order, then through the fixed transforms, so
 * the result depends neither on the blocks nor on the threads.
 *
 * <p>Over planes of at least {@link #MIN_SIX_POINT_POSITIONS} outputs (16 × 16) and from
 * {@link #MIN_SIX_POINT_CHANNELS} input channels, 3×3 kernels take F(4×4, 3×3) instead ({@link Plan#SQUARE4}):
 * a tile is 4×4 outputs from a 6×6 window, 36 products per input channel for 16 outputs, 2.25 per output
 * against F(2×2, 3×3)'s 4 and the direct sum's 9. Its transforms are Lavin and Gray's, applied along rows and
 * then columns with their shared terms written out ({@link #forward6}, {@link #inverse6}). Its error is
 * larger (0.51 of the conformance kit's float bound at 32 input channels on the kit's widest values, F(2×2,
 * 3×3)'s 0.06), within the bound. It takes Conv2d_2a and 2b from {@link Conv2dDirect} too. Measured in the
 * eval forward on two threads, in one process, alternating with F(2×2, 3×3) (and the direct path for
 * Conv2d_2a and 2b), per layer: batch 1, Conv2d_4a 1.28×, the 35 × 35 3×3s 1.55–1.70×, Conv2d_2a 1.31× and
 * 2b 1.68×; batch 8, 1.24×, 1.40–1.49×, 1.14–1.24× and 1.39–1.47×. Over 8 × 8 planes (4 tiles an image) it
 * streams 36 points' weights for few products: not taken there. The 5×5 kernels take F(2×2, 5×5) on the
 * same six points and the same input transform ({@link Plan#SQUARE5}): 9 products per output against 25,
 * 0.11 of the kit's bound at 32 channels; Mixed_5b–5d's 5×5s (48 → 64 at 35 × 35) 1.54–1.80× alone, 1.26×
 * (batch 1) and 1.16× (batch 8) in the eval forward.
 *
 * <p>The factorized 1×n and n×1 kernels (n = 3 or 7) take the one-dimensional F(2, n) along their row or
 * column the same way ({@link Plan}): a tile is two outputs, its window n + 1 inputs, and there are n + 1
 * products instead of 2n, with transforms built by Toom-Cook from the interpolation points 0, ±1 and ∞,
 * and for n = 7 also ±2 and ±1/2. Their errors are larger than F(2×2, 3×3)'s; they take only
 * convolutions over at least {@link #MIN_ROW_CHANNELS} input channels, where the sum is long enough for
 * them to stay within the conformance kit's float bound. From {@link #MIN_FOUR_OUTPUT_CHANNELS} input channels
 * (Inception's factorized layers) a tile is four outputs instead, F(4, n), from a window of n + 3 inputs at
 * the points 0, ±1, ±2 and ∞, and for n = 7 also ±1/2 and ±3/4: n + 3 products for four outputs, so
 * F(4, 7) takes 2.5 per output against F(2, 7)'s 4, F(4, 3) 1.5 against 2 (over 17 outputs a row, five
 * tiles of F(4, 7) compute 20 of them: 50 products against nine tiles' 72). Measured alone, two threads, in one
 * process, in both orders against F(2, n): batch 8, the 1×7 192 → 192 at 17 × 17 1.35–1.45×, the 7×1 160 →
 * 160 1.15–1.17×, 1×3 and 3×1 384 → 384 at 8 × 8 1.21–1.24× and 1.11–1.18×; batch 1, the 1×7 and 7×1 at
 * 17 × 17 1.15–1.26× (128 → 128 1.0–1.12×). The eval forward, two models in one process, each run alternating
 * with the other in both orders and the plans swapped between the models: batch 8 1.054–1.067×, batch 1
 * 1.033–1.052×. The training paths take them too (one rule for a kernel's plan); a training step at 299 × 299,
 * batch 8, measured the same way, ran 0.96–1.05× (four runs): no difference this host could show.
 *
 * <p>Measured against the blocked direct path (Zen 4, AVX-512), one thread, batch 1: Conv2d_4a (80 →
 * 192 at 73×73) 1.46–1.56×, 96 → 96 and 64 → 96 at 35×35 1.47×, 448 → 384 at 8×8 1.70×; the eval
 * forward on two threads, in one process: batch 8 1.3–4.5% faster, batch 1 1.2–3.5%. F(2, 3), two
 * threads: 1×3 and 3×1 384 → 384 at 8×8 1.07–1.20×. F(2, 7), two threads, batch 8: the 1×7 and 7×1 layers
 * at 17×17 1.06–1.30× in the eval forward (which ran 2.3% faster; batch 1 1.6%), 1.07–1.29× in a training
 * step (3.6% faster). The transformed weights (4/3 or 16/9 of the
 * weights) are kept beside the weights, made again after any write (once per step in training); the
 * data gradient transforms the turned kernel into reused scratch on every call. A training step at
 * 299×299, batch 8, two threads, in one process: 3.2–4.9% faster (Conv2d_4a forward 1.44×, its data
 * gradient 1.31×, 448 → 384 at 8×8 1.19× and 1.41×, the 35×35 layers 1.16–1.26×).
 */
final class Conv2dWinograd {
    private Conv2dWinograd() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    /** Points of the 4×4 transform. */
    static final int POINTS = 16;

    /**
     * One algorithm: F(2×2, 3×3) (16 points, 2×2 tiles; its transforms written out below), F(4×4, 3×3) or
     * F(2×2, 5×5) (36 points, the one-dimensional bt (6 × 6), gm (6 × r) and at (m × 6) applied along rows and
     * columns, the transforms written out in {@link #forward6}, {@link #inverse6} and {@link #inverse62}), or
     * F(2, r) along a row (1×r kernels, 1×2 tiles) or a column (r×1, 2×1 tiles) with bt (points × points),
     * gm (points × r) and at (2 × points): Y = at · [(gm · g) ⊙ (bt · d)]. For the one-dimensional plans
     * btTerms[ξ] and atTerms[i] list the columns of bt's row ξ and at's row i that are not zero, so that the
     * transforms loop over their terms with no test: a Vector API call under a test C2 may find too rarely taken to inline, and then it runs the
     * API's allocating Java fallback (it did, for the inputs' transform of F(2, 7) in a training step).
     */
    record Plan(int points, int tileH, int tileW, int taps, float[][] bt, float[][] gm, float[][] at,
                int[][] btTerms, int[][] atTerms) {
        boolean square() {
            return bt == null;
        }

        /**
         * The six-point plans, F(4×4, 3×3) and F(2×2, 5×5): bt, gm and at are the one-dimensional F(4, 3)'s or
         * F(2, 5)'s, applied along rows and then columns (6 × 6 = 36 points).
         */
        boolean twoDimensional() {
            return bt != null && tileH > 1 && tileW > 1;
        }

        static final Plan SQUARE = new Plan(POINTS, 2, 2, 9, null, null, null, null, null);
        /**
         * F(4×4, 3×3) with Lavin and Gray's matrices (points 0, ±1, ±2, ∞): the inputs' and outputs' transforms
         * have integer coefficients (exact but for the sums' rounding), and the fractions are in G, which is
         * applied to the weights once per weight version.
         */
        static final Plan SQUARE4 = new Plan(36, 4, 4, 9,
                new float[][]{{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                        {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}},
                new float[][]{{1f / 4, 0, 0}, {-1f / 6, -1f / 6, -1f / 6}, {-1f / 6, 1f / 6, -1f / 6},
                        {1f / 24, 1f / 12, 1f / 6}, {1f / 24, -1f / 12, 1f / 6}, {0, 0, 1}},
                new float[][]{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}},
                null, null);
        /**
         * F(2×2, 5×5) on the same six points and the same Bᵀ as {@link #SQUARE4} (Toom-Cook's F(2, 5) with its
         * rows scaled as Lavin and Gray scale F(4, 3)'s, the scales moved into G): 36 products per input channel
         * for 2×2 outputs, 9 per output against the direct sum's 25.
         */
        static final Plan SQUARE5 = new Plan(36, 2, 2, 25, SQUARE4.bt(),
                new float[][]{{1f / 4, 0, 0, 0, 0}, {-1f / 6, -1f / 6, -1f / 6, -1f / 6, -1f / 6},
                        {-1f / 6, 1f / 6, -1f / 6, 1f / 6, -1f / 6}, {1f / 24, 1f / 12, 1f / 6, 1f / 3, 2f / 3},
                        {1f / 24, -1f / 12, 1f / 6, -1f / 3, 2f / 3}, {0, 0, 0, 0, 1}},
                new float[][]{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}},
                null, null);
        static final Plan ROW3 = oneDimensional(3, 2, true), COLUMN3 = oneDimensional(3, 2, false);
        static final Plan ROW7 = oneDimensional(7, 2, true), COLUMN7 = oneDimensional(7, 2, false);
        /**
         * F(4, 3) and F(4, 7): four outputs a tile from a window of 6 or 10 inputs, 1.5 and 2.5 products per
         * output against F(2, 3)'s 2 and F(2, 7)'s 4 (the direct sums' 3 and 7), with larger errors: taken from
         * {@link #MIN_FOUR_OUTPUT_CHANNELS} input channels.
         */
        static final Plan ROW3_4 = oneDimensional(3, 4, true), COLUMN3_4 = oneDimensional(3, 4, false);
        static final Plan ROW7_4 = oneDimensional(7, 4, true), COLUMN7_4 = oneDimensional(7, 4, false);

        /** A one-dimensional plan (F(m, r) along a row or a column). */
        boolean oneDimensional() {
            return bt != null && (tileH == 1 || tileW == 1);
        }

        /**
         * The plan for g's kernel, or null. F(2, 7) for the 1×7 and 7×1 kernels has the points ±2 and ±1/2
         * too; on wide-ranging values where the sum is short its error outgrows the conformance kit's float
         * bound, (K + 2)·u·Σ|x|·|w| (times 2): 1.06× on a 16-channel 1×7, as F(2, 3)'s does on a 32-channel
         * 1×3. Hence {@link #MIN_ROW_CHANNELS}; F(4, 3) and F(4, 7) from {@link #MIN_FOUR_OUTPUT_CHANNELS}. The 5×5
         * kernels take F(2×2, 5×5) where 3×3 ones take F(4×4,
         * 3×3), else none (an earlier F(2×2, 5×5), with its own transforms, was slower in the
         * network.
         */
        static Plan of(Conv2d.Geometry g) {
            boolean sixPoints = g.cin() >= MIN_SIX_POINT_CHANNELS && (long) g.outH() * g.outW() >= MIN_SIX_POINT_POSITIONS;
            if (g.kh() == 3 && g.kw() == 3) {
                return sixPoints ? SQUARE4 : SQUARE;
            }
            if (g.kh() == 5 && g.kw() == 5) {
                return sixPoints ? SQUARE5 : null;
            }
            boolean four = g.cin() >= MIN_FOUR_OUTPUT_CHANNELS;
            if (g.kh() == 1) {
                return g.kw() == 3 ? (four ? ROW3_4 : ROW3) : g.kw() == 7 ? (four ? ROW7_4 : ROW7) : null;
            }
            if (g.kw() == 1) {
                return g.kh() == 3 ? (four ? COLUMN3_4 : COLUMN3) : g.kh() == 7 ? (four ? COLUMN7_4 : COLUMN7) : null;
            }
            return null;
        }

        /**
         * F(m, r) by Toom-Cook: the correlation y_i = Σ_k g_k d_{i+k} (i &lt; m) is the transpose of multiplying
         * polynomials of degrees r − 1 and m − 1, evaluated at n − 1 = m + r − 2 finite points and ∞ and
         * interpolated back, so y = Vhᵀ [(Vg g) ⊙ (V⁻ᵀ d)] with V, Vg and Vh the evaluation matrices of degree
         * n − 1, r − 1 and m − 1. The points, the first n − 1 of 0, ±1, ±2, ±1/2, ±3/4: F(2, 3) takes the points
         * of F(2×2, 3×3), F(4, 3) those of F(4×4, 3×3), F(2, 7) and F(4, 7) the smallest that keep the
         * transforms' entries small. For F(4, 7)'s last pair, ±3/4 gave the smallest errors on wide-ranging values
         * in a float simulation of the transforms at 128 input channels (±4/3 and ±5/4 about as small, ±3/2 1.6
         * times as large, ±1/3, ±3, ±1/4 and ±4 3 to 7 times), and 0.6 of ±3/2's error in this class's test of the
         * training paths.
         */
        private static Plan oneDimensional(int r, int m, boolean row) {
            double[] all = {0, 1, -1, 2, -2, 0.5, -0.5, 0.75, -0.75};
            int n = r + m - 1;
            double[] finite = Arrays.copyOf(all, n - 1);
            double[][] v = new double[n][n];
            float[][] gm = new float[n][r], at = new float[m][n];
            for (int j = 0; j < n; j++) {
                boolean infinity = j == n - 1;
                for (int k = 0; k < n; k++) {
                    v[j][k] = infinity ? (k == n - 1 ? 1 : 0) : Math.pow(finite[j], k);
                }
                for (int k = 0; k < r; k++) {
                    gm[j][k] = (float) (infinity ? (k == r - 1 ? 1 : 0) : Math.pow(finite[j], k));
                }
                for (int i = 0; i < m; i++) {
                    at[i][j] = (float) (infinity ? (i == m - 1 ? 1 : 0) : Math.pow(finite[j], i));
                }
            }
            double[][] inverse = invert(v);
            float[][] bt = new float[n][n];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    // An entry that is zero by the points' symmetry comes out of the inversion as rounding
                    // residue (1e-16 for F(4, 7)): zero, so that it is no term of the transform.
                    bt[a][b] = Math.abs(inverse[b][a]) < 1e-9 ? 0f : (float) inverse[b][a];
                }
            }
            return new Plan(n, row ? 1 : m, row ? m : 1, r, bt, gm, at, terms(bt), terms(at));
        }

        /** For each row of m, the columns where it is not zero, in ascending order. */
        private static int[][] terms(float[][] m) {
            int[][] terms = new int[m.length][];
            for (int i = 0; i < m.length; i++) {
                int count = 0;
                int[] at = new int[m[i].length];
                for (int j = 0; j < m[i].length; j++) {
                    if (m[i][j] != 0f) {
                        at[count++] = j;
                    }
                }
                terms[i] = Arrays.copyOf(at, count);
            }
            return terms;
        }

        /** a⁻¹ by Gauss-Jordan with partial pivoting (small, well-conditioned matrices). */
        private static double[][] invert(double[][] a) {
            int n = a.length;
            double[][] m = new double[n][2 * n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(a[i], 0, m[i], 0, n);
                m[i][n + i] = 1;
            }
            for (int c = 0; c < n; c++) {
                int pivot = c;
                for (int i = c + 1; i < n; i++) {
                    if (Math.abs(m[i][c]) > Math.abs(m[pivot][c])) {
                        pivot = i;
                    }
                }
                double[] t = m[c];
                m[c] = m[pivot];
                m[pivot] = t;
                double d = m[c][c];
                for (int k = 0; k < 2 * n; k++) {
                    m[c][k] /= d;
                }
                for (int i = 0; i < n; i++) {
                    if (i != c && m[i][c] != 0) {
                        double f = m[i][c];
                        for (int k = 0; k < 2 * n; k++) {
                            m[i][k] -= f * m[c][k];
                        }
                    }
                }
            }
            double[][] inverse = new double[n][n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(m[i], n, inverse[i], 0, n);
            }
            return inverse;
        }
    }
    /** Floats of a block's transformed inputs and sums together, at most: 512 KB, half an L2. */
    private static final int BLOCK_FLOATS = 1 << 17;

    /** Input and output channels below which the direct paths win: the transforms cost per channel, the products per channel pair. */
    static final int MIN_CHANNELS = 32;
    /**
     * Input channels below which the one-dimensional plans stay off, for accuracy: on values spread over six
     * decades (the conformance kit's WIDE values) their error reached 1.36× (1×3) and 1.24× (1×7) the kit's
     * float bound at 32 input channels, 0.22× and 0.30× at 48 and at most 0.19× from 64 on; F(2×2, 3×3)'s
     * stayed below 0.06× from 32 on. Why: each output's error carries the rounding of every input in its
     * tile's window, also those outside its own kernel window, while the bound is made of its own terms only;
     * the bound grows with K = Cin·kh·kw, the error about as its square root.
     */
    static final int MIN_ROW_CHANNELS = 64;

    /**
     * Input channels from which 1×3, 3×1, 1×7 and 7×1 kernels take F(4, 3) and F(4, 7) rather than F(2, 3) and
     * F(2, 7), for accuracy: their transforms' entries reach 5 and 15.5 (F(2, 7)'s 5.2) and each output's error
     * carries the rounding of a window of 6 or 10 inputs. On the kit's WIDE values over 17 × 17 (three seeds,
     * the worst output): at 48 input channels up to 1.54× the kit's float bound (1×3), at 64 0.43–0.53× (F(2, r)
     * 0.12–0.19×), at 96 0.16–0.25×, at 128 0.09–0.19× (F(2, r) 0.03–0.05×). Inception's factorized layers have
     * 128 to 448.
     */
    static final int MIN_FOUR_OUTPUT_CHANNELS = 128;

    /**
     * Input channels from which 3×3 kernels take F(4×4, 3×3) rather than F(2×2, 3×3), and 5×5 kernels F(2×2,
     * 5×5) rather than the direct sums (at 32 the larger error of F(4×4, 3×3) is 0.51 of the kit's bound).
     */
    static final int MIN_SIX_POINT_CHANNELS = 32;
    /**
     * Outputs per image (16 × 16) from which the six-point plans are taken: over 8 × 8 planes, 4 tiles an
     * image, each block streams 36 points' weights for few products (448 → 384 at batch 1 ran 0.7–1.4×).
     */
    static final int MIN_SIX_POINT_POSITIONS = 256;

    /** The fewest input channels that the plan for g's kernel takes. */
    static int minInputChannels(Plan plan) {
        if (plan.oneDimensional()) {
            return plan.tileH() * plan.tileW() == 4 ? MIN_FOUR_OUTPUT_CHANNELS : MIN_ROW_CHANNELS;
        }
        return plan.square() ? MIN_CHANNELS : MIN_SIX_POINT_CHANNELS;
    }

    /** Outputs per image below which the direct paths win: a 2×2 tile over a 1×1 image computes 4 outputs for 1. */
    static final int MIN_OUTPUTS = 16;

    /**
     * Where a convolution takes this path ({@link CpuConfig#winograd()}): AVX-512 (the register tiles
     * of {@link Conv2dBlocked}), a kernel of a {@link Plan} (3×3, 1×3, 3×1, 1×7, 7×1), stride 1, no dilation,
     * at least {@link #MIN_CHANNELS} input and output channels (more input channels for the other plans, see
     * {@link #minInputChannels}) and {@link #MIN_OUTPUTS} outputs per
     * image (the default run's model at width 0.25 and 75×75, batch 64, two threads: 16 → 24 and 24 →
     * 24 at 7×7 ran 2.2–3× faster on the direct paths, 16 → 16 at 35×35 1.2×, its eval forward 1.39×),
     * and, with F(2×2, 3×3), not where {@link Conv2dDirect} takes the convolution: few output channels over
     * large planes (Conv2d_2a and 2b, 32 input channels, ran 0.5× and 0.86× on two threads there, the
     * transforms' memory traffic against few products; 1.2× alone later, 0.95–1.04× in the network). F(4×4,
     * 3×3), with 1.8× fewer products again, takes them (see the class note).
     */
    static boolean applies(CpuBackend cpu, Conv2d.Geometry g) {
        return cpu.config().winograd() && cpu.config().blockedConv() && cpu.vectorized() && Gemm.WIDE
                && Plan.of(g) != null && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1
                && g.dilationW() == 1
                && g.cin() >= minInputChannels(Plan.of(g)) && g.cout() >= MIN_CHANNELS
                && g.outH() * g.outW() >= MIN_OUTPUTS
                && (Plan.of(g).twoDimensional() || !Conv2dDirect.applies(cpu, g)) && fitsAnArray(g);
    }

    /**
     * Tiles a call (images × tiles an image) from which the inference forward takes the two-dimensional plans;
     * for the one-dimensional ones the outputs of twice as many two-output tiles (128 tiles of F(2, r), 64 of
     * F(4, r), whose weights are 2 or 10/7 of the kernel's against 4/3 or 8/7). Why: each point's product reads
     * its whole transformed weights
     * ([Cout, Cin], 16/9 of the kernel's for F(2×2, 3×3), 4/3 for F(2, 3)) for that many tiles, while the direct
     * sums read the kernel once for every output position; over few tiles the weights' bytes, not the
     * multiply-adds, set the time. Measured with the caches flushed between calls, two threads, against the
     * direct sums: 448 → 384 3×3 at 8 × 8, batch 1 (16 tiles) the direct sums took 0.78 of Winograd's time,
     * batch 2 (32) 1.0, batch 4 (64) Winograd 1.18× faster, batch 8 1.25×; 1×3 and 3×1 384 → 384 at 8 × 8,
     * batch 1 (32 tiles) 0.80–0.82, batch 2 (64) 0.83, batch 8 (256) Winograd 1.08×; F(2, 7)'s 1×7 192 → 192
     * at 17 × 17, batch 1 (153 tiles), even; F(4×4, 3×3)'s 96 → 96 at 35 × 35, batch 1 (81), Winograd 1.26×.
     * The batch-1 eval forward 1.037× faster (median of 30 rounds in one process). F(4, 7)'s 1×7 and 7×1 at
     * 17 × 17, batch 1 (85 tiles), 1.15–1.26× faster than F(2, 7)'s (both orders). So at batch 1 to 3 the
     * 8 × 8 layers take the direct sums, and their outputs differ from the same image's in a larger batch in
     * their last bits (Winograd's rounding, not the formula's).
     */
    static final int MIN_TILES = 64;

    /** Where the inference forward takes this path: where it {@link #applies}, over {@link #MIN_TILES} tiles a call or more. */
    static boolean appliesToInference(CpuBackend cpu, Conv2d.Geometry g) {
        if (!applies(cpu, g)) {
            return false;
        }
        Plan plan = Plan.of(g);
        long tiles = (long) g.batch() * tilesH(g, plan) * tilesW(g, plan);
        return plan.square() || plan.twoDimensional() ? tiles >= MIN_TILES
                : tiles * plan.tileH() * plan.tileW() >= 4L * MIN_TILES;
    }

    /**
     * Outputs (images × positions) from which the one-dimensional plans pay where the weights change between
     * calls (a training step transforms them every step, and again turned for the data gradient): with fresh
     * weights at every call, forward and data gradient together, 1×3 and 3×1 384 → 384 at 8×8, batch 8 (512
     * outputs) ran 1.07–1.09× faster than the direct paths, and the 1×7 and 7×1 layers at 17×17, batch 8
     * (2312 outputs), 1.07–1.29× (a training step 3.6% faster, in one process). Below, the transform of the
     * weights is not small next to the products. (Before the inputs' transform stopped running the Vector
     * API's Java fallback, see {@link Plan}, F(2, 3) had lost there, 0.6–0.9×, and this minimum was 4096.)
     */
    static final int FRESH_ROW_MIN_OUTPUTS = 512;

    /**
     * Where a convolution whose weights are transformed on every call takes this path: where it {@link #applies},
     * with the two-dimensional plans always and the one-dimensional plans over at least {@link #FRESH_ROW_MIN_OUTPUTS} outputs.
     */
    static boolean appliesWithFreshWeights(CpuBackend cpu, Conv2d.Geometry g) {
        return applies(cpu, g) && (Plan.of(g).square() || Plan.of(g).twoDimensional() || (long) g.batch() * g.positions() >= FRESH_ROW_MIN_OUTPUTS);
    }

    private static boolean fitsAnArray(Conv2d.Geometry g) {
        long image = (long) (g.cin() + L - 1) / L * paddedHeight(g) * paddedWidth(g) * L;
        return image * g.batch() <= Integer.MAX_VALUE - 16;
    }

    /** Rows of x's blocked copy: x's rows after the padding above, and enough below for the last tile's window. */
    static int paddedHeight(Conv2d.Geometry g) {
        int th = Plan.of(g).tileH();
        return Math.max(g.h() + g.padTop(), (g.outH() + th - 1) / th * th + g.kh() - 1);
    }

    /** Columns of x's blocked copy, likewise. */
    static int paddedWidth(Conv2d.Geometry g) {
        int tw = Plan.of(g).tileW();
        return Math.max(g.w() + g.padLeft(), (g.outW() + tw - 1) / tw * tw + g.kw() - 1);
    }

    // ---------------------------------------------------------------- the weights

    /** Floats of one point's transformed weights: [Cout, Cin] packed as {@link Conv2dBlocked#packWeights} packs a 1×1 convolution's. */
    static int pointLength(Conv2d.Geometry g) {
        return Conv2dBlocked.packedLength(pointwise(g));
    }

    /** Floats of all the transformed weights: {@link #pointLength} per point of g's plan. */
    static int transformedLength(Conv2d.Geometry g) {
        return Plan.of(g).points() * pointLength(g);
    }

    /** w transformed for g into a new array (see {@link #transformWeights(Parallel, float[], Conv2d.Geometry, boolean, float[])}). */
    static float[] transformWeights(Parallel parallel, float[] w, Conv2d.Geometry g) {
        float[] u = new float[transformedLength(g)];
        transformWeights(parallel, w, g, false, u);
        return u;
    }

    /**
     * U = G g Gᵀ (F(2×2, 3×3)) or gm · g (F(2, r)) for every (co, ci) of g, point ξ's [Cout, Cin] at
     * u[ξ·{@link #pointLength}], packed as {@link Conv2dBlocked#packWeights} packs a 1×1 convolution's
     * (lanes past Cout zero). g's kernel g[co, ci] is w[co, ci] (w [Cout, Cin, kh, kw]), or, when
     * {@code turned}, w's turned for the data gradient ({@link Conv2d#turned}): w[ci, co] rotated half a
     * circle, w [Cin, Cout, kh, kw] in g's names. Written straight into u: nothing is allocated, so a
     * training step can transform its changing weights every step into memory it reuses.
     */
    static void transformWeights(Parallel parallel, float[] w, Conv2d.Geometry g, boolean turned, float[] u) {
        int cout = g.cout(), cin = g.cin(), blocks = (cout + L - 1) / L, len = pointLength(g);
        Plan plan = Plan.of(g);
        int taps = plan.taps(), points = plan.points();
        int[] starts = Conv2dBlocked.groupStarts(blocks), bases = Conv2dBlocked.groupBases(starts, cin);
        // Vector v's L channels side by side, as they lie in u: lanes of co, one input channel at a time.
        parallel.forRange(blocks, 1, (lo, hi) -> {
            int[] lanes = new int[L];
            float[] kernels = new float[taps * L], rows = new float[6 * 5 * L];
            for (int v = lo; v < hi; v++) {
                int gr = Conv2dBlocked.groupOf(starts, v), c = v * L;
                int fb = starts[gr + 1] - starts[gr], f = v - starts[gr];
                for (int lane = 0; lane < L; lane++) {
                    // Where lane's kernel of input channel 0 starts in w (its taps follow, or precede when turned).
                    int co = Math.min(c + lane, cout - 1);
                    lanes[lane] = turned ? co * taps + taps - 1 : co * cin * taps;
                }
                int ciStep = turned ? cout * taps : taps, tapStep = turned ? -1 : 1;
                for (int ci = 0; ci < cin; ci++) {
                    int at = Conv2dBlocked.packedAt(bases[gr], fb, ci, f), from = ci * ciStep;
                    if (plan.square()) {
                        square(w, from, tapStep, lanes, c, cout, u, at, len);
                    } else if (plan.twoDimensional()) {
                        sixPointWeights(plan, w, from, tapStep, lanes, c, cout, u, at, len, kernels, rows);
                    } else {
                        row(plan, w, from, tapStep, lanes, c, cout, u, at, len, kernels);
                    }
                }
                for (int xi = 0; xi < points; xi++) {
                    Conv2dBlocked.zeroTail(u, xi * len + bases[gr], fb, cin, f);
                }
            }
        });
    }

    /**
     * Tap t of L kernels side by side: w[from + t·tapStep + lanes[lane]] for channels c + lane, 0 from Cout on.
     * (The mask is made here, not passed: a vector or mask passed to a method C2 does not inline is boxed.)
     */
    private static FloatVector tap(float[] w, int from, int t, int tapStep, int[] lanes, int c, int cout) {
        return FloatVector.fromArray(F, w, from + t * tapStep, lanes, 0, F.indexInRange(c, cout));
    }

    /**
     * gm · g of L r-tap kernels side by side, summed in float in tap order, point ξ to u[ξ·len + at]. The
     * taps wait in {@code taps} (r·L floats): every point needs all of them, and vectors kept in an array of
     * vectors would be boxed.
     */
    private static void row(Plan plan, float[] w, int from, int tapStep, int[] lanes, int c, int cout, float[] u,
                            int at, int len, float[] taps) {
        int r = plan.taps();
        for (int t = 0; t < r; t++) {
            tap(w, from, t, tapStep, lanes, c, cout).intoArray(taps, t * L);
        }
        for (int xi = 0; xi < plan.points(); xi++) {
            float[] gm = plan.gm()[xi];
            FloatVector sum = FloatVector.fromArray(F, taps, 0).mul(gm[0]);
            for (int t = 1; t < r; t++) {
                sum = sum.add(FloatVector.fromArray(F, taps, t * L).mul(gm[t]));
            }
            sum.intoArray(u, xi * len + at);
        }
    }

    /** G g Gᵀ of L 3×3 kernels side by side (tap (i, j) at t = 3i + j), point ξ = 4a + b to u[ξ·len + at]. */
    private static void square(float[] w, int from, int tapStep, int[] lanes, int c, int cout, float[] u, int at,
                               int len) {
        // Gg: 4 × 3, rows (g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2) of each column j.
        for (int j = 0; j < 3; j++) {
            FloatVector g0 = tap(w, from, j, tapStep, lanes, c, cout), g1 = tap(w, from, 3 + j, tapStep, lanes, c, cout);
            FloatVector g2 = tap(w, from, 6 + j, tapStep, lanes, c, cout);
            // Row a of Gg is (Gg)_a0..a2 over j; Gg Gᵀ's row a needs all three, so they wait in u's point rows
            // 4a .. 4a + 2 (overwritten with the final values below).
            g0.intoArray(u, j * len + at);
            g0.add(g1).add(g2).mul(0.5f).intoArray(u, (4 + j) * len + at);
            g0.sub(g1).add(g2).mul(0.5f).intoArray(u, (8 + j) * len + at);
            g2.intoArray(u, (12 + j) * len + at);
        }
        for (int a = 0; a < 4; a++) {
            FloatVector r0 = FloatVector.fromArray(F, u, (4 * a) * len + at);
            FloatVector r1 = FloatVector.fromArray(F, u, (4 * a + 1) * len + at);
            FloatVector r2 = FloatVector.fromArray(F, u, (4 * a + 2) * len + at);
            r0.intoArray(u, (4 * a) * len + at);
            r0.add(r1).add(r2).mul(0.5f).intoArray(u, (4 * a + 1) * len + at);
            r0.sub(r1).add(r2).mul(0.5f).intoArray(u, (4 * a + 2) * len + at);
            r2.intoArray(u, (4 * a + 3) * len + at);
        }
    }

    /**
     * G g Gᵀ of L r×r kernels side by side for a six-point plan (F(4×4, 3×3) or F(2×2, 5×5), G = gm 6 × r),
     * point ξ = 6a + b to u[ξ·len + at]: first (G g) into rows (6 × r vectors), then each row times Gᵀ. Each sum in float from +0 in term order.
     */
    private static void sixPointWeights(Plan plan, float[] w, int from, int tapStep, int[] lanes, int c, int cout, float[] u,
                                int at, int len, float[] taps, float[] rows) {
        float[][] gm = plan.gm();
        int r = gm[0].length;   // 3, or 5 for F(2×2, 5×5)
        for (int t = 0; t < r * r; t++) {
            tap(w, from, t, tapStep, lanes, c, cout).intoArray(taps, t * L);
        }
        for (int a = 0; a < 6; a++) {
            for (int j = 0; j < r; j++) {
                FloatVector sum = FloatVector.zero(F);
                for (int i = 0; i < r; i++) {
                    sum = sum.add(FloatVector.fromArray(F, taps, (r * i + j) * L).mul(gm[a][i]));
                }
                sum.intoArray(rows, (r * a + j) * L);
            }
        }
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 6; b++) {
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < r; j++) {
                    sum = sum.add(FloatVector.fromArray(F, rows, (r * a + j) * L).mul(gm[b][j]));
                }
                sum.intoArray(u, (6 * a + b) * len + at);
            }
        }
    }

    /** The [Cout, Cin] product of one point, as a 1×1 convolution's geometry (for the packing). */
    private static Conv2d.Geometry pointwise(Conv2d.Geometry g) {
        return new Conv2d.Geometry(1, g.cin(), 1, 1, g.cout(), 1, 1, 1, 1, 1, 1, 0, 0, 1, 1);
    }

    // ---------------------------------------------------------------- the convolution

    /**
     * Tiles per block: as many as keep a block's transformed inputs and sums within {@link #BLOCK_FLOATS}, in
     * whole register tiles of the first group of output channels. Why whole: a register tile with fewer
     * positions does a whole one's work; F(4×4, 3×3)'s 36 points fit 13 of Conv2d_4a's tiles, run as 6 + 6 + 1
     * (12: the layer 1.24–1.29× faster in the eval forward, batch 1 and 8, alternating in one process).
     */
    static int tileBlock(Conv2d.Geometry g) {
        Plan plan = Plan.of(g);
        int vectors = (g.cin() + L - 1) / L + (g.cout() + L - 1) / L;
        int[] starts = Conv2dBlocked.groupStarts((g.cout() + L - 1) / L);
        int pt = Conv2dBlocked.positionsPerTile(starts[1] - starts[0]);
        int fits = Math.max(6, Math.min(96, BLOCK_FLOATS / (plan.points() * L * vectors)));
        fits = Math.max(pt, fits / pt * pt);
        // An 8×8 image's 16 tiles stay one block: each block streams all 16 points' weights (11 MB at
        // 448 → 384), so fewer, fuller blocks, with the threads taking ranges of output channels.
        int image = tilesH(g, plan) * tilesW(g, plan);
        return image <= 16 ? Math.max(fits, Math.min(16, g.batch() * image)) : fits;
    }

    private static int tilesH(Conv2d.Geometry g, Plan plan) {
        return (g.outH() + plan.tileH() - 1) / plan.tileH();
    }

    private static int tilesW(Conv2d.Geometry g, Plan plan) {
        return (g.outW() + plan.tileW() - 1) / plan.tileW();
    }

    /** Per-thread scratch: a block's transformed inputs, and its sums. */
    private static final ThreadLocal<float[]> INPUTS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[0]);
    /**
     * Per-thread scratch of one transform call: its rows (inputs or outputs), the staged outputs and the
     * epilogue's constants. Kept rather than made per call: those few KB a call were nine tenths of the
     * garbage of a batch-8 eval forward (JFR: 30 MB a second) once the Vector API ran no fallback.
     */
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> CONSTS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * out [N, Cout, outH, outW] (NCHW, overwritten) = the convolution of x with the weights that
     * {@link #transformWeights} transformed into u, then the epilogue (or null) on each value.
     */
    static void forward(CpuBackend cpu, float[] out, float[] x, float[] u, Conv2d.Geometry g,
                        BatchNormEpilogue epilogue) {
        int hp = paddedHeight(g), wp = paddedWidth(g), cb = (g.cin() + L - 1) / L;
        float[] xb = cpu.cache().allocateStale(g.batch() * cb * hp * wp * L);
        try {
            Conv2dBlocked.block(cpu, x, g, xb, hp, wp);
            compute(cpu, out, xb, hp, wp, u, g, epilogue);
        } finally {
            cpu.cache().recycle(xb);
        }
    }

    /**
     * The inference forward with activations channel-blocked ({@link BlockedActivations}): out written blocked,
     * x's blocked values padded by whole rows where its producer left them so.
     */
    static void forwardBlocked(CpuBackend cpu, Tensor out, Tensor x, float[] u, Conv2d.Geometry g,
                               BatchNormEpilogue epilogue) {
        int hp = paddedHeight(g), wp = paddedWidth(g), cb = (g.cin() + L - 1) / L;
        float[] xv = CpuBackend.blockedView(x);
        float[] o = CpuBackend.writeBlocked(out);
        float[] xb = cpu.cache().allocateStale(g.batch() * cb * hp * wp * L);
        try {
            if (xv != null) {
                BlockedActivations.pad(cpu, xv, g, xb, hp, wp);
            } else {
                Conv2dBlocked.block(cpu, CpuBackend.read(x), g, xb, hp, wp);
            }
            compute(cpu, o, xb, hp, wp, u, g, epilogue, true);
        } finally {
            cpu.cache().recycle(xb);
        }
    }

    private static void compute(CpuBackend cpu, float[] out, float[] xb, int hp, int wp, float[] u, Conv2d.Geometry g,
                                BatchNormEpilogue epilogue) {
        compute(cpu, out, xb, hp, wp, u, g, epilogue, false);
    }

    private static void compute(CpuBackend cpu, float[] out, float[] xb, int hp, int wp, float[] u, Conv2d.Geometry g,
                                BatchNormEpilogue epilogue, boolean blockedOut) {
        Plan plan = Plan.of(g);
        int points = plan.points(), total = g.batch() * tilesH(g, plan) * tilesW(g, plan);
        // Blocks of at most tileBlock tiles, as many as the threads divide (7 blocks on 2 threads left one
        // idle a seventh of the time), cut evenly.
        int[] starts = Conv2dBlocked.groupStarts((g.cout() + L - 1) / L);
        int[] bases = Conv2dBlocked.groupBases(starts, g.cin());
        int threads = cpu.parallel().threads(), most = tileBlock(g);
        int blocks = (total + most - 1) / most;
        blocks = Math.min(total, (blocks + threads - 1) / threads * threads);
        int tb = (total + blocks - 1) / blocks, cin = g.cin(), cb = (cin + L - 1) / L;
        blocks = (total + tb - 1) / tb;
        int groups = starts.length - 1;
        // Too few blocks for the threads: each block's groups of output channels are cut into ranges
        // too (each range transforms the block's inputs again: cheap against the products).
        int ranges = 1;
        while (blocks * ranges < 2 * threads && ranges < groups) {
            ranges++;
        }
        // Where a value of step ci for tile i of point ξ lies in a block's transformed inputs:
        // [ξ][ci / L][tile][ci % L].
        int[] tapOff = new int[cin];
        for (int ci = 0; ci < cin; ci++) {
            tapOff[ci] = ci / L * tb * L + ci % L;
        }
        int[] base = new int[points * tb];
        for (int xi = 0; xi < points; xi++) {
            for (int i = 0; i < tb; i++) {
                base[xi * tb + i] = (xi * cb * tb + i) * L;
            }
        }
        int finalRanges = ranges;
        cpu.postReadAhead();
        cpu.parallel().forRange(blocks * ranges, 1, (lo, hi) -> {
            for (int task = lo; task < hi; task++) {
                int b = task / finalRanges, r = task % finalRanges;
                int t0 = b * tb, t1 = Math.min(total, t0 + tb);
                int g0 = groups * r / finalRanges, g1 = groups * (r + 1) / finalRanges;
                runBlock(plan, out, xb, hp, wp, u, g, epilogue, tapOff, base, starts, bases, g0, g1, tb, t0, t1,
                        blockedOut);
            }
        });
    }

    /** Tiles [t0, t1) of the batch, output groups [g0, g1): transform in, 16 products, transform out. */
    private static void runBlock(Plan plan, float[] out, float[] xb, int hp, int wp, float[] u, Conv2d.Geometry g,
                                 BatchNormEpilogue epilogue, int[] tapOff, int[] base, int[] starts, int[] bases,
                                 int g0, int g1, int tb, int t0, int t1, boolean blockedOut) {
        int cin = g.cin(), cb = (cin + L - 1) / L, cov = (g.cout() + L - 1) / L, n = t1 - t0;
        // Vectors between two vectors of channels' rows of sums: the tiles rounded up to whole register
        // tiles, since a register tile with fewer positions than its width stores all of them.
        int stride = tb;
        for (int gr = g0; gr < g1; gr++) {
            int pt = Conv2dBlocked.positionsPerTile(starts[gr + 1] - starts[gr]);
            stride = Math.max(stride, (tb + pt - 1) / pt * pt);
        }
        int points = plan.points(), len = pointLength(g);
        float[] v = Conv2dBatched.scratch(INPUTS, points * cb * tb * L);
        float[] m = Conv2dBatched.scratch(SUMS, points * cov * stride * L);
        if (plan.square()) {
            transformInputs(xb, hp, wp, g, v, cb, tb, t0, t1);
        } else if (plan.twoDimensional()) {
            transformInputsSixPoint(plan, xb, hp, wp, g, v, cb, tb, t0, t1);
        } else {
            transformInputs(plan, xb, hp, wp, g, v, cb, tb, t0, t1);
        }
        int c0 = starts[g0], c1 = starts[g1];
        for (int xi = 0; xi < points; xi++) {
            Arrays.fill(m, (xi * cov + c0) * stride * L, (xi * cov + c1) * stride * L, 0f);
        }
        for (int xi = 0; xi < points; xi++) {
            for (int gr = g0; gr < g1; gr++) {
                int fb = starts[gr + 1] - starts[gr], pt = Conv2dBlocked.positionsPerTile(fb);
                int chunk = Conv2dBlocked.chunkSteps(fb);
                for (int s0 = 0; s0 < cin; s0 += chunk) {
                    int s1 = Math.min(cin, s0 + chunk), wo = xi * len + Conv2dBlocked.packedAt(bases[gr], fb, s0, 0);
                    for (int q = 0; q < n; q += pt) {
                        int cnt = Math.min(pt, n - q), at = ((xi * cov + starts[gr]) * stride + q) * L;
                        int f = stride * L, p = xi * tb + q;
                        switch (fb) {
                            case 4 -> Conv2dBlocked.kernel4x6(v, base, p, cnt, tapOff, u, wo, s0, s1, m, at, f);
                            case 3 -> Conv2dBlocked.kernel3x8(v, base, p, cnt, tapOff, u, wo, s0, s1, m, at, f);
                            case 2 -> Conv2dBlocked.kernel2x12(v, base, p, cnt, tapOff, u, wo, s0, s1, m, at, f);
                            default -> Conv2dBlocked.kernel1x16(v, base, p, cnt, tapOff, u, wo, s0, s1, m, at, f);
                        }
                    }
                }
            }
        }
        transformOutputs(plan, out, m, g, epilogue, cov, stride, c0, c1, t0, t1, blockedOut);
    }

    /**
     * v[ξ][c][i][lane] = (bt · d)[ξ] for tile t0 + i and channel c·L + lane, d the tile's window of points
     * values along its row or column in xb: each sum from +0, one FMA per term of bt's row ξ in ascending
     * order. F(2, 7) and F(2, 3), whose terms are known, run written out ({@link #transformInputs7},
     * {@link #transformInputs3}); any other plan loops over its terms ({@link #transformInputsByTerms}).
     * The same bits either way.
     */
    static void transformInputs(Plan plan, float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb,
                                int tb, int t0, int t1) {
        if (WRITTEN_OUT_7 && (plan == Plan.ROW7 || plan == Plan.COLUMN7)) {
            transformInputs7(plan, xb, hp, wp, g, v, cb, tb, t0, t1);
        } else if (WRITTEN_OUT_3 && (plan == Plan.ROW3 || plan == Plan.COLUMN3)) {
            transformInputs3(plan, xb, hp, wp, g, v, cb, tb, t0, t1);
        } else if (WRITTEN_OUT_7_4 && (plan == Plan.ROW7_4 || plan == Plan.COLUMN7_4)
                || WRITTEN_OUT_3_4 && (plan == Plan.ROW3_4 || plan == Plan.COLUMN3_4)) {
            transformInputsFour(plan, xb, hp, wp, g, v, cb, tb, t0, t1);
        } else {
            transformInputsByTerms(plan, xb, hp, wp, g, v, cb, tb, t0, t1);
        }
    }

    /**
     * The terms of F(2, 7)'s and F(2, 3)'s bt (points 0, ±1, ±2, ±1/2, ∞ and 0, ±1, ∞) by row, as the
     * written-out transforms take them.
     */
    private static final int[][] TERMS7 = {{0, 2, 4, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6},
            {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 3, 5, 7}};
    private static final int[][] TERMS3 = {{0, 2}, {1, 2}, {1, 2}, {1, 3}};
    /** Whether the plans' terms are those written out (checked once, not assumed). */
    private static final boolean WRITTEN_OUT_7 = Arrays.deepEquals(Plan.ROW7.btTerms(), TERMS7)
            && Arrays.deepEquals(Plan.COLUMN7.btTerms(), TERMS7);
    private static final boolean WRITTEN_OUT_3 = Arrays.deepEquals(Plan.ROW3.btTerms(), TERMS3)
            && Arrays.deepEquals(Plan.COLUMN3.btTerms(), TERMS3);
    /** The same for F(4, 7) and F(4, 3): the first row takes the even inputs, the last the odd, the rest the middle. */
    private static final int[][] TERMS7_4 = {{0, 2, 4, 6, 8}, {1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8},
            {1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8},
            {1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8}, {1, 3, 5, 7, 9}};
    private static final int[][] TERMS3_4 = {{0, 2, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4},
            {1, 3, 5}};
    private static final boolean WRITTEN_OUT_7_4 = Arrays.deepEquals(Plan.ROW7_4.btTerms(), TERMS7_4)
            && Arrays.deepEquals(Plan.COLUMN7_4.btTerms(), TERMS7_4);
    private static final boolean WRITTEN_OUT_3_4 = Arrays.deepEquals(Plan.ROW3_4.btTerms(), TERMS3_4)
            && Arrays.deepEquals(Plan.COLUMN3_4.btTerms(), TERMS3_4);

    /** Whether {@link #transformInputs} takes a written-out transform for this one-dimensional plan (for the tests). */
    static boolean writtenOut(Plan plan) {
        return plan.taps() == 7 ? (plan.points() == 8 ? WRITTEN_OUT_7 : WRITTEN_OUT_7_4)
                : (plan.points() == 4 ? WRITTEN_OUT_3 : WRITTEN_OUT_3_4);
    }

    /**
     * The loop of {@link #transformInputs}, over any plan's terms. Channels outer, tiles inner: a vector of
     * channels' window rows are then read again by the next tiles while they are in L1 (tiles outer read a
     * plane per channel vector for each tile: the transform took 1.3× as long).
     */
    static void transformInputsByTerms(Plan plan, float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb,
                                       int tb, int t0, int t1) {
        int tw = tilesW(g, plan), perImage = tilesH(g, plan) * tw, points = plan.points();
        int plane = hp * wp * L, image = cb * plane, step = plan.tileW() > 1 ? L : wp * L;
        float[][] bt = plan.bt();
        int[][] terms = plan.btTerms();
        for (int c = 0; c < cb; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int at = n * image + c * plane + (ty * plan.tileH() * wp + tx * plan.tileW()) * L, i = t - t0;
                for (int xi = 0; xi < points; xi++) {
                    FloatVector sum = FloatVector.zero(F);
                    for (int j : terms[xi]) {
                        sum = FloatVector.fromArray(F, xb, at + j * step).fma(FloatVector.broadcast(F, bt[xi][j]), sum);
                    }
                    sum.intoArray(v, ((xi * cb + c) * tb + i) * L);
                }
            }
        }
    }

    /**
     * {@link #transformInputsByTerms} for F(2, 7), its rows' terms written out: rows 0 and 7 take every
     * other input (from 0 and from 1), rows 1 to 6 inputs 1 to 6. Why: the loop over a row's terms and the
     * look-up of each coefficient cost more than the FMAs (the transform took 14% of a 7×1 layer, 192 →
     * 192 at 17×17, batch 8; written out, with the channels outer, 7%).
     */
    private static void transformInputs7(Plan plan, float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb,
                                         int tb, int t0, int t1) {
        int tw = tilesW(g, plan), perImage = tilesH(g, plan) * tw;
        int plane = hp * wp * L, image = cb * plane, step = plan.tileW() > 1 ? L : wp * L, twice = 2 * step;
        float[][] bt = plan.bt();
        int point = cb * tb * L;   // floats between two points' transformed inputs
        for (int c = 0; c < cb; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int at = n * image + c * plane + (ty * plan.tileH() * wp + tx * plan.tileW()) * L;
                int o = (c * tb + t - t0) * L;
                sum4(xb, at, twice, bt[0][0], bt[0][2], bt[0][4], bt[0][6], v, o);
                for (int xi = 1; xi < 7; xi++) {
                    sum6(xb, at + step, step, bt[xi], v, o + xi * point);
                }
                sum4(xb, at + step, twice, bt[7][1], bt[7][3], bt[7][5], bt[7][7], v, o + 7 * point);
            }
        }
    }

    /** {@link #transformInputsByTerms} for F(2, 3), written out as {@link #transformInputs7}: rows take inputs {0, 2}, {1, 2}, {1, 2}, {1, 3}. */
    private static void transformInputs3(Plan plan, float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb,
                                         int tb, int t0, int t1) {
        int tw = tilesW(g, plan), perImage = tilesH(g, plan) * tw;
        int plane = hp * wp * L, image = cb * plane, step = plan.tileW() > 1 ? L : wp * L, twice = 2 * step;
        float[][] bt = plan.bt();
        int point = cb * tb * L;
        for (int c = 0; c < cb; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int at = n * image + c * plane + (ty * plan.tileH() * wp + tx * plan.tileW()) * L;
                int o = (c * tb + t - t0) * L;
                sum2(xb, at, twice, bt[0][0], bt[0][2], v, o);
                sum2(xb, at + step, step, bt[1][1], bt[1][2], v, o + point);
                sum2(xb, at + step, step, bt[2][1], bt[2][2], v, o + 2 * point);
                sum2(xb, at + step, twice, bt[3][1], bt[3][3], v, o + 3 * point);
            }
        }
    }

    /**
     * {@link #transformInputsByTerms} for F(4, 7) and F(4, 3), written out as {@link #transformInputs7}, one tile at
     * a time by {@link #tile74} or {@link #tile34}. (Through the loop over the terms F(4, 7)'s inputs' transform
     * took 1.5–2 times F(2, 7)'s written out, a sixth of the layer.)
     */
    private static void transformInputsFour(Plan plan, float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v,
                                            int cb, int tb, int t0, int t1) {
        int tw = tilesW(g, plan), perImage = tilesH(g, plan) * tw;
        int plane = hp * wp * L, image = cb * plane, step = plan.tileW() > 1 ? L : wp * L;
        boolean seven = plan.taps() == 7;
        float[][] bt = plan.bt();
        int point = cb * tb * L;
        for (int c = 0; c < cb; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tw, tx = t % tw;
                int at = n * image + c * plane + (ty * plan.tileH() * wp + tx * plan.tileW()) * L;
                int o = (c * tb + t - t0) * L;
                if (seven) {
                    tile74(xb, at, step, bt, v, o, point);
                } else {
                    tile34(xb, at, step, bt, v, o, point);
                }
            }
        }
    }

    /** F(4, 7)'s ten rows of one tile: row 0 the even inputs 0 to 8, row 9 the odd ones, rows 1 to 8 inputs 1 to 8. */
    private static void tile74(float[] xb, int at, int step, float[][] bt, float[] v, int o, int point) {
        sum5(xb, at, 2 * step, bt[0], 0, v, o);
        for (int xi = 1; xi < 9; xi++) {
            sum8(xb, at + step, step, bt[xi], v, o + xi * point);
        }
        sum5(xb, at + step, 2 * step, bt[9], 1, v, o + 9 * point);
    }

    /** F(4, 3)'s six rows of one tile: inputs {0, 2, 4}, {1, 2, 3, 4} (four times) and {1, 3, 5}. */
    private static void tile34(float[] xb, int at, int step, float[][] bt, float[] v, int o, int point) {
        sum3(xb, at, 2 * step, bt[0][0], bt[0][2], bt[0][4], v, o);
        for (int xi = 1; xi < 5; xi++) {
            sum4(xb, at + step, step, bt[xi][1], bt[xi][2], bt[xi][3], bt[xi][4], v, o + xi * point);
        }
        sum3(xb, at + step, 2 * step, bt[5][1], bt[5][3], bt[5][5], v, o + 5 * point);
    }

    /**
     * v[o…] = ((+0 + xb[at]·c0) + xb[at + stride]·c1), each step one FMA. Small methods, one per row, so
     * that every Vector API call stays within C2's inlining budget (see {@link #outputs}).
     */
    private static void sum2(float[] xb, int at, int stride, float c0, float c1, float[] v, int o) {
        FloatVector s = FloatVector.fromArray(F, xb, at).fma(FloatVector.broadcast(F, c0), FloatVector.zero(F));
        FloatVector.fromArray(F, xb, at + stride).fma(FloatVector.broadcast(F, c1), s).intoArray(v, o);
    }

    /** As {@link #sum2}, four inputs. */
    private static void sum4(float[] xb, int at, int stride, float c0, float c1, float c2, float c3, float[] v, int o) {
        FloatVector s = FloatVector.fromArray(F, xb, at).fma(FloatVector.broadcast(F, c0), FloatVector.zero(F));
        s = FloatVector.fromArray(F, xb, at + stride).fma(FloatVector.broadcast(F, c1), s);
        s = FloatVector.fromArray(F, xb, at + 2 * stride).fma(FloatVector.broadcast(F, c2), s);
        FloatVector.fromArray(F, xb, at + 3 * stride).fma(FloatVector.broadcast(F, c3), s).intoArray(v, o);
    }

    /** As {@link #sum2}, six inputs with coefficients row[1] to row[6]. */
    private static void sum6(float[] xb, int at, int stride, float[] row, float[] v, int o) {
        FloatVector s = FloatVector.fromArray(F, xb, at).fma(FloatVector.broadcast(F, row[1]), FloatVector.zero(F));
        s = FloatVector.fromArray(F, xb, at + stride).fma(FloatVector.broadcast(F, row[2]), s);
        s = FloatVector.fromArray(F, xb, at + 2 * stride).fma(FloatVector.broadcast(F, row[3]), s);
        s = FloatVector.fromArray(F, xb, at + 3 * stride).fma(FloatVector.broadcast(F, row[4]), s);
        s = FloatVector.fromArray(F, xb, at + 4 * stride).fma(FloatVector.broadcast(F, row[5]), s);
        FloatVector.fromArray(F, xb, at + 5 * stride).fma(FloatVector.broadcast(F, row[6]), s).intoArray(v, o);
    }

    /** As {@link #sum2}, three inputs. */
    private static void sum3(float[] xb, int at, int stride, float c0, float c1, float c2, float[] v, int o) {
        FloatVector s = FloatVector.fromArray(F, xb, at).fma(FloatVector.broadcast(F, c0), FloatVector.zero(F));
        s = FloatVector.fromArray(F, xb, at + stride).fma(FloatVector.broadcast(F, c1), s);
        FloatVector.fromArray(F, xb, at + 2 * stride).fma(FloatVector.broadcast(F, c2), s).intoArray(v, o);
    }

    /** As {@link #sum2}, five inputs with coefficients row[first], row[first + 2], …, row[first + 8]. */
    private static void sum5(float[] xb, int at, int stride, float[] row, int first, float[] v, int o) {
        FloatVector s = FloatVector.fromArray(F, xb, at).fma(FloatVector.broadcast(F, row[first]), FloatVector.zero(F));
        s = FloatVector.fromArray(F, xb, at + stride).fma(FloatVector.broadcast(F, row[first + 2]), s);
        s = FloatVector.fromArray(F, xb, at + 2 * stride).fma(FloatVector.broadcast(F, row[first + 4]), s);
        s = FloatVector.fromArray(F, xb, at + 3 * stride).fma(FloatVector.broadcast(F, row[first + 6]), s);
        FloatVector.fromArray(F, xb, at + 4 * stride).fma(FloatVector.broadcast(F, row[first + 8]), s).intoArray(v, o);
    }

    /** As {@link #sum2}, eight inputs with coefficients row[1] to row[8]. */
    private static void sum8(float[] xb, int at, int stride, float[] row, float[] v, int o) {
        FloatVector s = FloatVector.fromArray(F, xb, at).fma(FloatVector.broadcast(F, row[1]), FloatVector.zero(F));
        s = FloatVector.fromArray(F, xb, at + stride).fma(FloatVector.broadcast(F, row[2]), s);
        s = FloatVector.fromArray(F, xb, at + 2 * stride).fma(FloatVector.broadcast(F, row[3]), s);
        s = FloatVector.fromArray(F, xb, at + 3 * stride).fma(FloatVector.broadcast(F, row[4]), s);
        s = FloatVector.fromArray(F, xb, at + 4 * stride).fma(FloatVector.broadcast(F, row[5]), s);
        s = FloatVector.fromArray(F, xb, at + 5 * stride).fma(FloatVector.broadcast(F, row[6]), s);
        s = FloatVector.fromArray(F, xb, at + 6 * stride).fma(FloatVector.broadcast(F, row[7]), s);
        FloatVector.fromArray(F, xb, at + 7 * stride).fma(FloatVector.broadcast(F, row[8]), s).intoArray(v, o);
    }

    /**
     * v[ξ][c][i][lane] = (Bᵀ d B)[ξ] for tile t0 + i and channel c·L + lane, d its 4×4 window in xb.
     * Rows first (d·B, into a small scratch), then columns (Bᵀ·), both with the same four sums.
     */
    private static void transformInputs(float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb, int tb,
                                        int t0, int t1) {
        int tilesH = (g.outH() + 1) / 2, tilesW = (g.outW() + 1) / 2, perImage = tilesH * tilesW;
        int plane = hp * wp * L, image = cb * plane;
        float[] rows = Conv2dBatched.scratch(ROWS, POINTS * L);
        // Channels outer, as in transformInputsByTerms (Conv2d_4a and the 35×35 3×3s 1.05–1.13× alone).
        for (int c = 0; c < cb; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tilesW, tx = t % tilesW, i = t - t0;
                int at = n * image + c * plane + (2 * ty * wp + 2 * tx) * L;
                for (int a = 0; a < 4; a++, at += wp * L) {
                    FloatVector d0 = FloatVector.fromArray(F, xb, at);
                    FloatVector d1 = FloatVector.fromArray(F, xb, at + L);
                    FloatVector d2 = FloatVector.fromArray(F, xb, at + 2 * L);
                    FloatVector d3 = FloatVector.fromArray(F, xb, at + 3 * L);
                    d0.sub(d2).intoArray(rows, (4 * a) * L);
                    d1.add(d2).intoArray(rows, (4 * a + 1) * L);
                    d2.sub(d1).intoArray(rows, (4 * a + 2) * L);
                    d1.sub(d3).intoArray(rows, (4 * a + 3) * L);
                }
                for (int b = 0; b < 4; b++) {
                    FloatVector r0 = FloatVector.fromArray(F, rows, b * L);
                    FloatVector r1 = FloatVector.fromArray(F, rows, (4 + b) * L);
                    FloatVector r2 = FloatVector.fromArray(F, rows, (8 + b) * L);
                    FloatVector r3 = FloatVector.fromArray(F, rows, (12 + b) * L);
                    r0.sub(r2).intoArray(v, (((b) * cb + c) * tb + i) * L);
                    r1.add(r2).intoArray(v, (((4 + b) * cb + c) * tb + i) * L);
                    r2.sub(r1).intoArray(v, (((8 + b) * cb + c) * tb + i) * L);
                    r1.sub(r3).intoArray(v, (((12 + b) * cb + c) * tb + i) * L);
                }
            }
        }
    }

    /**
     * v[ξ][c][i][lane] = (Bᵀ d B)[ξ] for a six-point plan, tile t0 + i and channel c·L + lane, d its 6×6 window
     * in xb (windows 4 apart for F(4×4, 3×3), 2 for F(2×2, 5×5)): each window row through {@link #forward6} into a scratch (d·B), then each column of that (Bᵀ·).
     */
    static void transformInputsSixPoint(Plan plan, float[] xb, int hp, int wp, Conv2d.Geometry g, float[] v, int cb,
                                         int tb, int t0, int t1) {
        int ts = plan.tileH();   // 4, or 2 for F(2×2, 5×5): the same 6×6 windows, 4 or 2 apart
        int tilesH = (g.outH() + ts - 1) / ts, tilesW = (g.outW() + ts - 1) / ts, perImage = tilesH * tilesW;
        int plane = hp * wp * L, image = cb * plane, point = cb * tb * L;
        float[] rows = Conv2dBatched.scratch(ROWS, 36 * L);
        for (int c = 0; c < cb; c++) {
            for (int t = t0; t < t1; t++) {
                int n = t / perImage, ty = t % perImage / tilesW, tx = t % tilesW;
                int at = n * image + c * plane + (ts * ty * wp + ts * tx) * L;
                for (int a = 0; a < 6; a++) {
                    forward6(xb, at + a * wp * L, L, rows, 6 * a * L, L);
                }
                int o = (c * tb + t - t0) * L;
                for (int b = 0; b < 6; b++) {
                    forward6(rows, b * L, 6 * L, v, o + b * point, 6 * point);
                }
            }
        }
    }

    /**
     * dst[d + k·dStride] = (Bᵀ s)_k for the six vectors s_i = src[s + i·sStride], Bᵀ F(4, 3)'s
     * ({@link Plan#SQUARE4}), with its shared terms: p = s4 − 4·s2 and q = s3 − 4·s1 give rows 1 and 2,
     * r = s4 − s2 and e = 2·(s3 − s1) rows 3 and 4.
     */
    static void forward6(float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        FloatVector s0 = FloatVector.fromArray(F, src, s), s1 = FloatVector.fromArray(F, src, s + sStride);
        FloatVector s2 = FloatVector.fromArray(F, src, s + 2 * sStride), s3 = FloatVector.fromArray(F, src, s + 3 * sStride);
        FloatVector s4 = FloatVector.fromArray(F, src, s + 4 * sStride), s5 = FloatVector.fromArray(F, src, s + 5 * sStride);
        s0.fma(FloatVector.broadcast(F, 4f), s2.fma(FloatVector.broadcast(F, -5f), s4)).intoArray(dst, d);
        FloatVector p = s2.fma(FloatVector.broadcast(F, -4f), s4), q = s1.fma(FloatVector.broadcast(F, -4f), s3);
        p.add(q).intoArray(dst, d + dStride);
        p.sub(q).intoArray(dst, d + 2 * dStride);
        FloatVector r = s4.sub(s2), e = s3.sub(s1).mul(2f);
        r.add(e).intoArray(dst, d + 3 * dStride);
        r.sub(e).intoArray(dst, d + 4 * dStride);
        s1.fma(FloatVector.broadcast(F, 4f), s3.fma(FloatVector.broadcast(F, -5f), s5)).intoArray(dst, d + 5 * dStride);
    }

    /**
     * dst[d + k·dStride] = (Aᵀ m)_k, k &lt; 4, for the six vectors m_i = src[s + i·sStride], Aᵀ F(4, 3)'s:
     * with a = m1 + m2, b = m1 − m2, c = m3 + m4, e = m3 − m4: m0 + a + c, b + 2e, a + 4c, b + 8e + m5.
     */
    static void inverse6(float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        FloatVector m1 = FloatVector.fromArray(F, src, s + sStride), m2 = FloatVector.fromArray(F, src, s + 2 * sStride);
        FloatVector m3 = FloatVector.fromArray(F, src, s + 3 * sStride), m4 = FloatVector.fromArray(F, src, s + 4 * sStride);
        FloatVector a = m1.add(m2), b = m1.sub(m2), c = m3.add(m4), e = m3.sub(m4);
        FloatVector.fromArray(F, src, s).add(a).add(c).intoArray(dst, d);
        e.fma(FloatVector.broadcast(F, 2f), b).intoArray(dst, d + dStride);
        c.fma(FloatVector.broadcast(F, 4f), a).intoArray(dst, d + 2 * dStride);
        e.fma(FloatVector.broadcast(F, 8f), b).add(FloatVector.fromArray(F, src, s + 5 * sStride)).intoArray(dst, d + 3 * dStride);
    }

    /**
     * dst[d + k·dStride] = (Aᵀ m)_k, k &lt; 2, for F(2, 5) ({@link Plan#SQUARE5}): m0 + a + c and b + 2e + m5,
     * a to e as in {@link #inverse6}.
     */
    static void inverse62(float[] src, int s, int sStride, float[] dst, int d, int dStride) {
        FloatVector m1 = FloatVector.fromArray(F, src, s + sStride), m2 = FloatVector.fromArray(F, src, s + 2 * sStride);
        FloatVector m3 = FloatVector.fromArray(F, src, s + 3 * sStride), m4 = FloatVector.fromArray(F, src, s + 4 * sStride);
        FloatVector a = m1.add(m2), b = m1.sub(m2), c = m3.add(m4), e = m3.sub(m4);
        FloatVector.fromArray(F, src, s).add(a).add(c).intoArray(dst, d);
        e.fma(FloatVector.broadcast(F, 2f), b).add(FloatVector.fromArray(F, src, s + 5 * sStride)).intoArray(dst, d + dStride);
    }

    /**
     * out at each tile's outputs (2×2, or two along a row or column) from its sums (vectors of L output
     * channels), then the epilogue, for the vectors of channels [c0, c1); outputs past outH or outW (odd
     * sizes) are dropped.
     */
    private static void transformOutputs(Plan plan, float[] out, float[] m, Conv2d.Geometry g,
                                         BatchNormEpilogue epilogue, int cov, int stride, int c0, int c1, int t0, int t1,
                                         boolean blockedOut) {
        int outH = g.outH(), outW = g.outW(), positions = g.positions(), cout = g.cout();
        int th = plan.tileH(), tw = plan.tileW(), tilesW = tilesW(g, plan), perImage = tilesH(g, plan) * tilesW;
        int point = cov * stride * L;   // floats between two points' sums
        int runTiles = L / tw;          // tiles side by side that make L positions of a row
        float[] stage = Conv2dBatched.scratch(STAGE, Math.max(2, th) * L * L), sums = Conv2dBatched.scratch(ROWS, 24 * L),
                consts = Conv2dBatched.scratch(CONSTS, 3 * L);
        int[] planes = new int[L];
        for (int lane = 0; lane < L; lane++) {
            planes[lane] = lane * positions;
        }
        for (int cv = c0; cv < c1; cv++) {
            int c = cv * L;
            if (epilogue != null) {
                // This vector's mean, scale and beta side by side (0 past Cout), read by every tile below.
                epilogue.constants(c, cout, consts);
            }
            int lanes = Math.min(L, cout - c);
            if (blockedOut) {
                // Channel-blocked out: each output of a tile is one vector where it lies.
                for (int t = t0; t < t1; t++) {
                    int n = t / perImage, ty = t % perImage / tilesW, tx = t % tilesW;
                    int oh = th * ty, ow = tw * tx, rows = Math.min(th, outH - oh), cols = Math.min(tw, outW - ow);
                    outputs(plan, m, (cv * stride + t - t0) * L, point, stage, 0, sums, consts, epilogue);
                    int image = (n * cov + cv) * positions;
                    for (int dy = 0; dy < rows; dy++) {
                        System.arraycopy(stage, dy * L * L, out, (image + (oh + dy) * outW + ow) * L, cols * L);
                    }
                }
                continue;
            }
            for (int t = t0; t < t1; ) {
                int n = t / perImage, ty = t % perImage / tilesW, tx = t % tilesW;
                int run = Math.min(t1 - t, tilesW - tx), oh = th * ty;
                int row = (n * cout + c) * positions + oh * outW;
                int rows = Math.min(th, outH - oh);
                int k = 0;
                // Tiles side by side that make 16 positions of each of their output rows: staged with the
                // channels in the lanes, then out as 16 × 16 transposes (a scatter per position cost half the
                // time here). Staged output (dy, dx) of tile j: stage[(dy·L + j·tw + dx)·L].
                if (Transpose.APPLIES) {
                    for (; k + runTiles <= run && tw * (tx + k) + L <= outW; k += runTiles) {
                        for (int j = 0; j < runTiles; j++) {
                            int at = (cv * stride + t + k + j - t0) * L;
                            outputs(plan, m, at, point, stage, j * tw * L, sums, consts, epilogue);
                        }
                        for (int dy = 0; dy < rows; dy++) {
                            Transpose.transpose(stage, dy * L * L, L, out, row + dy * outW + tw * (tx + k), positions,
                                    lanes);
                        }
                    }
                }
                for (; k < run; k++) {
                    int at = (cv * stride + t + k - t0) * L, ow = tw * (tx + k);
                    outputs(plan, m, at, point, stage, 0, sums, consts, epilogue);
                    for (int dy = 0; dy < rows; dy++) {
                        for (int dx = 0; dx < tw && ow + dx < outW; dx++) {
                            Conv2dBlocked.scatter(stage, (dy * L + dx) * L, out, row + dy * outW + ow + dx, planes, lanes);
                        }
                    }
                }
                t += run;
            }
        }
    }

    /**
     * One tile's outputs, normalized, into the stage from {@code to}: output (dy, dx) at to + (dy·L + dx)·L.
     * F(2, r): y_i = Σ_ξ at[i][ξ]·m_ξ, the two outputs along the tile's row or column. rows is scratch;
     * consts holds the epilogue's mean, scale and beta of these channels.
     *
     * <p>Why loops, scratch and arrays rather than one expression per output and vector arguments: C2
     * compiles each Vector API operation to an instruction only while the method it inlines into stays
     * within its inlining budget; the eight row sums and four outputs written out in full ran past it,
     * and the last subtractions then ran the API's allocating Java fallback (JFR: about 35 MB of
     * garbage a second in a training step), as did vectors passed to a method not inlined.
     */
    private static void outputs(Plan plan, float[] m, int at, int point, float[] stage, int to, float[] rows,
                                float[] consts, BatchNormEpilogue epilogue) {
        if (plan.square()) {
            tile(m, at, point, stage, to, rows, consts, epilogue);
            return;
        }
        if (plan.twoDimensional()) {
            tileSixPoint(plan, m, at, point, stage, to, rows, consts, epilogue);
            return;
        }
        int outputs = plan.at().length;
        for (int i = 0; i < outputs; i++) {
            FloatVector y = FloatVector.zero(F);
            for (int xi : plan.atTerms()[i]) {
                y = FloatVector.fromArray(F, m, at + xi * point).fma(FloatVector.broadcast(F, plan.at()[i][xi]), y);
            }
            // Output i is (0, i) of a row's tile, (i, 0) of a column's.
            y.intoArray(stage, to + i * slot(plan));
        }
        if (epilogue != null) {
            epilogue.normalizeVectors(stage, to, slot(plan), outputs, consts);
        }
    }

    /** Floats between a one-dimensional tile's two staged outputs: along a row L, down a column L·L. */
    private static int slot(Plan plan) {
        return plan.tileW() > 1 ? L : L * L;
    }

    /**
     * Aᵀ M A of one tile's 16 sums at m[at + ξ·point], normalized: y00 and y01 to stage[to], stage[to + L],
     * y10 and y11 to stage[to + L·L], stage[to + (L + 1)·L] (the two output rows of a run of staged tiles).
     */
    private static void tile(float[] m, int at, int point, float[] stage, int to, float[] rows, float[] consts,
                             BatchNormEpilogue epilogue) {
        // Rows (M·A): t_a0 = m_a0 + m_a1 + m_a2 and t_a1 = m_a1 − m_a2 − m_a3, to rows[(2a + k)·L].
        for (int a = 0; a < 4; a++) {
            int row = at + 4 * a * point;
            FloatVector m1 = FloatVector.fromArray(F, m, row + point), m2 = FloatVector.fromArray(F, m, row + 2 * point);
            FloatVector.fromArray(F, m, row).add(m1).add(m2).intoArray(rows, 2 * a * L);
            m1.sub(m2).sub(FloatVector.fromArray(F, m, row + 3 * point)).intoArray(rows, (2 * a + 1) * L);
        }
        // Columns (Aᵀ·): y_0k = t_0k + t_1k + t_2k and y_1k = t_1k − t_2k − t_3k.
        for (int k = 0; k < 2; k++) {
            FloatVector t1 = FloatVector.fromArray(F, rows, (2 + k) * L), t2 = FloatVector.fromArray(F, rows, (4 + k) * L);
            FloatVector y0 = FloatVector.fromArray(F, rows, k * L).add(t1).add(t2);
            FloatVector y1 = t1.sub(t2).sub(FloatVector.fromArray(F, rows, (6 + k) * L));
            y0.intoArray(stage, to + k * L);
            y1.intoArray(stage, to + (L + k) * L);
        }
        if (epilogue != null) {
            epilogue.normalizeVectors(stage, to, L, 2, consts);
            epilogue.normalizeVectors(stage, to + L * L, L, 2, consts);
        }
    }

    /**
     * Aᵀ M A of one six-point tile's 36 sums at m[at + ξ·point], normalized: output (dy, dx) to
     * stage[to + (dy·L + dx)·L], 4 × 4 outputs (F(4×4, 3×3), {@link #inverse6}) or 2 × 2 (F(2×2, 5×5),
     * {@link #inverse62}). Rows (M·A, each row of M) into rows[(4a + k)·L], then its columns (Aᵀ·) into the stage.
     */
    private static void tileSixPoint(Plan plan, float[] m, int at, int point, float[] stage, int to, float[] rows,
                              float[] consts, BatchNormEpilogue epilogue) {
        int ts = plan.tileH();
        for (int a = 0; a < 6; a++) {
            if (ts == 4) {
                inverse6(m, at + 6 * a * point, point, rows, 4 * a * L, L);
            } else {
                inverse62(m, at + 6 * a * point, point, rows, 4 * a * L, L);
            }
        }
        for (int k = 0; k < ts; k++) {
            if (ts == 4) {
                inverse6(rows, k * L, 4 * L, stage, to + k * L, L * L);
            } else {
                inverse62(rows, k * L, 4 * L, stage, to + k * L, L * L);
            }
        }
        if (epilogue != null) {
            for (int dy = 0; dy < ts; dy++) {
                epilogue.normalizeVectors(stage, to + dy * L * L, L, ts, consts);
            }
        }
    }
}
