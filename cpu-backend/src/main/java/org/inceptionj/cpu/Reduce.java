package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Reduce {
    private Reduce() {
    }

    static void reduce(CpuBackend cpu, ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis) {
        throw new UnsupportedOperationException("cpu: Reduce not implemented yet");
    }
}
