package org.inceptionj.inception;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * The 17×17 module (Mixed_6b–6e; paper figure 6, n = 7): every 7×7 is factorized into a 1×7 and a
 * 7×1 (§3.2, asymmetric convolutions). {@code branch7x7} is 1×7 then 7×1; {@code branch7x7dbl} is
 * 7×1, 1×7, 7×1, 1×7. {@code c7} = 128, 160, 160, 192 in 6b–6e. Output 4 × 192 = 768 channels.
 */
final class InceptionC {
    private final BasicConv2d branch1x1;
    private final BasicConv2d branch7x7_1;
    private final BasicConv2d branch7x7_2;
    private final BasicConv2d branch7x7_3;
    private final BasicConv2d branch7x7dbl_1;
    private final BasicConv2d branch7x7dbl_2;
    private final BasicConv2d branch7x7dbl_3;
    private final BasicConv2d branch7x7dbl_4;
    private final BasicConv2d branch7x7dbl_5;
    private final BasicConv2d branch_pool;
    private final Pool2dSpec avgPool;
    /** c7 as written in the paper's table, before the width multiplier. */
    private final int channels7x7;
    /** Output channels: 4 × 192 = 768 at full width. */
    final int out;

    InceptionC(Parameters p, String name, int in, int channels7x7, boolean countIncludePad, Width w) {
        this.channels7x7 = channels7x7;
        int c7 = w.of(channels7x7);
        branch1x1 = BasicConv2d.square(p, name + ".branch1x1", in, w.of(192), 1, 1, 0);
        branch7x7_1 = BasicConv2d.square(p, name + ".branch7x7_1", in, c7, 1, 1, 0);
        branch7x7_2 = BasicConv2d.rect(p, name + ".branch7x7_2", c7, c7, 1, 7);
        branch7x7_3 = BasicConv2d.rect(p, name + ".branch7x7_3", c7, w.of(192), 7, 1);
        branch7x7dbl_1 = BasicConv2d.square(p, name + ".branch7x7dbl_1", in, c7, 1, 1, 0);
        branch7x7dbl_2 = BasicConv2d.rect(p, name + ".branch7x7dbl_2", c7, c7, 7, 1);
        branch7x7dbl_3 = BasicConv2d.rect(p, name + ".branch7x7dbl_3", c7, c7, 1, 7);
        branch7x7dbl_4 = BasicConv2d.rect(p, name + ".branch7x7dbl_4", c7, c7, 7, 1);
        branch7x7dbl_5 = BasicConv2d.rect(p, name + ".branch7x7dbl_5", c7, w.of(192), 1, 7);
        branch_pool = BasicConv2d.square(p, name + ".branch_pool", in, w.of(192), 1, 1, 0);
        avgPool = Pool2dSpec.of(3, 1, 1).withCountIncludePad(countIncludePad);
        out = branch1x1.out + branch7x7_3.out + branch7x7dbl_5.out + branch_pool.out;
    }

    /** The block's kind and its c7 at full width, for {@link Summary}. */
    String describe() {
        return "InceptionC c7=" + channels7x7;
    }

    Tensor forward(Tape t, Tensor x, boolean training) {                       // N x 768 x 17 x 17
        try (TensorScope s = TensorScope.open()) {
            Tensor b1 = branch1x1.forward(t, x, training);                        // N x 192 x 17 x 17
            Tensor b7 = branch7x7_1.forward(t, x, training);                      // N x c7 x 17 x 17
            b7 = branch7x7_2.forward(t, b7, training);                            // N x c7 x 17 x 17  (1x7)
            b7 = branch7x7_3.forward(t, b7, training);                            // N x 192 x 17 x 17 (7x1)
            Tensor bd = branch7x7dbl_1.forward(t, x, training);                   // N x c7 x 17 x 17
            bd = branch7x7dbl_2.forward(t, bd, training);                         // N x c7 x 17 x 17  (7x1)
            bd = branch7x7dbl_3.forward(t, bd, training);                         // N x c7 x 17 x 17  (1x7)
            bd = branch7x7dbl_4.forward(t, bd, training);                         // N x c7 x 17 x 17  (7x1)
            bd = branch7x7dbl_5.forward(t, bd, training);                         // N x 192 x 17 x 17 (1x7)
            Tensor bp = branch_pool.forwardAfterAvgPool(t, x, avgPool, training); // N x 192 x 17 x 17
            return s.keep(t.concat(1, b1, b7, bd, bp));                           // N x 768 x 17 x 17
        }
    }
}
