package org.inceptionj.inception;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * Inception-v3's building block: convolution without bias → batch norm (ε = 0.001) → ReLU.
 * All 94 convolutions of the main network and both of the auxiliary head are this block
 * (torchvision {@code BasicConv2d}; TF-slim {@code conv2d} under {@code inception_v3_arg_scope}).
 * State-dict names: {@code PREFIX.conv.weight} [Cout, Cin, kh, kw] and
 * {@code PREFIX.bn.{weight, bias, running_mean, running_var}} [Cout].
 */
final class BasicConv2d {
    static final float BN_EPS = 0.001f;
    static final float BN_MOMENTUM = 0.1f;

    final String name;
    final int in;
    final int out;
    final int kh;
    final int kw;
    final Conv2dSpec spec;
    private final Tensor weight;
    private final Tensor gamma;
    private final Tensor beta;
    private final Tensor runningMean;
    private final Tensor runningVar;

    /** A kh×kw convolution with the given stride and symmetric padding (padH, padW). */
    BasicConv2d(Parameters p, String name, int in, int out, int kh, int kw, int stride, int padH, int padW,
                float initStd) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.kh = kh;
        this.kw = kw;
        this.spec = Conv2dSpec.of(stride, padH, padW);
        this.weight = p.normal(name + ".conv.weight", Shape.of(out, in, kh, kw), initStd);
        this.gamma = p.constant(name + ".bn.weight", Shape.of(out), 1f);
        this.beta = p.constant(name + ".bn.bias", Shape.of(out), 0f);
        this.runningMean = p.constant(name + ".bn.running_mean", Shape.of(out), 0f);
        this.runningVar = p.constant(name + ".bn.running_var", Shape.of(out), 1f);
    }

    /** Square kernel k, stride s, padding pad on every side; torchvision's init (std 0.1). */
    static BasicConv2d square(Parameters p, String name, int in, int out, int k, int stride, int pad) {
        return new BasicConv2d(p, name, in, out, k, k, stride, pad, pad, 0.1f);
    }

    /** A factorized 1×n or n×1 convolution (stride 1, "same" padding). */
    static BasicConv2d rect(Parameters p, String name, int in, int out, int kh, int kw) {
        return new BasicConv2d(p, name, in, out, kh, kw, 1, (kh - 1) / 2, (kw - 1) / 2, 0.1f);
    }

    /**
     * y = relu(bn(conv(x))). Training normalizes with the batch statistics and updates the running
     * ones (momentum {@value #BN_MOMENTUM}, PyTorch's default); evaluation uses the running ones.
     * An evaluation that records nothing for backward is one backend call, {@link Ops#conv2dBatchNorm}
     * (the same values; a backend may normalize each output tile as it computes it).
     */
    Tensor forward(Tape t, Tensor x, boolean training) {
        if (!training && !t.isRecording()) {
            return Ops.conv2dBatchNorm(x, weight, gamma, beta, runningMean, runningVar, BN_EPS, spec, true);
        }
        try (TensorScope s = TensorScope.open()) {
            Tensor c = t.conv2d(x, weight, null, spec);
            // Batch norm and ReLU as one recorded op: in training one backend call each way.
            return s.keep(t.batchNormRelu(c, gamma, beta, runningMean, runningVar, BN_EPS, BN_MOMENTUM, training));
        }
    }

    /**
     * y = relu(bn(conv(avgPool(x)))): a module's branch pool, the average pool before this block. An evaluation
     * that records nothing for backward is one backend call, {@link Ops#avgPool2dConv2dBatchNorm}: a 1×1 commutes
     * with an average (both are the same weighted sums for every channel and every position), so a backend may
     * average this block's output channels instead of x's, which are 4 to 10 times as many in Inception-v3.
     * Training pools first, as the paper draws it.
     */
    Tensor forwardAfterAvgPool(Tape t, Tensor x, Pool2dSpec pool, boolean training) {
        if (!training && !t.isRecording()) {
            return Ops.avgPool2dConv2dBatchNorm(x, weight, gamma, beta, runningMean, runningVar, BN_EPS, pool, spec,
                    true);
        }
        return forward(t, t.avgPool2d(x, pool), training);
    }

    /** Output spatial size for an input of h×w, {h, w}. */
    int[] outSize(int h, int w) {
        return new int[] {spec.outH(h, kh), spec.outW(w, kw)};
    }

    /** Weights of the convolution (Cout·Cin·kh·kw) plus the BN affine pair (2·Cout). */
    long trainableParameters() {
        return (long) out * in * kh * kw + 2L * out;
    }
}
