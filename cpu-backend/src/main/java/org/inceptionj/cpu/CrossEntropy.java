package org.inceptionj.cpu;

import org.inceptionj.api.Tensor;

/** TODO: being written. */
final class CrossEntropy {
    private CrossEntropy() {
    }

    static void forwardBackward(CpuBackend cpu, Tensor loss, Tensor dlogits, Tensor logits, int[] labels,
                                float epsilon, Tensor prior) {
        throw new UnsupportedOperationException("cpu: softmaxCrossEntropy not implemented yet");
    }
}
