package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API species, chosen once for the whole backend (the machine's preferred width:
 * 8 floats with AVX2, 16 with AVX-512).
 *
 * <p>Kernels call the Vector API directly ({@code a.fma(b, acc)}, {@code FloatVector.fromArray}),
 * never through helpers of our own: the API's methods are {@code @ForceInline}, ours are not, and
 * when C2 declines to inline a helper of ours inside a large kernel (its node budget depends on the
 * profile, so it differs from run to run) the vector arguments are boxed and every operation runs
 * the API's Java fallback: the same training step then allocates GBs per step and runs at a
 * third of its speed. An FMA is rounded once, so it differs from the plain loops'
 * {@code acc + a * b} (rounded twice) in the last bit; the conformance tolerances allow for it.
 */
final class Vectors {
    private Vectors() {
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Lanes 0, 2, 4, …, and the lower half of a vector: {@code v.compress(EVEN_LANES)} stored under
     * {@code LOWER_HALF} takes every other value of v (a stride-2 row of a pool or of a phase plane).
     * {@code FloatVector.fromArray(F, a, i, LOWER_HALF).convertShape(F2D, D, 0)} loads F.length() / 2 floats as
     * doubles (the sums of batch norm, {@link Reduce} and {@link SumOfSquares}). Why not a float species of half
     * the width: with a second float vector class in use, C2 sometimes compiled other kernels' Vector API calls
     * without their intrinsics (PrintIntrinsics: "missing constant: vclass"), and they ran the allocating Java
     * fallback for the rest of the run: in some runs of the default run's step 30–100 MB of garbage a step
     * (Conv2dBatched's and Gemm's copies), under {@code -XX:UseAVX=2} 323 MB a step; with one float species,
     * 3.5 MB a step in every run measured (8.5 under AVX2).
     */
    static final VectorMask<Float> EVEN_LANES = VectorMask.fromLong(F, 0x5555_5555_5555_5555L),
            LOWER_HALF = F.indexInRange(0, F.length() / 2);

    /**
     * Lane indexes into two vectors side by side, for {@code EVEN_OF_PAIR.selectFrom(a, b)}: the even lanes of
     * the pair (a's, then b's), and likewise the odd lanes. The even and the odd values of a run of two vectors,
     * each as one whole vector in one two-vector permute (a stride-2 row of {@link MaxPoolStrideTwo}).
     */
    static final FloatVector EVEN_OF_PAIR = pairLanes(0), ODD_OF_PAIR = pairLanes(1);

    private static FloatVector pairLanes(int first) {
        float[] at = new float[F.length()];
        for (int lane = 0; lane < at.length; lane++) {
            at[lane] = first + 2 * lane;
        }
        return FloatVector.fromArray(F, at, 0);
    }
}
