package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
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
}
