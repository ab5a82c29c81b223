package org.inceptionj.inception;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * The auxiliary classifier on top of the last 17×17 layer (paper §4 and figure 8; torchvision
 * {@code InceptionAux}): 5×5/3 average pool → 1×1 conv 128 → 5×5 conv 768 → global average →
 * fully connected. The paper argues it acts as a regularizer, more so with batch norm.
 * With {@code batchNorm} (the paper's "BN-auxiliary", Table 3), the logits then go through a batch
 * norm over the K classes (BatchNorm1d, ε 0.001, momentum 0.1) with parameters
 * {@code NAME.fc_bn.{weight,bias,running_mean,running_var}} [K]; these names are this project's own,
 * torchvision has no such layer.
 */
final class InceptionAux {
    private final BasicConv2d conv0;
    private final BasicConv2d conv1;
    private final Tensor fcWeight;
    private final Tensor fcBias;
    private final Tensor bnGamma;
    private final Tensor bnBeta;
    private final Tensor bnRunningMean;
    private final Tensor bnRunningVar;
    private static final Pool2dSpec AVG_5X5_S3 = Pool2dSpec.of(5, 3, 0);

    InceptionAux(Parameters p, String name, int in, int numClasses, boolean batchNorm, Width w) {
        conv0 = BasicConv2d.square(p, name + ".conv0", in, w.of(128), 1, 1, 0);
        conv1 = new BasicConv2d(p, name + ".conv1", w.of(128), w.of(768), 5, 5, 1, 0, 0, 0.01f);
        fcWeight = p.normal(name + ".fc.weight", Shape.of(numClasses, conv1.out), 0.001f);
        fcBias = p.constant(name + ".fc.bias", Shape.of(numClasses), 0f);
        Shape k = Shape.of(numClasses);
        bnGamma = batchNorm ? p.constant(name + ".fc_bn.weight", k, 1f) : null;
        bnBeta = batchNorm ? p.constant(name + ".fc_bn.bias", k, 0f) : null;
        bnRunningMean = batchNorm ? p.constant(name + ".fc_bn.running_mean", k, 0f) : null;
        bnRunningVar = batchNorm ? p.constant(name + ".fc_bn.running_var", k, 1f) : null;
    }

    /** The block's kind, for {@link Summary}. */
    String describe() {
        return "InceptionAux";
    }

    Tensor forward(Tape t, Tensor x, boolean training) {                       // N x 768 x 17 x 17
        try (TensorScope s = TensorScope.open()) {
            Tensor h = t.avgPool2d(x, AVG_5X5_S3);                                // N x 768 x 5 x 5
            h = conv0.forward(t, h, training);                                    // N x 128 x 5 x 5
            h = conv1.forward(t, h, training);                                    // N x 768 x 1 x 1
            h = t.globalAvgPool(h);                                               // N x 768 x 1 x 1
            h = t.flatten(h, 1);                                                  // N x 768
            h = t.linear(h, fcWeight, fcBias);                                    // N x num_classes
            if (bnGamma != null) {
                h = t.batchNorm(h, bnGamma, bnBeta, bnRunningMean, bnRunningVar,
                        BasicConv2d.BN_EPS, BasicConv2d.BN_MOMENTUM, training);   // N x num_classes
            }
            return s.keep(h);
        }
    }
}
