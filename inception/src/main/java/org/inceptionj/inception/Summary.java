package org.inceptionj.inception;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;

/**
 * The cost table of Inception-v3 for one input size: every layer's output shape, trainable
 * parameters and multiply-adds, block by block, with torchvision's names (spec §3, §7.1, §8).
 * Computed by walking the architecture arithmetically; nothing is allocated and no backend is needed.
 *
 * <p>Counting convention (spec §8):
 * <ul>
 *   <li>parameters = what PyTorch's {@code model.parameters()} holds: conv weights Cout·Cin·kh·kw
 *       plus the BN affine pair 2·Cout per BasicConv2d; fc weight K·Cin plus bias K. The BN running
 *       statistics are buffers and are not counted.</li>
 *   <li>multiply-adds: a convolution costs Hout·Wout·Cout·Cin·kh·kw, a fully connected layer Cin·K.
 *       BN (foldable into the convolution), ReLU, pooling, concatenation, dropout and the bias adds cost 0.</li>
 *   <li>the auxiliary head's parameters exist whenever the model is built with it, but it only runs
 *       (and so only costs multiply-adds) in training.</li>
 * </ul>
 * The walk mirrors the block classes line by line; {@code SummaryTest} checks it against the
 * parameters and forward shapes of a real {@link InceptionV3}.
 */
public final class Summary {

    /**
     * One line of the table.
     *
     * @param name       torchvision module name ({@code Mixed_5b}, {@code Mixed_5b.branch5x5_2}, {@code fc})
     * @param depth      0 for a top-level layer or block (their rows add up to the totals), 1 for a layer inside a block
     * @param op         what the layer does, e.g. {@code conv 1x7 /1 pad (0,3)}
     * @param output     output shape without the batch axis (C, H, W) or (K) for a classifier;
     *                   null for the aux head in evaluation, where it does not run
     * @param parameters trainable values
     * @param macs       multiply-adds per image
     */
    public record Row(String name, int depth, String op, Shape output, long parameters, long macs) {
    }

    private final InceptionV3.Config config;
    private final int height;
    private final int width;
    private final InceptionV3.Mode mode;
    private final List<Row> rows;

    private Summary(InceptionV3.Config config, int height, int width, InceptionV3.Mode mode, List<Row> rows) {
        this.config = config;
        this.height = height;
        this.width = width;
        this.mode = mode;
        this.rows = Collections.unmodifiableList(rows);
    }

    /**
     * The table for an input of 3×height×width in the given mode. Rejects inputs the network cannot
     * carry: below {@code config.minInput(false)} on either axis ({@value InceptionV3#MIN_EVAL_INPUT} for the
     * released stem), or below {@code config.minInput(true)} ({@value InceptionV3#MIN_AUX_INPUT}) when training
     * with the aux head.
     */
    public static Summary of(InceptionV3.Config config, int height, int width, InceptionV3.Mode mode) {
        if (config == null || mode == null) {
            throw new IllegalArgumentException("Summary: config and mode must not be null");
        }
        int minEval = config.minInput(false);
        if (height < minEval || width < minEval) {
            throw new IllegalArgumentException("Summary: input " + height + "x" + width + " is too small: Inception-v3"
                    + " needs H, W >= " + minEval + " (the smallest input whose last grid is 1x1)");
        }
        int minAux = config.minInput(true);
        if (mode == InceptionV3.Mode.TRAIN && config.auxLogits() && (height < minAux || width < minAux)) {
            throw new IllegalArgumentException("Summary: input " + height + "x" + width + " is too small for training"
                    + " with the auxiliary head, which needs H, W >= " + minAux
                    + "; leave the aux head out for smaller inputs");
        }
        return walk(config, height, width, mode);
    }

    /**
     * The walk itself, without the up-front size checks: fails with an {@link IllegalArgumentException}
     * at the first layer whose output would be empty. Tests use it to confirm that the minimum sizes
     * above are exactly where the geometry stops working.
     */
    static Summary walk(InceptionV3.Config config, int height, int width, InceptionV3.Mode mode) {
        boolean train = mode == InceptionV3.Mode.TRAIN;
        boolean cip = config.countIncludePad();
        Width w = new Width(config.widthMultiplier());
        Pool2dSpec max3s2 = Pool2dSpec.of(3, 2, 0);
        List<Row> rows = new ArrayList<>();

        Act x = new Act(3, height, width);
        if (config.factorizedStem()) {
            x = stem(rows, "Conv2d_1a_3x3", x, w.of(32), 3, config.firstStride(), 0);
            x = stem(rows, "Conv2d_2a_3x3", x, w.of(32), 3, 1, 0);
            x = stem(rows, "Conv2d_2b_3x3", x, w.of(64), 3, 1, 1);
        } else {
            x = stem(rows, "Conv2d_1a_7x7", x, w.of(64), 7, config.firstStride(), 0);
        }
        if (config.firstMaxPool()) {
            x = pool(rows, "maxpool1", "max pool 3x3 /2", x, max3s2);
        }
        x = stem(rows, "Conv2d_3b_1x1", x, w.of(80), 1, 1, 0);
        x = stem(rows, "Conv2d_4a_3x3", x, w.of(192), 3, 1, 0);
        x = pool(rows, "maxpool2", "max pool 3x3 /2", x, max3s2);
        x = inceptionA(rows, "Mixed_5b", x, 32, cip, w);
        x = inceptionA(rows, "Mixed_5c", x, 64, cip, w);
        x = inceptionA(rows, "Mixed_5d", x, 64, cip, w);
        x = inceptionB(rows, "Mixed_6a", x, w);
        x = inceptionC(rows, "Mixed_6b", x, 128, cip, w);
        x = inceptionC(rows, "Mixed_6c", x, 160, cip, w);
        x = inceptionC(rows, "Mixed_6d", x, 160, cip, w);
        x = inceptionC(rows, "Mixed_6e", x, 192, cip, w);
        if (config.auxLogits()) {
            inceptionAux(rows, "AuxLogits", x, config.numClasses(), config.auxBatchNorm(), train, w);
        }
        x = inceptionD(rows, "Mixed_7a", x, w);
        x = inceptionE(rows, "Mixed_7b", x, cip, w);
        x = inceptionE(rows, "Mixed_7c", x, cip, w);
        x = new Act(x.c, 1, 1);
        rows.add(new Row("avgpool", 0, "global avg pool", x.shape(), 0, 0));
        if (train && config.dropout() > 0f) {
            rows.add(new Row("dropout", 0, "dropout p=" + config.dropout(), x.shape(), 0, 0));
        }
        rows.add(linear("fc", 0, x.c, config.numClasses()));
        return new Summary(config, height, width, mode, rows);
    }

    public InceptionV3.Config config() {
        return config;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public InceptionV3.Mode mode() {
        return mode;
    }

    /** Every row in torchvision's module order; a block's row comes before the rows of its layers. */
    public List<Row> rows() {
        return rows;
    }

    /** The row named {@code name}. */
    public Row row(String name) {
        for (Row r : rows) {
            if (r.name().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("Summary: no layer named '" + name + "'");
    }

    /** Total trainable parameters (sum of the top-level rows). */
    public long parameters() {
        long n = 0;
        for (Row r : rows) {
            n += r.depth() == 0 ? r.parameters() : 0;
        }
        return n;
    }

    /** Total multiply-adds per image (sum of the top-level rows). */
    public long macs() {
        long n = 0;
        for (Row r : rows) {
            n += r.depth() == 0 ? r.macs() : 0;
        }
        return n;
    }

    // ---- the architecture, one method per block class ----

    /** InceptionA: 1x1 | 1x1 → 5x5 | 1x1 → 3x3 → 3x3 | avg pool → 1x1. */
    private static Act inceptionA(List<Row> rows, String name, Act x, int poolFeatures, boolean cip, Width w) {
        Block b = new Block(name, w);
        Act b1 = b.conv("branch1x1", x, 64, 1, 1, 1, 0, 0);
        Act b5 = b.conv("branch5x5_1", x, 48, 1, 1, 1, 0, 0);
        b5 = b.conv("branch5x5_2", b5, 64, 5, 5, 1, 2, 2);
        Act b3 = b.conv("branch3x3dbl_1", x, 64, 1, 1, 1, 0, 0);
        b3 = b.conv("branch3x3dbl_2", b3, 96, 3, 3, 1, 1, 1);
        b3 = b.conv("branch3x3dbl_3", b3, 96, 3, 3, 1, 1, 1);
        Act bp = b.conv("branch_pool", b.pool(x, Pool2dSpec.of(3, 1, 1).withCountIncludePad(cip)), poolFeatures, 1, 1, 1, 0, 0);
        return b.close(rows, "InceptionA", concat(name, b1, b5, b3, bp));
    }

    /** InceptionB (grid reduction): 3x3/2 | 1x1 → 3x3 → 3x3/2 | max pool 3x3/2. */
    private static Act inceptionB(List<Row> rows, String name, Act x, Width w) {
        Block b = new Block(name, w);
        Act b3 = b.conv("branch3x3", x, 384, 3, 3, 2, 0, 0);
        Act bd = b.conv("branch3x3dbl_1", x, 64, 1, 1, 1, 0, 0);
        bd = b.conv("branch3x3dbl_2", bd, 96, 3, 3, 1, 1, 1);
        bd = b.conv("branch3x3dbl_3", bd, 96, 3, 3, 2, 0, 0);
        Act bp = b.pool(x, Pool2dSpec.of(3, 2, 0));
        return b.close(rows, "InceptionB", concat(name, b3, bd, bp));
    }

    /** InceptionC: 1x1 | 1x1 → 1x7 → 7x1 | 1x1 → 7x1 → 1x7 → 7x1 → 1x7 | avg pool → 1x1. */
    private static Act inceptionC(List<Row> rows, String name, Act x, int c7, boolean cip, Width w) {
        Block b = new Block(name, w);
        Act b1 = b.conv("branch1x1", x, 192, 1, 1, 1, 0, 0);
        Act b7 = b.conv("branch7x7_1", x, c7, 1, 1, 1, 0, 0);
        b7 = b.conv("branch7x7_2", b7, c7, 1, 7, 1, 0, 3);
        b7 = b.conv("branch7x7_3", b7, 192, 7, 1, 1, 3, 0);
        Act bd = b.conv("branch7x7dbl_1", x, c7, 1, 1, 1, 0, 0);
        bd = b.conv("branch7x7dbl_2", bd, c7, 7, 1, 1, 3, 0);
        bd = b.conv("branch7x7dbl_3", bd, c7, 1, 7, 1, 0, 3);
        bd = b.conv("branch7x7dbl_4", bd, c7, 7, 1, 1, 3, 0);
        bd = b.conv("branch7x7dbl_5", bd, 192, 1, 7, 1, 0, 3);
        Act bp = b.conv("branch_pool", b.pool(x, Pool2dSpec.of(3, 1, 1).withCountIncludePad(cip)), 192, 1, 1, 1, 0, 0);
        return b.close(rows, "InceptionC c7=" + c7, concat(name, b1, b7, bd, bp));
    }

    /** InceptionD (grid reduction): 1x1 → 3x3/2 | 1x1 → 1x7 → 7x1 → 3x3/2 | max pool 3x3/2. */
    private static Act inceptionD(List<Row> rows, String name, Act x, Width w) {
        Block b = new Block(name, w);
        Act b3 = b.conv("branch3x3_1", x, 192, 1, 1, 1, 0, 0);
        b3 = b.conv("branch3x3_2", b3, 320, 3, 3, 2, 0, 0);
        Act b7 = b.conv("branch7x7x3_1", x, 192, 1, 1, 1, 0, 0);
        b7 = b.conv("branch7x7x3_2", b7, 192, 1, 7, 1, 0, 3);
        b7 = b.conv("branch7x7x3_3", b7, 192, 7, 1, 1, 3, 0);
        b7 = b.conv("branch7x7x3_4", b7, 192, 3, 3, 2, 0, 0);
        Act bp = b.pool(x, Pool2dSpec.of(3, 2, 0));
        return b.close(rows, "InceptionD", concat(name, b3, b7, bp));
    }

    /** InceptionE: 1x1 | 1x1 → (1x3 ‖ 3x1) | 1x1 → 3x3 → (1x3 ‖ 3x1) | avg pool → 1x1. */
    private static Act inceptionE(List<Row> rows, String name, Act x, boolean cip, Width w) {
        Block b = new Block(name, w);
        Act b1 = b.conv("branch1x1", x, 320, 1, 1, 1, 0, 0);
        Act b3 = b.conv("branch3x3_1", x, 384, 1, 1, 1, 0, 0);
        b3 = concat(name, b.conv("branch3x3_2a", b3, 384, 1, 3, 1, 0, 1), b.conv("branch3x3_2b", b3, 384, 3, 1, 1, 1, 0));
        Act bd = b.conv("branch3x3dbl_1", x, 448, 1, 1, 1, 0, 0);
        bd = b.conv("branch3x3dbl_2", bd, 384, 3, 3, 1, 1, 1);
        bd = concat(name, b.conv("branch3x3dbl_3a", bd, 384, 1, 3, 1, 0, 1), b.conv("branch3x3dbl_3b", bd, 384, 3, 1, 1, 1, 0));
        Act bp = b.conv("branch_pool", b.pool(x, Pool2dSpec.of(3, 1, 1).withCountIncludePad(cip)), 192, 1, 1, 1, 0, 0);
        return b.close(rows, "InceptionE", concat(name, b1, b3, bd, bp));
    }

    /**
     * InceptionAux on Mixed_6e's output: avg pool 5x5/3 → 1x1 → 5x5 → global avg → fc (→ batch norm over
     * the K logits with {@code batchNorm}: 2·K parameters, no multiply-adds). In evaluation it does not
     * run: one row with its parameters and no shape or multiply-adds.
     */
    private static void inceptionAux(List<Row> rows, String name, Act x, int numClasses, boolean batchNorm,
                                     boolean train, Width w) {
        long params = BasicConv.params(x.c, w.of(128), 1, 1) + BasicConv.params(w.of(128), w.of(768), 5, 5)
                + (long) w.of(768) * numClasses + numClasses + (batchNorm ? 2L * numClasses : 0);
        if (!train) {
            rows.add(new Row(name, 0, "InceptionAux (training only)", null, params, 0));
            return;
        }
        Block b = new Block(name, w);
        Act h = b.pool(x, Pool2dSpec.of(5, 3, 0));
        h = b.conv("conv0", h, 128, 1, 1, 1, 0, 0);
        h = b.conv("conv1", h, 768, 5, 5, 1, 0, 0);
        b.children.add(linear(name + ".fc", 1, h.c, numClasses));
        if (batchNorm) {
            b.children.add(new Row(name + ".fc_bn", 1, "batch norm 1d", Shape.of(numClasses), 2L * numClasses, 0));
        }
        b.close(rows, "InceptionAux", new Act(numClasses, 0, 0));
    }

    // ---- geometry and cost of the pieces ----

    /** An activation C×H×W (H = W = 0 for a vector of C values). */
    private record Act(int c, int h, int w) {
        Shape shape() {
            return h == 0 ? Shape.of(c) : Shape.of(c, h, w);
        }
    }

    /** The cost of one BasicConv2d: conv (no bias), BN(Cout), ReLU. */
    private static final class BasicConv {
        static long params(int cin, int cout, int kh, int kw) {
            return (long) cout * cin * kh * kw + 2L * cout;
        }

        static Row row(String name, int depth, Act x, int cout, int kh, int kw, int stride, int padH, int padW) {
            Conv2dSpec spec = Conv2dSpec.of(stride, padH, padW);
            Act y = checked(name, x, new Act(cout, spec.outH(x.h, kh), spec.outW(x.w, kw)));
            long macs = (long) y.h * y.w * cout * x.c * kh * kw;
            String op = "conv " + kh + "x" + kw + " /" + stride + (padH + padW > 0 ? " pad (" + padH + "," + padW + ")" : "");
            return new Row(name, depth, op, y.shape(), params(x.c, cout, kh, kw), macs);
        }
    }

    private static Act stem(List<Row> rows, String name, Act x, int cout, int k, int stride, int pad) {
        Row r = BasicConv.row(name, 0, x, cout, k, k, stride, pad, pad);
        rows.add(r);
        return new Act(cout, r.output().dim(1), r.output().dim(2));
    }

    private static Act pool(List<Row> rows, String name, String op, Act x, Pool2dSpec p) {
        Act y = checked(name, x, new Act(x.c, p.outH(x.h), p.outW(x.w)));
        rows.add(new Row(name, 0, op, y.shape(), 0, 0));
        return y;
    }

    private static Row linear(String name, int depth, int in, int out) {
        return new Row(name, depth, "linear " + in + "->" + out, Shape.of(out), (long) in * out + out, (long) in * out);
    }

    private static Act concat(String name, Act... parts) {
        int c = 0;
        for (Act a : parts) {
            if (a.h != parts[0].h || a.w != parts[0].w) {
                throw new IllegalStateException("Summary: " + name + " concatenates branches of different grids "
                        + parts[0] + " and " + a);
            }
            c += a.c;
        }
        return new Act(c, parts[0].h, parts[0].w);
    }

    private static Act checked(String name, Act in, Act out) {
        if (out.h < 1 || out.w < 1) {
            throw new IllegalArgumentException("Summary: " + name + " gets a " + in.h + "x" + in.w
                    + " input, too small for its window (output would be " + out.h + "x" + out.w + ")");
        }
        return out;
    }

    /** Collects a block's layer rows, then emits the block's total row ahead of them. */
    private static final class Block {
        final String name;
        final Width width;
        final List<Row> children = new ArrayList<>();

        Block(String name, Width width) {
            this.name = name;
            this.width = width;
        }

        /** A BasicConv2d written with {@code cout} channels at full width. */
        Act conv(String layer, Act x, int cout, int kh, int kw, int stride, int padH, int padW) {
            int c = width.of(cout);
            Row r = BasicConv.row(name + "." + layer, 1, x, c, kh, kw, stride, padH, padW);
            children.add(r);
            return new Act(c, r.output().dim(1), r.output().dim(2));
        }

        Act pool(Act x, Pool2dSpec p) {
            return checked(name + " pool " + p.kernelH() + "x" + p.kernelW() + " /" + p.strideH(), x,
                    new Act(x.c, p.outH(x.h), p.outW(x.w)));
        }

        Act close(List<Row> rows, String op, Act out) {
            long params = 0;
            long macs = 0;
            for (Row r : children) {
                params += r.parameters();
                macs += r.macs();
            }
            rows.add(new Row(name, 0, op, out.shape(), params, macs));
            rows.addAll(children);
            return out;
        }
    }
}
