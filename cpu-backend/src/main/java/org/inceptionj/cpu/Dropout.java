package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Dropout {
    private Dropout() {
    }

    static void forward(CpuBackend cpu, Tensor out, Tensor mask, Tensor x, float p, long seed) {
        throw new UnsupportedOperationException("cpu: Dropout not implemented yet");
    }
}
