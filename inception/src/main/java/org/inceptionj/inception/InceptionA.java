package org.inceptionj.inception;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * The 35×35 module (Mixed_5b, 5c, 5d; paper figure 5, "3×Inception" at 35×35 in Table 1). The
 * paper's factorization of a 5×5 into two 3×3 is {@code branch3x3dbl}; torchvision, TF-slim and
 * Keras also keep a real 5×5 branch ({@code branch5x5}). Output channels 64 + 64 + 96 + pool_features.
 */
final class InceptionA {
    private final BasicConv2d branch1x1;
    private final BasicConv2d branch5x5_1;
    private final BasicConv2d branch5x5_2;
    private final BasicConv2d branch3x3dbl_1;
    private final BasicConv2d branch3x3dbl_2;
    private final BasicConv2d branch3x3dbl_3;
    private final BasicConv2d branch_pool;
    private final Pool2dSpec avgPool;
    /** Output channels: 64 + 64 + 96 + pool_features at full width. */
    final int out;

    InceptionA(Parameters p, String name, int in, int poolFeatures, boolean countIncludePad, Width w) {
        branch1x1 = BasicConv2d.square(p, name + ".branch1x1", in, w.of(64), 1, 1, 0);
        branch5x5_1 = BasicConv2d.square(p, name + ".branch5x5_1", in, w.of(48), 1, 1, 0);
        branch5x5_2 = BasicConv2d.square(p, name + ".branch5x5_2", w.of(48), w.of(64), 5, 1, 2);
        branch3x3dbl_1 = BasicConv2d.square(p, name + ".branch3x3dbl_1", in, w.of(64), 1, 1, 0);
        branch3x3dbl_2 = BasicConv2d.square(p, name + ".branch3x3dbl_2", w.of(64), w.of(96), 3, 1, 1);
        branch3x3dbl_3 = BasicConv2d.square(p, name + ".branch3x3dbl_3", w.of(96), w.of(96), 3, 1, 1);
        branch_pool = BasicConv2d.square(p, name + ".branch_pool", in, w.of(poolFeatures), 1, 1, 0);
        avgPool = Pool2dSpec.of(3, 1, 1).withCountIncludePad(countIncludePad);
        out = branch1x1.out + branch5x5_2.out + branch3x3dbl_3.out + branch_pool.out;
    }

    /** The block's kind, for {@link Summary}. */
    String describe() {
        return "InceptionA";
    }

    Tensor forward(Tape t, Tensor x, boolean training) {                       // N x in x 35 x 35
        try (TensorScope s = TensorScope.open()) {
            Tensor b1 = branch1x1.forward(t, x, training);                        // N x 64 x 35 x 35
            Tensor b5 = branch5x5_1.forward(t, x, training);                      // N x 48 x 35 x 35
            b5 = branch5x5_2.forward(t, b5, training);                            // N x 64 x 35 x 35
            Tensor b3 = branch3x3dbl_1.forward(t, x, training);                   // N x 64 x 35 x 35
            b3 = branch3x3dbl_2.forward(t, b3, training);                         // N x 96 x 35 x 35
            b3 = branch3x3dbl_3.forward(t, b3, training);                         // N x 96 x 35 x 35
            Tensor bp = branch_pool.forwardAfterAvgPool(t, x, avgPool, training); // N x pool_features x 35 x 35
            return s.keep(t.concat(1, b1, b5, b3, bp));                           // N x 224+pf x 35 x 35
        }
    }
}
