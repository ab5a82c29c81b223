package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class MatMul {
    private MatMul() {
    }

    static void matmul(CpuBackend cpu, Tensor out, Tensor a, Tensor b, boolean transA, boolean transB) {
        throw new UnsupportedOperationException("cpu: MatMul not implemented yet");
    }
}
