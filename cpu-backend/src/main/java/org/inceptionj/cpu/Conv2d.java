package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Conv2d {
    private Conv2d() {
    }

    static void forward(CpuBackend cpu, Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        throw new UnsupportedOperationException("cpu: Conv2d not implemented yet");
    }
}
