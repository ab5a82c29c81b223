package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Softmax {
    private Softmax() {
    }

    static void forward(CpuBackend cpu, Tensor out, Tensor x, int axis, boolean log) {
        throw new UnsupportedOperationException("cpu: Softmax not implemented yet");
    }
}
