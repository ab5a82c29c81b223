package org.inceptionj.inception;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * Grid reduction 17×17 → 8×8 (Mixed_7a; paper §5, figure 10 pattern): stride-2 convolutions
 * beside a stride-2 max pool. Output 320 + 192 + in = 1280 channels.
 */
final class InceptionD {
    private final BasicConv2d branch3x3_1;
    private final BasicConv2d branch3x3_2;
    private final BasicConv2d branch7x7x3_1;
    private final BasicConv2d branch7x7x3_2;
    private final BasicConv2d branch7x7x3_3;
    private final BasicConv2d branch7x7x3_4;
    private static final Pool2dSpec MAX_3X3_S2 = Pool2dSpec.of(3, 2, 0);

    /** Output channels: 320 + 192 + in (the max-pool branch passes its input through). */
    final int out;

    InceptionD(Parameters p, String name, int in, Width w) {
        branch3x3_1 = BasicConv2d.square(p, name + ".branch3x3_1", in, w.of(192), 1, 1, 0);
        branch3x3_2 = BasicConv2d.square(p, name + ".branch3x3_2", w.of(192), w.of(320), 3, 2, 0);
        branch7x7x3_1 = BasicConv2d.square(p, name + ".branch7x7x3_1", in, w.of(192), 1, 1, 0);
        branch7x7x3_2 = BasicConv2d.rect(p, name + ".branch7x7x3_2", w.of(192), w.of(192), 1, 7);
        branch7x7x3_3 = BasicConv2d.rect(p, name + ".branch7x7x3_3", w.of(192), w.of(192), 7, 1);
        branch7x7x3_4 = BasicConv2d.square(p, name + ".branch7x7x3_4", w.of(192), w.of(192), 3, 2, 0);
        out = branch3x3_2.out + branch7x7x3_4.out + in;
    }

    /** The block's kind, for {@link Summary}. */
    String describe() {
        return "InceptionD";
    }

    Tensor forward(Tape t, Tensor x, boolean training) {                       // N x 768 x 17 x 17
        try (TensorScope s = TensorScope.open()) {
            Tensor b3 = branch3x3_1.forward(t, x, training);                      // N x 192 x 17 x 17
            b3 = branch3x3_2.forward(t, b3, training);                            // N x 320 x 8 x 8
            Tensor b7 = branch7x7x3_1.forward(t, x, training);                    // N x 192 x 17 x 17
            b7 = branch7x7x3_2.forward(t, b7, training);                          // N x 192 x 17 x 17 (1x7)
            b7 = branch7x7x3_3.forward(t, b7, training);                          // N x 192 x 17 x 17 (7x1)
            b7 = branch7x7x3_4.forward(t, b7, training);                          // N x 192 x 8 x 8
            Tensor bp = t.maxPool2d(x, MAX_3X3_S2);                               // N x 768 x 8 x 8
            return s.keep(t.concat(1, b3, b7, bp));                               // N x 1280 x 8 x 8
        }
    }
}
