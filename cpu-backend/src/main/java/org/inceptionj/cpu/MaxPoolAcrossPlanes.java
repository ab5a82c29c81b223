package org.inceptionj.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.inceptionj.api.Pool2dSpec;

/**
 * Max pooling, forward and backward, with the vectors running across planes: a block of L planes
 * (n, c) is transposed into a cell-major buffer (cell t of every plane side by side, one vector), each
 * window is then a few vector maxima in that buffer, and the block is transposed back. The same
 * layout as {@link Pooling}'s average over tiny planes, for the max.
 *
 * <p>Why: Inception's grid reductions pool 3×3 windows at stride 2, over planes of 35×35, 15×15, 7×7
 * and 3×3 in the default run. Along a plane's rows a vector then covers a whole row of outputs or
 * less, and the stride leaves every other lane's work unused; a 3×3 plane has a single output. Across
 * planes every lane is a plane, whatever the geometry.
 *
 * <p>The same results as the plain loops of {@link Pooling}, bit for bit: each lane takes
 * {@link Math#max} over its window's real cells in window order, from −∞ (the vector max is Math.max
 * lane by lane, NaN and signed zeros included); the gradient's winner is the window's first real cell,
 * replaced by each later one strictly greater, and dx takes each window's dy at its winner in output
 * order, from +0, as the plain loop adds them. Planes left over after the last whole block take the
 * same steps one at a time. One instance per parallel chunk: it holds that chunk's buffers.
 */
final class MaxPoolAcrossPlanes {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    /** Planes and window tables up to this many cells (a plane's H·W, and outputs × kH × kW). */
    static final int MAX_CELLS = 4096;

    private final int cellsPerPlane, outputs;
    /** The real cells of window o, in window order (rows, then columns): cells[first[o] .. first[o + 1]). */
    private final int[] first, cells;
    /** lanes[lane] = lane · H·W, and likewise per output: where each lane's plane starts, relative to the block's. */
    private final int[] planeLanes, outputLanes;
    /** The block, cell-major: [cell][lane]; its outputs [output][lane]; the gradient's cells [cell][lane]. */
    private final float[] planeCells, planeOutputs, gradCells;

    private MaxPoolAcrossPlanes(Pool2dSpec s, int h, int w, int oh, int ow, boolean backward) {
        cellsPerPlane = h * w;
        outputs = oh * ow;
        first = new int[outputs + 1];
        int[] list = new int[outputs * s.kernelH() * s.kernelW()];
        int n = 0;
        for (int r = 0; r < oh; r++) {
            for (int c = 0; c < ow; c++) {
                first[r * ow + c] = n;
                for (int i = 0; i < s.kernelH(); i++) {
                    int ih = r * s.strideH() - s.padTop() + i * s.dilationH();
                    for (int j = 0; j < s.kernelW(); j++) {
                        int iw = c * s.strideW() - s.padLeft() + j * s.dilationW();
                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                            list[n++] = ih * w + iw;
                        }
                    }
                }
            }
        }
        first[outputs] = n;
        cells = Arrays.copyOf(list, n);
        planeLanes = new int[L];
        outputLanes = new int[L];
        for (int lane = 0; lane < L; lane++) {
            planeLanes[lane] = lane * cellsPerPlane;
            outputLanes[lane] = lane * outputs;
        }
        planeCells = new float[cellsPerPlane * L];
        planeOutputs = new float[outputs * L];
        gradCells = backward ? new float[cellsPerPlane * L] : null;
    }

    /**
     * The forward's tables for this geometry, or null where the plane's rows hold a vector of outputs
     * or more (the row kernels of {@link Pooling} fill their lanes there) or the tables would be too big.
     * Measured, 3×3 stride 2, against the row kernels, one and two threads: the default run's 3×3
     * planes (64 × 192) 10× and 7.7×, 7×7 (64 × 72) 1.65× and 1.5×, 15×15 (64 × 48) 1.6× and 1.0×;
     * Mixed_7a at batch 1 (768 planes of 17×17) 1.6× and 1.5×; 35×35 planes mixed (0.6–1.5×). Since
     * then {@link MaxPoolStrideTwo} takes the unpadded 3×3 windows at stride 2 (each vector maximum
     * serving outputs only, no transposition), so the forward here serves the other geometries.
     */
    static MaxPoolAcrossPlanes forwardOf(Pool2dSpec s, int h, int w, int oh, int ow) {
        return ow < L && fits(s, h, w, oh, ow) ? new MaxPoolAcrossPlanes(s, h, w, oh, ow, false) : null;
    }

    /**
     * The gradient's tables, or null unless the plane's rows hold fewer than four outputs: there it also
     * transposes dy and dx, and for larger planes the row kernels measured faster (15×15 planes 0.6–0.8×).
     * Measured as for the forward: 3×3 planes 7.2× and 5.4×, 7×7 1.0× and 0.94× (kept, for one path).
     */
    static MaxPoolAcrossPlanes backwardOf(Pool2dSpec s, int h, int w, int oh, int ow) {
        return takesBackward(s, h, w, oh, ow) ? new MaxPoolAcrossPlanes(s, h, w, oh, ow, true) : null;
    }

    /** Whether {@link #backwardOf} gives tables for this geometry (without building them). */
    static boolean takesBackward(Pool2dSpec s, int h, int w, int oh, int ow) {
        return ow < 4 && fits(s, h, w, oh, ow);
    }

    private static boolean fits(Pool2dSpec s, int h, int w, int oh, int ow) {
        long windowCells = (long) oh * ow * s.kernelH() * s.kernelW();
        return oh > 0 && ow > 0 && windowCells <= MAX_CELLS && (long) h * w <= MAX_CELLS;
    }

    /** out (planes [lo, hi)) = the max over each window's real cells of x, −∞ where there are none. */
    void forward(float[] out, float[] x, int lo, int hi) {
        int p = lo;
        for (; p + L <= hi; p += L) {
            toLanes(x, p * cellsPerPlane, planeLanes, cellsPerPlane, planeCells);
            for (int o = 0; o < outputs; o++) {
                FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int k = first[o]; k < first[o + 1]; k++) {
                    m = m.max(FloatVector.fromArray(F, planeCells, cells[k] * L));
                }
                m.intoArray(planeOutputs, o * L);
            }
            fromLanes(planeOutputs, outputs, out, p * outputs, outputLanes);
        }
        for (; p < hi; p++) {
            int in = p * cellsPerPlane, at = p * outputs;
            for (int o = 0; o < outputs; o++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int k = first[o]; k < first[o + 1]; k++) {
                    m = Math.max(m, x[in + cells[k]]);
                }
                out[at + o] = m;
            }
        }
    }

    /** dx (planes [lo, hi), overwritten) = each window's dy at its winner in x, summed in output order. */
    void backward(float[] dx, float[] dy, float[] x, int lo, int hi) {
        int p = lo;
        for (; p + L <= hi; p += L) {
            toLanes(x, p * cellsPerPlane, planeLanes, cellsPerPlane, planeCells);
            toLanes(dy, p * outputs, outputLanes, outputs, planeOutputs);
            Arrays.fill(gradCells, 0f);
            for (int o = 0; o < outputs; o++) {
                int k0 = first[o], k1 = first[o + 1];
                if (k0 == k1) {
                    continue;   // no real cell: nothing passes
                }
                FloatVector best = FloatVector.fromArray(F, planeCells, cells[k0] * L);
                IntVector winner = IntVector.broadcast(I, cells[k0]);
                for (int k = k0 + 1; k < k1; k++) {
                    FloatVector v = FloatVector.fromArray(F, planeCells, cells[k] * L);
                    VectorMask<Float> greater = v.compare(VectorOperators.GT, best);
                    best = best.blend(v, greater);
                    winner = winner.blend(cells[k], greater.cast(I));
                }
                FloatVector g = FloatVector.fromArray(F, planeOutputs, o * L);
                for (int k = k0; k < k1; k++) {
                    int at = cells[k] * L;
                    VectorMask<Float> won = winner.compare(VectorOperators.EQ, cells[k]).cast(F);
                    FloatVector.fromArray(F, gradCells, at).add(g, won).intoArray(gradCells, at);
                }
            }
            fromLanes(gradCells, cellsPerPlane, dx, p * cellsPerPlane, planeLanes);
        }
        for (; p < hi; p++) {
            int in = p * cellsPerPlane, at = p * outputs;
            Arrays.fill(dx, in, in + cellsPerPlane, 0f);
            for (int o = 0; o < outputs; o++) {
                int k0 = first[o], k1 = first[o + 1];
                if (k0 == k1) {
                    continue;
                }
                int winner = cells[k0];
                float best = x[in + winner];
                for (int k = k0 + 1; k < k1; k++) {
                    float v = x[in + cells[k]];
                    if (v > best) {
                        best = v;
                        winner = cells[k];
                    }
                }
                dx[in + winner] += dy[at + o];
            }
        }
    }

    /** lanes[t·L + lane] = planes[from + lanes' offset + t] for t &lt; size: one gather per cell. */
    private static void toLanes(float[] planes, int from, int[] offsets, int size, float[] lanes) {
        for (int t = 0; t < size; t++) {
            FloatVector.fromArray(F, planes, from + t, offsets, 0).intoArray(lanes, t * L);
        }
    }

    /** planes[to + lane's offset + t] = lanes[t·L + lane] for t &lt; size: one scatter per cell. */
    private static void fromLanes(float[] lanes, int size, float[] planes, int to, int[] offsets) {
        for (int t = 0; t < size; t++) {
            FloatVector.fromArray(F, lanes, t * L).intoArray(planes, to + t, offsets, 0);
        }
    }
}
