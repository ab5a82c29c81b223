package org.inceptionj.inception.golden;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.LinearReference;
import org.inceptionj.conformance.reference.PoolingReference;

/**
 * An independent double-precision re-implementation of torchvision's {@code Inception3} forward
 * in evaluation mode ({@code torchvision/models/inception.py}), for golden tests of the model.
 *
 * <p>Nothing here comes from the model under test: the wiring is written out below block by block
 * as in {@code inception.py} (concat orders of spec §2.1, pools of §2.2), every convolution's
 * geometry (channels, kernel, stride, padding) is read from {@code convs.tsv}, transcribed from the
 * spec's verified table (§3), and the weights come from a state dict keyed by torchvision names.
 * Pools, batch norm, concat and the classifier are the conformance kit's double references; the
 * convolution is a plain loop here (the kit's is written for clarity and is too slow at this size).
 *
 * <p>One switch, {@code countIncludePad}: the 3×3/1/pad 1 average pools of the blocks divide by 9
 * (torchvision, {@code F.avg_pool2d} default) or by the number of real cells (TF-slim / Keras), spec §9.1.
 */
final class TorchvisionReference {

    /** One row of the convolution table: Conv2d(cin, cout, (kh, kw), stride, (padH, padW), bias=False). */
    record ConvRow(String prefix, int cin, int cout, int kh, int kw, int stride, int padH, int padW) {
    }

    /** What a forward returns: the logits and each top-level module's output by torchvision name. */
    record Result(DTensor logits, Map<String, DTensor> modules) {
    }

    /** BatchNorm2d(eps=0.001) in every BasicConv2d (spec §4). */
    static final double BN_EPS = 0.001;

    private final Map<String, DTensor> stateDict;
    private final Map<String, ConvRow> convs;
    private final boolean countIncludePad;

    /**
     * @param stateDict       torchvision names → values ({@code X.conv.weight}, {@code X.bn.weight},
     *                        {@code X.bn.bias}, {@code X.bn.running_mean}, {@code X.bn.running_var},
     *                        {@code fc.weight}, {@code fc.bias})
     * @param countIncludePad true: torchvision's average pools; false: TF-slim / Keras
     */
    TorchvisionReference(Map<String, DTensor> stateDict, boolean countIncludePad) {
        this.stateDict = stateDict;
        this.convs = table();
        this.countIncludePad = countIncludePad;
    }

    /** The convolution table, by torchvision prefix, in the table's order. */
    static Map<String, ConvRow> table() {
        Map<String, ConvRow> rows = new LinkedHashMap<>();
        try (InputStream in = TorchvisionReference.class.getResourceAsStream("convs.tsv")) {
            if (in == null) {
                throw new IllegalStateException("TorchvisionReference: convs.tsv is not on the test class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            boolean header = true;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (header) {           // the column names
                    header = false;
                    continue;
                }
                String[] f = line.split("\t");
                if (f.length != 8) {
                    throw new IllegalStateException("convs.tsv: expected 8 columns, got " + f.length + ": " + line);
                }
                ConvRow row = new ConvRow(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]), Integer.parseInt(f[5]), Integer.parseInt(f[6]), Integer.parseInt(f[7]));
                if (rows.put(row.prefix(), row) != null) {
                    throw new IllegalStateException("convs.tsv: " + row.prefix() + " is listed twice");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(rows);
    }

    // ---------------------------------------------------------------- Inception3.forward (eval)

    /** {@code Inception3._forward} in eval mode (no transform_input, no aux head, dropout = identity). */
    Result forward(DTensor x) {
        Map<String, DTensor> seen = new LinkedHashMap<>();
        // N x 3 x 299 x 299
        x = basicConv2d(x, "Conv2d_1a_3x3");     seen.put("Conv2d_1a_3x3", x);
        x = basicConv2d(x, "Conv2d_2a_3x3");     seen.put("Conv2d_2a_3x3", x);
        x = basicConv2d(x, "Conv2d_2b_3x3");     seen.put("Conv2d_2b_3x3", x);
        x = maxPool3x3s2(x);                     seen.put("maxpool1", x);
        x = basicConv2d(x, "Conv2d_3b_1x1");     seen.put("Conv2d_3b_1x1", x);
        x = basicConv2d(x, "Conv2d_4a_3x3");     seen.put("Conv2d_4a_3x3", x);
        x = maxPool3x3s2(x);                     seen.put("maxpool2", x);
        x = inceptionA(x, "Mixed_5b");           seen.put("Mixed_5b", x);
        x = inceptionA(x, "Mixed_5c");           seen.put("Mixed_5c", x);
        x = inceptionA(x, "Mixed_5d");           seen.put("Mixed_5d", x);
        x = inceptionB(x, "Mixed_6a");           seen.put("Mixed_6a", x);
        x = inceptionC(x, "Mixed_6b");           seen.put("Mixed_6b", x);
        x = inceptionC(x, "Mixed_6c");           seen.put("Mixed_6c", x);
        x = inceptionC(x, "Mixed_6d");           seen.put("Mixed_6d", x);
        x = inceptionC(x, "Mixed_6e");           seen.put("Mixed_6e", x);
        // AuxLogits runs only when training
        x = inceptionD(x, "Mixed_7a");           seen.put("Mixed_7a", x);
        x = inceptionE(x, "Mixed_7b");           seen.put("Mixed_7b", x);
        x = inceptionE(x, "Mixed_7c");           seen.put("Mixed_7c", x);
        x = adaptiveAvgPool1x1(x);               seen.put("avgpool", x);
        // dropout: identity in eval
        x = flatten(x);
        x = LinearReference.forward(x, param("fc.weight"), param("fc.bias"));
        seen.put("fc", x);
        return new Result(x, Collections.unmodifiableMap(seen));
    }

    // ---------------------------------------------------------------- the blocks of inception.py

    /** InceptionA: branch1x1 · branch5x5 · branch3x3dbl · branch_pool. */
    private DTensor inceptionA(DTensor x, String m) {
        DTensor branch1x1 = basicConv2d(x, m + ".branch1x1");

        DTensor branch5x5 = basicConv2d(x, m + ".branch5x5_1");
        branch5x5 = basicConv2d(branch5x5, m + ".branch5x5_2");

        DTensor branch3x3dbl = basicConv2d(x, m + ".branch3x3dbl_1");
        branch3x3dbl = basicConv2d(branch3x3dbl, m + ".branch3x3dbl_2");
        branch3x3dbl = basicConv2d(branch3x3dbl, m + ".branch3x3dbl_3");

        DTensor branchPool = avgPool3x3s1p1(x);
        branchPool = basicConv2d(branchPool, m + ".branch_pool");

        return cat(branch1x1, branch5x5, branch3x3dbl, branchPool);
    }

    /** InceptionB (grid reduction 35 → 17): branch3x3 · branch3x3dbl · max pool of the input. */
    private DTensor inceptionB(DTensor x, String m) {
        DTensor branch3x3 = basicConv2d(x, m + ".branch3x3");

        DTensor branch3x3dbl = basicConv2d(x, m + ".branch3x3dbl_1");
        branch3x3dbl = basicConv2d(branch3x3dbl, m + ".branch3x3dbl_2");
        branch3x3dbl = basicConv2d(branch3x3dbl, m + ".branch3x3dbl_3");

        DTensor branchPool = maxPool3x3s2(x);

        return cat(branch3x3, branch3x3dbl, branchPool);
    }

    /**
     * InceptionC: branch1x1 · branch7x7 · branch7x7dbl · branch_pool. The 1×7 / 7×1 order of each
     * factorized convolution is whatever the table says for that prefix.
     */
    private DTensor inceptionC(DTensor x, String m) {
        DTensor branch1x1 = basicConv2d(x, m + ".branch1x1");

        DTensor branch7x7 = basicConv2d(x, m + ".branch7x7_1");
        branch7x7 = basicConv2d(branch7x7, m + ".branch7x7_2");
        branch7x7 = basicConv2d(branch7x7, m + ".branch7x7_3");

        DTensor branch7x7dbl = basicConv2d(x, m + ".branch7x7dbl_1");
        branch7x7dbl = basicConv2d(branch7x7dbl, m + ".branch7x7dbl_2");
        branch7x7dbl = basicConv2d(branch7x7dbl, m + ".branch7x7dbl_3");
        branch7x7dbl = basicConv2d(branch7x7dbl, m + ".branch7x7dbl_4");
        branch7x7dbl = basicConv2d(branch7x7dbl, m + ".branch7x7dbl_5");

        DTensor branchPool = avgPool3x3s1p1(x);
        branchPool = basicConv2d(branchPool, m + ".branch_pool");

        return cat(branch1x1, branch7x7, branch7x7dbl, branchPool);
    }

    /** InceptionD (grid reduction 17 → 8): branch3x3 · branch7x7x3 · max pool of the input. */
    private DTensor inceptionD(DTensor x, String m) {
        DTensor branch3x3 = basicConv2d(x, m + ".branch3x3_1");
        branch3x3 = basicConv2d(branch3x3, m + ".branch3x3_2");

        DTensor branch7x7x3 = basicConv2d(x, m + ".branch7x7x3_1");
        branch7x7x3 = basicConv2d(branch7x7x3, m + ".branch7x7x3_2");
        branch7x7x3 = basicConv2d(branch7x7x3, m + ".branch7x7x3_3");
        branch7x7x3 = basicConv2d(branch7x7x3, m + ".branch7x7x3_4");

        DTensor branchPool = maxPool3x3s2(x);

        return cat(branch3x3, branch7x7x3, branchPool);
    }

    /**
     * InceptionE: branch1x1 · [branch3x3_2a · branch3x3_2b] · [branch3x3dbl_3a · branch3x3dbl_3b] ·
     * branch_pool; each inner pair applies both convolutions to the same tensor and concatenates.
     */
    private DTensor inceptionE(DTensor x, String m) {
        DTensor branch1x1 = basicConv2d(x, m + ".branch1x1");

        DTensor branch3x3 = basicConv2d(x, m + ".branch3x3_1");
        branch3x3 = cat(basicConv2d(branch3x3, m + ".branch3x3_2a"),
                basicConv2d(branch3x3, m + ".branch3x3_2b"));

        DTensor branch3x3dbl = basicConv2d(x, m + ".branch3x3dbl_1");
        branch3x3dbl = basicConv2d(branch3x3dbl, m + ".branch3x3dbl_2");
        branch3x3dbl = cat(basicConv2d(branch3x3dbl, m + ".branch3x3dbl_3a"),
                basicConv2d(branch3x3dbl, m + ".branch3x3dbl_3b"));

        DTensor branchPool = avgPool3x3s1p1(x);
        branchPool = basicConv2d(branchPool, m + ".branch_pool");

        return cat(branch1x1, branch3x3, branch3x3dbl, branchPool);
    }

    // ---------------------------------------------------------------- layers

    /** BasicConv2d: relu(bn(conv(x))), conv without bias, BN with running statistics, eps 0.001. */
    DTensor basicConv2d(DTensor x, String prefix) {
        ConvRow g = convs.get(prefix);
        if (g == null) {
            throw new IllegalArgumentException("TorchvisionReference: no convolution '" + prefix + "' in convs.tsv");
        }
        DTensor w = param(prefix + ".conv.weight");
        Shape expected = Shape.of(g.cout(), g.cin(), g.kh(), g.kw());
        if (!w.shape().equals(expected)) {
            throw new IllegalArgumentException("TorchvisionReference: " + prefix + ".conv.weight is " + w.shape()
                    + " but the table says " + expected);
        }
        if (x.shape().dim(1) != g.cin()) {
            throw new IllegalArgumentException("TorchvisionReference: " + prefix + " takes " + g.cin()
                    + " channels, got " + x.shape());
        }
        DTensor y = conv2d(x, w, g.stride(), g.padH(), g.padW());
        y = BatchNormReference.inference(y, param(prefix + ".bn.weight"), param(prefix + ".bn.bias"),
                param(prefix + ".bn.running_mean"), param(prefix + ".bn.running_var"), BN_EPS);
        return relu(y);
    }

    /**
     * out[n,co,oh,ow] = Σ_{ci,i,j} w[co,ci,i,j] · x[n, ci, oh·s − padH + i, ow·s − padW + j], zero
     * outside the input; out size floor((in + 2·pad − k)/s) + 1 (spec §1). Loops over whole output
     * rows so that the innermost loop is a plain multiply-add over contiguous doubles.
     */
    static DTensor conv2d(DTensor x, DTensor w, int s, int padH, int padW) {
        int n = x.shape().dim(0), cin = x.shape().dim(1), h = x.shape().dim(2), wd = x.shape().dim(3);
        int cout = w.shape().dim(0), kh = w.shape().dim(2), kw = w.shape().dim(3);
        int oh = (h + 2 * padH - kh) / s + 1, ow = (wd + 2 * padW - kw) / s + 1;
        double[] xs = x.data(), ws = w.data();
        double[] out = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                int o0 = (b * cout + co) * oh * ow;
                for (int ci = 0; ci < cin; ci++) {
                    int x0 = (b * cin + ci) * h * wd;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            double wv = ws[((co * cin + ci) * kh + i) * kw + j];
                            // output columns whose input column ow·s − padW + j lies in [0, wd)
                            int owLo = Math.max(0, Math.ceilDiv(padW - j, s));
                            int owHi = Math.min(ow, Math.floorDiv(wd - 1 + padW - j, s) + 1);
                            for (int r = 0; r < oh; r++) {
                                int ih = r * s - padH + i;
                                if (ih < 0 || ih >= h) {
                                    continue;
                                }
                                int xRow = x0 + ih * wd - padW + j;
                                int oRow = o0 + r * ow;
                                if (s == 1) {
                                    for (int c = owLo; c < owHi; c++) {
                                        out[oRow + c] += wv * xs[xRow + c];
                                    }
                                } else {
                                    for (int c = owLo; c < owHi; c++) {
                                        out[oRow + c] += wv * xs[xRow + c * s];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new DTensor(Shape.of(n, cout, oh, ow), out);
    }

    private static DTensor relu(DTensor x) {
        double[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.max(d[i], 0.0);
        }
        return x;
    }

    /** F.max_pool2d(kernel_size=3, stride=2): no padding, floor. */
    private static DTensor maxPool3x3s2(DTensor x) {
        return PoolingReference.max(x, Pool2dSpec.of(3, 2, 0));
    }

    /** F.avg_pool2d(kernel_size=3, stride=1, padding=1), count_include_pad per the switch. */
    private DTensor avgPool3x3s1p1(DTensor x) {
        return PoolingReference.average(x, Pool2dSpec.of(3, 1, 1).withCountIncludePad(countIncludePad));
    }

    /** nn.AdaptiveAvgPool2d((1, 1)): the mean of each channel's H×W cells. */
    private static DTensor adaptiveAvgPool1x1(DTensor x) {
        int n = x.shape().dim(0), c = x.shape().dim(1), hw = x.shape().dim(2) * x.shape().dim(3);
        double[] out = new double[n * c];
        for (int p = 0; p < n * c; p++) {
            double sum = 0;
            for (int k = 0; k < hw; k++) {
                sum += x.data()[p * hw + k];
            }
            out[p] = sum / hw;
        }
        return new DTensor(Shape.of(n, c, 1, 1), out);
    }

    /** torch.flatten(x, 1). */
    private static DTensor flatten(DTensor x) {
        return new DTensor(Shape.of(x.shape().dim(0), x.size() / x.shape().dim(0)), x.data());
    }

    /** torch.cat(parts, 1). */
    private static DTensor cat(DTensor... parts) {
        return LayoutReference.concat(parts, 1);
    }

    private DTensor param(String name) {
        DTensor t = stateDict.get(name);
        if (t == null) {
            throw new IllegalArgumentException("TorchvisionReference: state dict has no '" + name + "'");
        }
        return t;
    }
}
