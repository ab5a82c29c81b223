package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Fills {
    private Fills() {
    }

    static void fill(CpuBackend cpu, Tensor out, float value) {
        throw new UnsupportedOperationException("cpu: Fills not implemented yet");
    }

    static void fillRandom(CpuBackend cpu, Tensor out, RandomStream.Distribution distribution, long seed, float a, float b) {
        throw new UnsupportedOperationException("cpu: Fills not implemented yet");
    }
}
