package org.inceptionj.inception;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * The expanded 8×8 module (Mixed_7b, 7c; paper figure 7): the 3×3 convolutions are split into
 * parallel 1×3 and 3×1 whose outputs are concatenated (1×3 first), widening the filter bank to
 * promote high-dimensional representations at the coarsest grid (§2 principle 2).
 * Output 320 + 768 + 768 + 192 = 2048 channels.
 */
final class InceptionE {
    private final BasicConv2d branch1x1;
    private final BasicConv2d branch3x3_1;
    private final BasicConv2d branch3x3_2a;
    private final BasicConv2d branch3x3_2b;
    private final BasicConv2d branch3x3dbl_1;
    private final BasicConv2d branch3x3dbl_2;
    private final BasicConv2d branch3x3dbl_3a;
    private final BasicConv2d branch3x3dbl_3b;
    private final BasicConv2d branch_pool;
    private final Pool2dSpec avgPool;
    /** Output channels: 320 + 768 + 768 + 192 = 2048 at full width. */
    final int out;

    InceptionE(Parameters p, String name, int in, boolean countIncludePad, Width w) {
        branch1x1 = BasicConv2d.square(p, name + ".branch1x1", in, w.of(320), 1, 1, 0);
        branch3x3_1 = BasicConv2d.square(p, name + ".branch3x3_1", in, w.of(384), 1, 1, 0);
        branch3x3_2a = BasicConv2d.rect(p, name + ".branch3x3_2a", w.of(384), w.of(384), 1, 3);
        branch3x3_2b = BasicConv2d.rect(p, name + ".branch3x3_2b", w.of(384), w.of(384), 3, 1);
        branch3x3dbl_1 = BasicConv2d.square(p, name + ".branch3x3dbl_1", in, w.of(448), 1, 1, 0);
        branch3x3dbl_2 = BasicConv2d.square(p, name + ".branch3x3dbl_2", w.of(448), w.of(384), 3, 1, 1);
        branch3x3dbl_3a = BasicConv2d.rect(p, name + ".branch3x3dbl_3a", w.of(384), w.of(384), 1, 3);
        branch3x3dbl_3b = BasicConv2d.rect(p, name + ".branch3x3dbl_3b", w.of(384), w.of(384), 3, 1);
        branch_pool = BasicConv2d.square(p, name + ".branch_pool", in, w.of(192), 1, 1, 0);
        avgPool = Pool2dSpec.of(3, 1, 1).withCountIncludePad(countIncludePad);
        out = branch1x1.out + branch3x3_2a.out + branch3x3_2b.out + branch3x3dbl_3a.out + branch3x3dbl_3b.out
                + branch_pool.out;
    }

    /** The block's kind, for {@link Summary}. */
    String describe() {
        return "InceptionE";
    }

    Tensor forward(Tape t, Tensor x, boolean training) {                       // N x in x 8 x 8
        try (TensorScope s = TensorScope.open()) {
            Tensor b1 = branch1x1.forward(t, x, training);                        // N x 320 x 8 x 8
            Tensor b3 = branch3x3_1.forward(t, x, training);                      // N x 384 x 8 x 8
            b3 = t.concat(1, branch3x3_2a.forward(t, b3, training),               // N x 384 x 8 x 8 (1x3)
                    branch3x3_2b.forward(t, b3, training));                       // + 384 (3x1) = 768
            Tensor bd = branch3x3dbl_1.forward(t, x, training);                   // N x 448 x 8 x 8
            bd = branch3x3dbl_2.forward(t, bd, training);                         // N x 384 x 8 x 8
            bd = t.concat(1, branch3x3dbl_3a.forward(t, bd, training),            // N x 384 x 8 x 8 (1x3)
                    branch3x3dbl_3b.forward(t, bd, training));                    // + 384 (3x1) = 768
            Tensor bp = branch_pool.forwardAfterAvgPool(t, x, avgPool, training); // N x 192 x 8 x 8
            return s.keep(t.concat(1, b1, b3, bd, bp));                           // N x 2048 x 8 x 8
        }
    }
}
