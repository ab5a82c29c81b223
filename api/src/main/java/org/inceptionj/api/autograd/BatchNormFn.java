package org.inceptionj.api.autograd;

import org.inceptionj.api.Ops;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;

/**
 * Batch normalization (Ioffe and Szegedy, 2015), channel axis 1.
 * <p>Training: y = γ·x̂ + β with x̂ = (x − μ_B)·invStd_B over the batch; saves x, γ, μ_B, invStd_B;
 * backward is the backend's fused {@code batchNormBackward}: dβ = Σ dy, dγ = Σ dy·x̂,
 * dx = γ·invStd/M·(M·dy − dβ − x̂·dγ) (the batch statistics depend on x, hence the two extra terms).
 * <p>Evaluation: the running statistics are constants, so y is affine in x:
 * dx = dy·γ·invStd_run, dγ = Σ dy·x̂, dβ = Σ dy.
 */
final class BatchNormFn {
    private BatchNormFn() {
    }

    static Tensor apply(Tape tape, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                        float eps, float momentum, boolean training) {
        return apply(tape, x, gamma, beta, runningMean, runningVar, eps, momentum, training, false);
    }

    /**
     * With {@code relu}, y = max(BN(x), 0). In training that is one forward call and one backward call
     * (the backward masks dy where y ≤ 0 as it reads it, {@link Ops#batchNormReluBackward}), which saves y
     * and x; in evaluation it is batch norm and then {@link ReluFn}.
     */
    static Tensor apply(Tape tape, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                        float eps, float momentum, boolean training, boolean relu) {
        if (!training && relu) {
            try (TensorScope s = TensorScope.open()) {
                Tensor b = apply(tape, x, gamma, beta, runningMean, runningVar, eps, momentum, false, false);
                return s.keep(ReluFn.apply(tape, b));
            }
        }
        if (training) {
            Ops.BatchNormResult r = Ops.batchNormTraining(x, gamma, beta, runningMean, runningVar, eps, momentum, relu);
            if (tape.needsGrad(x, gamma, beta)) {
                Tensor mean = TensorScope.detach(r.mean()), invStd = TensorScope.detach(r.invStd());
                Tensor y = r.out();
                tape.record(relu ? "batchNormRelu(train)" : "batchNorm(train)", new Tensor[] {x, gamma, beta}, y, dy -> {
                    Ops.BatchNormGrads g = relu ? Ops.batchNormReluBackward(dy, y, x, gamma, mean, invStd)
                            : Ops.batchNormBackward(dy, x, gamma, mean, invStd);
                    return new Tensor[] {g.dx(), g.dgamma(), g.dbeta()};
                }, relu ? new Tensor[] {x, y, gamma, mean, invStd} : new Tensor[] {x, gamma, mean, invStd});
                // The tape now holds the saved statistics; drop our own reference.
                mean.close();
                invStd.close();
            } else {
                r.mean().close();
                r.invStd().close();
            }
            return r.out();
        }
        Tensor y = Ops.batchNorm(x, gamma, beta, runningMean, runningVar, eps);
        if (tape.needsGrad(x, gamma, beta)) {
            tape.record("batchNorm(eval)", new Tensor[] {x, gamma, beta}, y, dy -> {
                int c = x.shape().dim(1);
                Shape perChannel = channelShape(x.shape());
                Tensor invStd = Ops.reshape(Ops.unary(org.inceptionj.api.UnaryOp.RECIPROCAL,
                        Ops.sqrt(Ops.affine(runningVar, 1f, eps))), perChannel);
                Tensor xhat = Ops.mul(Ops.sub(x, Ops.reshape(runningMean, perChannel)), invStd);
                Tensor dx = Ops.mul(dy, Ops.mul(Ops.reshape(gamma, perChannel), invStd));
                Tensor dgamma = Ops.reshape(Ops.reduce(ReduceOp.SUM, Ops.mul(dy, xhat), true, nonChannelAxes(x)),
                        Shape.of(c));
                Tensor dbeta = Ops.reshape(Ops.reduce(ReduceOp.SUM, dy, true, nonChannelAxes(x)), Shape.of(c));
                return new Tensor[] {dx, dgamma, dbeta};
            }, x, gamma, runningMean, runningVar);
        }
        return y;
    }

    /** [1, C, 1, ...]: broadcasts a per-channel vector over x. */
    static Shape channelShape(Shape xs) {
        int[] d = new int[xs.rank()];
        java.util.Arrays.fill(d, 1);
        d[1] = xs.dim(1);
        return Shape.of(d);
    }

    static int[] nonChannelAxes(Tensor x) {
        int r = x.shape().rank();
        int[] axes = new int[r - 1];
        axes[0] = 0;
        for (int i = 2; i < r; i++) {
            axes[i - 1] = i;
        }
        return axes;
    }
}
