package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class Layout {
    private Layout() {
    }

    static void concat(CpuBackend cpu, Tensor out, Tensor[] parts, int axis) {
        throw new UnsupportedOperationException("cpu: Layout not implemented yet");
    }

    static void slice(CpuBackend cpu, Tensor out, Tensor x, int axis, int start) {
        throw new UnsupportedOperationException("cpu: Layout not implemented yet");
    }
}
