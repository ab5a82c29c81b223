package org.inceptionj.cpu;

import org.inceptionj.api.*;

/** TODO: being written. */
final class BatchNorm {
    private BatchNorm() {
    }

    static void inference(CpuBackend cpu, Tensor out, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, float eps) {
        throw new UnsupportedOperationException("cpu: BatchNorm not implemented yet");
    }

    static void training(CpuBackend cpu, Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum) {
        throw new UnsupportedOperationException("cpu: BatchNorm not implemented yet");
    }
}
