package org.inceptionj.inception;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * Grid reduction 35×35 → 17×17 (Mixed_6a; paper §5, figure 10): a stride-2 convolution branch and
 * a stride-2 pooling branch side by side, so the grid shrinks while the filters grow without the
 * representational bottleneck of pooling first. Output 384 + 96 + in channels.
 */
final class InceptionB {
    private final BasicConv2d branch3x3;
    private final BasicConv2d branch3x3dbl_1;
    private final BasicConv2d branch3x3dbl_2;
    private final BasicConv2d branch3x3dbl_3;
    private static final Pool2dSpec MAX_3X3_S2 = Pool2dSpec.of(3, 2, 0);

    /** Output channels: 384 + 96 + in (the max-pool branch passes its input through). */
    final int out;

    InceptionB(Parameters p, String name, int in, Width w) {
        branch3x3 = BasicConv2d.square(p, name + ".branch3x3", in, w.of(384), 3, 2, 0);
        branch3x3dbl_1 = BasicConv2d.square(p, name + ".branch3x3dbl_1", in, w.of(64), 1, 1, 0);
        branch3x3dbl_2 = BasicConv2d.square(p, name + ".branch3x3dbl_2", w.of(64), w.of(96), 3, 1, 1);
        branch3x3dbl_3 = BasicConv2d.square(p, name + ".branch3x3dbl_3", w.of(96), w.of(96), 3, 2, 0);
        out = branch3x3.out + branch3x3dbl_3.out + in;
    }

    /** The block's kind, for {@link Summary}. */
    String describe() {
        return "InceptionB";
    }

    Tensor forward(Tape t, Tensor x, boolean training) {                       // N x 288 x 35 x 35
        try (TensorScope s = TensorScope.open()) {
            Tensor b3 = branch3x3.forward(t, x, training);                        // N x 384 x 17 x 17
            Tensor bd = branch3x3dbl_1.forward(t, x, training);                   // N x 64 x 35 x 35
            bd = branch3x3dbl_2.forward(t, bd, training);                         // N x 96 x 35 x 35
            bd = branch3x3dbl_3.forward(t, bd, training);                         // N x 96 x 17 x 17
            Tensor bp = t.maxPool2d(x, MAX_3X3_S2);                               // N x 288 x 17 x 17
            return s.keep(t.concat(1, b3, bd, bp));                               // N x 768 x 17 x 17
        }
    }
}
