package org.inceptionj.cpu;

import org.inceptionj.conformance.onnx.OnnxNodeConformance;

/** The ONNX backend node tests on the CPU backend: 2 threads, Vector API kernels. */
class CpuOnnxNodeTest extends OnnxNodeConformance {
    CpuOnnxNodeTest() {
        super(() -> new CpuBackend(new CpuConfig(2, true)));
    }
}
