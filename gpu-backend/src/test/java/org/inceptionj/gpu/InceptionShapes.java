package org.inceptionj.gpu;

import java.util.ArrayList;
import java.util.List;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;

/**
 * Every convolution and pool of Inception-v3 at 299×299 (torchvision's layout, paper Table 1), with
 * the output sides written out from the architecture rather than computed, for the shape tests.
 */
final class InceptionShapes {
    private InceptionShapes() {
    }

    record Conv(String name, Shape x, Shape w, Conv2dSpec spec, int outH, int outW) {
        Shape y() {
            return Shape.of(x.dim(0), w.dim(0), outH, outW);
        }
    }

    record Pool(String name, Shape x, Pool2dSpec spec, int out) {
    }

    static List<Conv> convs(int n) {
        List<Conv> c = new ArrayList<>();
        conv(c, n, "Conv2d_1a_3x3", 3, 299, 32, 3, 3, Conv2dSpec.of(2, 0), 149);
        conv(c, n, "Conv2d_2a_3x3", 32, 149, 32, 3, 3, Conv2dSpec.of(1, 0), 147);
        conv(c, n, "Conv2d_2b_3x3", 32, 147, 64, 3, 3, Conv2dSpec.of(1, 1), 147);
        conv(c, n, "Conv2d_3b_1x1", 64, 73, 80, 1, 1, Conv2dSpec.of(1, 0), 73);
        conv(c, n, "Conv2d_4a_3x3", 80, 73, 192, 3, 3, Conv2dSpec.of(1, 0), 71);
        int[][] mixed5 = {{192, 32}, {256, 64}, {288, 64}};   // in channels, pool features
        for (int i = 0; i < 3; i++) {
            String m = "Mixed_5" + (char) ('b' + i) + ".";
            int in = mixed5[i][0];
            conv(c, n, m + "branch1x1", in, 35, 64, 1, 1, Conv2dSpec.of(1, 0), 35);
            conv(c, n, m + "branch5x5_1", in, 35, 48, 1, 1, Conv2dSpec.of(1, 0), 35);
            conv(c, n, m + "branch5x5_2", 48, 35, 64, 5, 5, Conv2dSpec.of(1, 2), 35);
            conv(c, n, m + "branch3x3dbl_1", in, 35, 64, 1, 1, Conv2dSpec.of(1, 0), 35);
            conv(c, n, m + "branch3x3dbl_2", 64, 35, 96, 3, 3, Conv2dSpec.of(1, 1), 35);
            conv(c, n, m + "branch3x3dbl_3", 96, 35, 96, 3, 3, Conv2dSpec.of(1, 1), 35);
            conv(c, n, m + "branch_pool", in, 35, mixed5[i][1], 1, 1, Conv2dSpec.of(1, 0), 35);
        }
        conv(c, n, "Mixed_6a.branch3x3", 288, 35, 384, 3, 3, Conv2dSpec.of(2, 0), 17);
        conv(c, n, "Mixed_6a.branch3x3dbl_1", 288, 35, 64, 1, 1, Conv2dSpec.of(1, 0), 35);
        conv(c, n, "Mixed_6a.branch3x3dbl_2", 64, 35, 96, 3, 3, Conv2dSpec.of(1, 1), 35);
        conv(c, n, "Mixed_6a.branch3x3dbl_3", 96, 35, 96, 3, 3, Conv2dSpec.of(2, 0), 17);
        int[] c7s = {128, 160, 160, 192};
        Conv2dSpec row = Conv2dSpec.of(1, 0, 3), col = Conv2dSpec.of(1, 3, 0);   // 1×7 and 7×1
        for (int i = 0; i < 4; i++) {
            String m = "Mixed_6" + (char) ('b' + i) + ".";
            int c7 = c7s[i];
            conv(c, n, m + "branch1x1", 768, 17, 192, 1, 1, Conv2dSpec.of(1, 0), 17);
            conv(c, n, m + "branch7x7_1", 768, 17, c7, 1, 1, Conv2dSpec.of(1, 0), 17);
            conv(c, n, m + "branch7x7_2", c7, 17, c7, 1, 7, row, 17);
            conv(c, n, m + "branch7x7_3", c7, 17, 192, 7, 1, col, 17);
            conv(c, n, m + "branch7x7dbl_1", 768, 17, c7, 1, 1, Conv2dSpec.of(1, 0), 17);
            conv(c, n, m + "branch7x7dbl_2", c7, 17, c7, 7, 1, col, 17);
            conv(c, n, m + "branch7x7dbl_3", c7, 17, c7, 1, 7, row, 17);
            conv(c, n, m + "branch7x7dbl_4", c7, 17, c7, 7, 1, col, 17);
            conv(c, n, m + "branch7x7dbl_5", c7, 17, 192, 1, 7, row, 17);
            conv(c, n, m + "branch_pool", 768, 17, 192, 1, 1, Conv2dSpec.of(1, 0), 17);
        }
        conv(c, n, "AuxLogits.conv0", 768, 5, 128, 1, 1, Conv2dSpec.of(1, 0), 5);
        conv(c, n, "AuxLogits.conv1", 128, 5, 768, 5, 5, Conv2dSpec.of(1, 0), 1);
        conv(c, n, "Mixed_7a.branch3x3_1", 768, 17, 192, 1, 1, Conv2dSpec.of(1, 0), 17);
        conv(c, n, "Mixed_7a.branch3x3_2", 192, 17, 320, 3, 3, Conv2dSpec.of(2, 0), 8);
        conv(c, n, "Mixed_7a.branch7x7x3_1", 768, 17, 192, 1, 1, Conv2dSpec.of(1, 0), 17);
        conv(c, n, "Mixed_7a.branch7x7x3_2", 192, 17, 192, 1, 7, row, 17);
        conv(c, n, "Mixed_7a.branch7x7x3_3", 192, 17, 192, 7, 1, col, 17);
        conv(c, n, "Mixed_7a.branch7x7x3_4", 192, 17, 192, 3, 3, Conv2dSpec.of(2, 0), 8);
        int[] in7 = {1280, 2048};
        for (int i = 0; i < 2; i++) {
            String m = "Mixed_7" + (char) ('b' + i) + ".";
            conv(c, n, m + "branch1x1", in7[i], 8, 320, 1, 1, Conv2dSpec.of(1, 0), 8);
            conv(c, n, m + "branch3x3_1", in7[i], 8, 384, 1, 1, Conv2dSpec.of(1, 0), 8);
            conv(c, n, m + "branch3x3_2a", 384, 8, 384, 1, 3, Conv2dSpec.of(1, 0, 1), 8);
            conv(c, n, m + "branch3x3_2b", 384, 8, 384, 3, 1, Conv2dSpec.of(1, 1, 0), 8);
            conv(c, n, m + "branch3x3dbl_1", in7[i], 8, 448, 1, 1, Conv2dSpec.of(1, 0), 8);
            conv(c, n, m + "branch3x3dbl_2", 448, 8, 384, 3, 3, Conv2dSpec.of(1, 1), 8);
            conv(c, n, m + "branch3x3dbl_3a", 384, 8, 384, 1, 3, Conv2dSpec.of(1, 0, 1), 8);
            conv(c, n, m + "branch3x3dbl_3b", 384, 8, 384, 3, 1, Conv2dSpec.of(1, 1, 0), 8);
            conv(c, n, m + "branch_pool", in7[i], 8, 192, 1, 1, Conv2dSpec.of(1, 0), 8);
        }
        return c;
    }

    private static void conv(List<Conv> c, int n, String name, int in, int side, int out, int kh, int kw,
                             Conv2dSpec spec, int outSide) {
        c.add(new Conv(name, Shape.of(n, in, side, side), Shape.of(out, in, kh, kw), spec, outSide, outSide));
    }

    static List<Pool> pools(int n) {
        Pool2dSpec avg3 = Pool2dSpec.of(3, 1, 1);
        return List.of(
                new Pool("maxpool1", Shape.of(n, 64, 147, 147), Pool2dSpec.of(3, 2, 0), 73),
                new Pool("maxpool2", Shape.of(n, 192, 71, 71), Pool2dSpec.of(3, 2, 0), 35),
                new Pool("Mixed_5b.branch_pool (padding counted)", Shape.of(n, 192, 35, 35), avg3, 35),
                new Pool("Mixed_5b.branch_pool (TF: not counted)", Shape.of(n, 192, 35, 35),
                        avg3.withCountIncludePad(false), 35),
                new Pool("Mixed_6a.branch_pool (max)", Shape.of(n, 288, 35, 35), Pool2dSpec.of(3, 2, 0), 17),
                new Pool("Mixed_6b.branch_pool", Shape.of(n, 768, 17, 17), avg3, 17),
                new Pool("AuxLogits avg 5x5/3", Shape.of(n, 768, 17, 17), Pool2dSpec.of(5, 3, 0), 5),
                new Pool("Mixed_7a.branch_pool (max)", Shape.of(n, 768, 17, 17), Pool2dSpec.of(3, 2, 0), 8),
                new Pool("Mixed_7b.branch_pool", Shape.of(n, 1280, 8, 8), avg3, 8),
                new Pool("global average pool", Shape.of(n, 2048, 8, 8), Pool2dSpec.of(8, 1, 0), 1));
    }
}
