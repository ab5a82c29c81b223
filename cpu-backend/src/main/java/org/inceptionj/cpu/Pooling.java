package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Pooling {
    private Pooling() {
    }

    static void max(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec spec) {
        throw new UnsupportedOperationException("cpu: Pooling not implemented yet");
    }

    static void average(CpuBackend cpu, Tensor out, Tensor x, Pool2dSpec spec) {
        throw new UnsupportedOperationException("cpu: Pooling not implemented yet");
    }
}
