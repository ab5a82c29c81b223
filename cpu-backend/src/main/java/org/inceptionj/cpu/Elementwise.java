package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Elementwise {
    private Elementwise() {
    }

    static void unary(CpuBackend cpu, UnaryOp op, Tensor out, Tensor x) {
        throw new UnsupportedOperationException("cpu: Elementwise not implemented yet");
    }

    static void binary(CpuBackend cpu, BinaryOp op, Tensor out, Tensor a, Tensor b) {
        throw new UnsupportedOperationException("cpu: Elementwise not implemented yet");
    }

    static void affine(CpuBackend cpu, Tensor out, Tensor x, float alpha, float beta) {
        throw new UnsupportedOperationException("cpu: Elementwise not implemented yet");
    }

    static void clip(CpuBackend cpu, Tensor out, Tensor x, float lo, float hi) {
        throw new UnsupportedOperationException("cpu: Elementwise not implemented yet");
    }
}
