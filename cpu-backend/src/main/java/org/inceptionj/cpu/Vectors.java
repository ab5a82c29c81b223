package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API species, chosen once for the whole backend (the machine's preferred width:
 * 8 floats with AVX2, 16 with AVX-512), and the one FMA helper.
 */
final class Vectors {
    private Vectors() {
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * acc + a·b as one fused multiply-add: rounded once, so it differs from the plain loop's
     * {@code acc + a * b} (rounded twice) in the last bit; the conformance tolerances allow for it.
     */
    static FloatVector fma(FloatVector a, FloatVector b, FloatVector acc) {
        return a.fma(b, acc);
    }
}
