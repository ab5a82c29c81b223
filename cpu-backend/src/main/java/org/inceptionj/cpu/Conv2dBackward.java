package org.inceptionj.cpu;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Tensor;

/** TODO: being written. */
final class Conv2dBackward {
    private Conv2dBackward() {
    }

    static void data(CpuBackend cpu, Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec) {
        throw new UnsupportedOperationException("cpu: conv2dBackwardData not implemented yet");
    }

    static void weight(CpuBackend cpu, Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec) {
        throw new UnsupportedOperationException("cpu: conv2dBackwardWeight not implemented yet");
    }
}
