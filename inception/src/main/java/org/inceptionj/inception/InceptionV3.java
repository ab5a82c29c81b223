package org.inceptionj.inception;

import java.util.function.BiConsumer;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.autograd.Tape;

/**
 * Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
 * 2015), laid out as torchvision's {@code Inception3} with its names, so that torchvision weights
 * map one to one. Map to the paper (Table 1; the released code differs from Table 1 in the stem,
 * see the spec):
 * <pre>
 *  stem            Conv2d_1a_3x3 … maxpool2     299×299×3 → 35×35×192   (Table 1 rows 1–7)
 *  Mixed_5b–5d     {@link InceptionA}            35×35       figure 5
 *  Mixed_6a        {@link InceptionB}            35 → 17     figure 10 (grid-size reduction)
 *  Mixed_6b–6e     {@link InceptionC}            17×17       figure 6 (n = 7)
 *  AuxLogits       {@link InceptionAux}          17×17 → K   figure 8
 *  Mixed_7a        {@link InceptionD}            17 → 8      figure 10
 *  Mixed_7b–7c     {@link InceptionE}            8×8         figure 7
 *  avgpool, dropout, fc                        2048 → K
 * </pre>
 * Written once against the tensor API: it runs on whatever {@link Backend} its parameters live on.
 */
public final class InceptionV3 implements AutoCloseable {

    /** Training and evaluation differ (BN statistics, dropout, aux head); the caller always says which. */
    public enum Mode { TRAIN, EVAL }

    /**
     * How a new model's weights are drawn (BN's γ = 1, β = 0 and biases 0 in both).
     * <ul>
     *   <li>{@code TORCHVISION}: torchvision's {@code Inception3} rule, a normal of std 0.1 for every
     *       convolution and the classifier (0.01 and 0.001 in the aux head), whatever its fan-in;</li>
     *   <li>{@code HE}: He et al. 2015, std √(2/fan-in) for convolutions, √(1/fan-in) for the classifier.
     *       Every convolution is followed by batch norm, which makes the loss blind to a weight's scale,
     *       so plain SGD moves a weight's direction at a rate ∝ lr / ‖w‖²: with std 0.1 a 1×1 convolution
     *       over 512 channels starts at ‖w‖² ≈ 5.1 per output channel and the 3×3 over 16 channels of the
     *       stem at 1.4, i.e. layers learn at rates 4× apart; with He's rule every layer starts at ≈ 2.
     *       The small recipe uses it: on Fashion-MNIST its 2-epoch run reached 84.83% against 84.27% with
     *       torchvision's rule, with a lower training loss all along (README, "Choosing the recipe").</li>
     * </ul>
     */
    public enum Init { TORCHVISION, HE }

    /**
     * What varies between the presets.
     *
     * @param numClasses      K, the classifier's width (1000 for ImageNet)
     * @param auxLogits       build the auxiliary head (its parameters exist even when evaluating)
     * @param countIncludePad how the 3×3/1/pad 1 average pools count padding: torchvision counts it,
     *                        TF-slim and Keras do not (spec §9.1)
     * @param dropout         drop probability before fc (torchvision 0.5; TF-slim keep 0.8 → 0.2)
     * @param auxBatchNorm    the paper's "BN-auxiliary" (Table 3, last row; §10): the aux head's fc is
     *                        followed by a batch norm over its K logits (BatchNorm1d, ε 0.001), state-dict
     *                        names {@code AuxLogits.fc_bn.{weight,bias,running_mean,running_var}} — names of
     *                        this project, torchvision has no such layer. Needs {@code auxLogits}.
     * @param firstStride     stride of the first convolution (Conv2d_1a_3x3, or Conv2d_1a_7x7): 2 as
     *                        released; 1 for the paper's §9 low-resolution networks (151×151 and 79×79 inputs)
     * @param firstMaxPool    keep maxpool1 (the first pooling layer, after Conv2d_2b_3x3); false for the
     *                        paper's 79×79 network, which removes it (spec §12, reading V3a)
     * @param factorizedStem  the released stem (true): Conv2d_1a_3x3 (3→32, 3×3/firstStride),
     *                        Conv2d_2a_3x3 (32→32, 3×3), Conv2d_2b_3x3 (32→64, 3×3 pad 1). False: the
     *                        baseline of Table 3's "factorized 7×7" ablation (§10), these three replaced by
     *                        one convolution {@code Conv2d_1a_7x7} (3→64, 7×7/firstStride, no padding; the
     *                        name is this project's). The paper says only that the first 7×7 convolution was
     *                        factorized into 3×3 convolutions; this is the reading that keeps every later
     *                        grid identical: from 299, (299 − 7)/2 + 1 = 147, exactly the 64×147×147 tensor
     *                        the factorized stem hands to maxpool1 (299 → 149 → 147 → 147). For any side s
     *                        at stride 2 both give ⌊(s − 5)/2⌋ (⌊(s − 3)/2⌋ + 1 − 2 = ⌊(s − 7)/2⌋ + 1); at
     *                        stride 1 they do not (s − 4 against s − 6), and {@link #minInput} follows the
     *                        stem actually built
     * @param transformInput  torchvision's {@code transform_input}: before the stem, each channel is remapped
     *                        {@code x_c ← x_c·(std_c/0.5) + (mean_c − 0.5)/0.5} with the ImageNet mean
     *                        (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), which turns an
     *                        ImageNet-normalized input (p − mean)/std back into the 2p − 1 the ported TF weights
     *                        expect (spec §6). torchvision's constructor defaults to false, but
     *                        {@code inception_v3(weights=…)} switches it on: a model built that way in
     *                        PyTorch needs it here too to give the same logits
     * @param widthMultiplier TF-slim's {@code depth_multiplier} for small compute budgets: every convolution
     *                        with d output channels gets max(⌊d·widthMultiplier⌋, 16); 1 is the published
     *                        network, and the only width whose state dict torchvision can load. In
     *                        (0, {@value #MAX_WIDTH_MULTIPLIER}]
     *
     * <p>Limits. A configuration may come from a file (a checkpoint's run record, a weights file's model
     * card, the rows of its {@code fc.weight}), so the constructor holds every field to a documented range
     * and no Config outside it can exist, whoever builds it: {@code numClasses} in
     * [{@value #MIN_NUM_CLASSES}, {@value #MAX_NUM_CLASSES}] (ImageNet-21k has 21,841; at the limit the
     * classifier alone is 205 million values, 819 MB), {@code firstStride} in [1, {@value #MAX_FIRST_STRIDE}]
     * (the paper uses 1 and 2; the search for the smallest input grows with it), {@code widthMultiplier} in
     * (0, {@value #MAX_WIDTH_MULTIPLIER}], {@code dropout} in [0, 1). Input sides are held to
     * [{@link #minInput}, {@value #MAX_INPUT_SIDE}] where a file names one (the model card). These bound
     * each number, not the model's size against a file: a file that claims a configuration larger than
     * the tensors it holds is refused where it is read ({@code WeightsLoader.checkHolds}).
     */
    public record Config(int numClasses, boolean auxLogits, boolean countIncludePad, float dropout,
                         boolean auxBatchNorm, int firstStride, boolean firstMaxPool, boolean factorizedStem,
                         boolean transformInput, double widthMultiplier) {
        public Config {
            if (numClasses < MIN_NUM_CLASSES || numClasses > MAX_NUM_CLASSES) {
                throw new IllegalArgumentException("InceptionV3: numClasses must be in [" + MIN_NUM_CLASSES + ", "
                        + MAX_NUM_CLASSES + "], got " + numClasses);
            }
            if (!(dropout >= 0f && dropout < 1f)) {
                throw new IllegalArgumentException("InceptionV3: dropout must be in [0, 1), got " + dropout);
            }
            if (auxBatchNorm && !auxLogits) {
                throw new IllegalArgumentException("InceptionV3: auxBatchNorm normalizes the aux head's logits,"
                        + " so it needs auxLogits = true");
            }
            if (firstStride < 1 || firstStride > MAX_FIRST_STRIDE) {
                throw new IllegalArgumentException("InceptionV3: firstStride must be in [1, " + MAX_FIRST_STRIDE
                        + "], got " + firstStride);
            }
            if (!(widthMultiplier > 0.0 && widthMultiplier <= MAX_WIDTH_MULTIPLIER)) {
                throw new IllegalArgumentException("InceptionV3: widthMultiplier must be in (0, " + MAX_WIDTH_MULTIPLIER
                        + "], got " + widthMultiplier);
            }
        }

        /** The largest width multiplier accepted: 4× the published width is already 16 times its size. */
        public static final double MAX_WIDTH_MULTIPLIER = 4.0;

        /** The fewest classes: one builds (a classifier that always answers it), zero does not. */
        public static final int MIN_NUM_CLASSES = 1;

        /** The most classes: above ImageNet-21k's 21,841 with room to spare; the classifier is then 819 MB at the published width. */
        public static final int MAX_NUM_CLASSES = 100_000;

        /** The largest stride of the first convolution: the paper uses 2, and 1 for its low-resolution networks. */
        public static final int MAX_FIRST_STRIDE = 8;

        /** The largest square input side a file may name: 2048² is 47 times the pixels of 299², and activations grow with it. */
        public static final int MAX_INPUT_SIDE = 2048;

        /** These settings with no input transform and the published width. */
        public Config(int numClasses, boolean auxLogits, boolean countIncludePad, float dropout,
                      boolean auxBatchNorm, int firstStride, boolean firstMaxPool, boolean factorizedStem) {
            this(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, firstMaxPool, factorizedStem,
                    false, 1.0);
        }

        /** These settings with the released, factorized stem. */
        public Config(int numClasses, boolean auxLogits, boolean countIncludePad, float dropout,
                      boolean auxBatchNorm, int firstStride, boolean firstMaxPool) {
            this(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, firstMaxPool, true);
        }

        /** The released architecture (no aux BN, Conv2d_1a stride 2, maxpool1 kept, factorized stem) with these settings. */
        public Config(int numClasses, boolean auxLogits, boolean countIncludePad, float dropout) {
            this(numClasses, auxLogits, countIncludePad, dropout, false, 2, true, true);
        }

        /** torchvision's {@code inception_v3()}: 1000 classes, aux head, padding counted, dropout 0.5. */
        public static Config torchvision() {
            return new Config(1000, true, true, 0.5f);
        }

        public Config withNumClasses(int k) {
            return new Config(k, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, firstMaxPool, factorizedStem,
                    transformInput, widthMultiplier);
        }

        /** Without the aux head, the aux batch norm goes too. */
        public Config withAuxLogits(boolean on) {
            return new Config(numClasses, on, countIncludePad, dropout, on && auxBatchNorm, firstStride, firstMaxPool, factorizedStem,
                    transformInput, widthMultiplier);
        }

        public Config withAuxBatchNorm(boolean on) {
            return new Config(numClasses, auxLogits, countIncludePad, dropout, on, firstStride, firstMaxPool, factorizedStem,
                    transformInput, widthMultiplier);
        }

        public Config withFirstStride(int stride) {
            return new Config(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, stride, firstMaxPool, factorizedStem,
                    transformInput, widthMultiplier);
        }

        public Config withFirstMaxPool(boolean on) {
            return new Config(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, on, factorizedStem,
                    transformInput, widthMultiplier);
        }

        /** false: the unfactorized 7×7 stem of Table 3's ablation (see {@link #factorizedStem()}). */
        public Config withFactorizedStem(boolean on) {
            return new Config(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, firstMaxPool, on,
                    transformInput, widthMultiplier);
        }

        /** true: remap ImageNet-normalized input to 2p − 1 first, as torchvision's pretrained model does (see {@link #transformInput()}). */
        public Config withTransformInput(boolean on) {
            return new Config(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, firstMaxPool,
                    factorizedStem, on, widthMultiplier);
        }

        /** Every convolution's channels d become max(⌊d·multiplier⌋, 16) (see {@link #widthMultiplier()}). */
        public Config withWidthMultiplier(double multiplier) {
            return new Config(numClasses, auxLogits, countIncludePad, dropout, auxBatchNorm, firstStride, firstMaxPool,
                    factorizedStem, transformInput, multiplier);
        }

        /** The same architecture with dropout probability {@code p} before the classifier (training mode only). */
        public Config withDropout(float p) {
            return new Config(numClasses, auxLogits, countIncludePad, p, auxBatchNorm, firstStride, firstMaxPool,
                    factorizedStem, transformInput, widthMultiplier);
        }

        /**
         * The smallest square side this stem carries: in evaluation, the side whose 17-grid is at least
         * 3 (Mixed_7a's 3×3/2 then gives a 1×1 last grid); with {@code auxHead}, the side whose 17-grid is
         * at least 17 (the aux head's 5×5/3 pool and 5×5 conv). {@value #MIN_EVAL_INPUT} and
         * {@value #MIN_AUX_INPUT} for the released stem.
         */
        public int minInput(boolean auxHead) {
            int need = auxHead ? 17 : 3;
            for (int side = 1; ; side++) {
                if (grid17(side) >= need) {
                    return side;
                }
            }
        }

        /** The side of the 17×17 grid (Mixed_6a … Mixed_6e) for an input side, or 0 if a layer empties first. */
        int grid17(int side) {
            int h;
            if (factorizedStem) {
                h = valid(side, 3, firstStride);        // Conv2d_1a_3x3
                h = valid(h, 3, 1);                     // Conv2d_2a_3x3 (2b is padded: same size)
            } else {
                h = valid(side, 7, firstStride);        // Conv2d_1a_7x7
            }
            if (firstMaxPool) {
                h = valid(h, 3, 2);                     // maxpool1
            }
            h = valid(h, 3, 1);                         // Conv2d_4a_3x3 (3b is 1×1)
            h = valid(h, 3, 2);                         // maxpool2 → the 35-grid
            return valid(h, 3, 2);                      // Mixed_6a
        }

        private static int valid(int in, int k, int stride) {
            return in < k ? 0 : (in - k) / stride + 1;
        }
    }

    /** What forward returns: the logits, and the aux logits when training with the aux head (else null). */
    public record Output(Tensor logits, Tensor auxLogits) {
    }

    /** The smallest square input the released stem carries in evaluation: 75×75 reaches Mixed_7c at 1×1 (spec §2); see {@link Config#minInput}. */
    public static final int MIN_EVAL_INPUT = 75;

    /** The smallest square input the released stem carries when training with the aux head (spec §2: 299; 293–298 give Mixed_6e 16×16). */
    public static final int MIN_AUX_INPUT = 299;

    private final Config config;
    private final Parameters params;
    /** The base of the dropout stream: the construction seed until {@link #restoreDropoutStream} replaces it. */
    private long dropoutBase;
    /** How many dropout seeds the stream has drawn (one per training forward through dropout). */
    private long dropoutStep;

    /** The factorized stem (null when {@code !config.factorizedStem()}). */
    private final BasicConv2d Conv2d_1a_3x3;
    private final BasicConv2d Conv2d_2a_3x3;
    private final BasicConv2d Conv2d_2b_3x3;
    /** The unfactorized stem of Table 3's ablation (null when {@code config.factorizedStem()}). */
    private final BasicConv2d Conv2d_1a_7x7;
    private final Pool2dSpec maxpool1 = Pool2dSpec.of(3, 2, 0);
    private final BasicConv2d Conv2d_3b_1x1;
    private final BasicConv2d Conv2d_4a_3x3;
    private final Pool2dSpec maxpool2 = Pool2dSpec.of(3, 2, 0);
    private final InceptionA Mixed_5b;
    private final InceptionA Mixed_5c;
    private final InceptionA Mixed_5d;
    private final InceptionB Mixed_6a;
    private final InceptionC Mixed_6b;
    private final InceptionC Mixed_6c;
    private final InceptionC Mixed_6d;
    private final InceptionC Mixed_6e;
    private final InceptionAux AuxLogits;
    private final InceptionD Mixed_7a;
    private final InceptionE Mixed_7b;
    private final InceptionE Mixed_7c;
    private final Tensor fcWeight;
    private final Tensor fcBias;

    /** A model with seeded random weights (torchvision's initialization) on {@code backend}. */
    public InceptionV3(Backend backend, Config config, long seed) {
        this(backend, config, seed, Init.TORCHVISION);
    }

    /** A model with seeded random weights drawn by {@code init} on {@code backend}. */
    public InceptionV3(Backend backend, Config config, long seed, Init init) {
        this.config = config;
        this.dropoutBase = seed;
        this.params = new Parameters(backend, seed, init);
        boolean cip = config.countIncludePad();
        Width w = new Width(config.widthMultiplier());
        Parameters p = params;
        try {
            // Channels as published (widthMultiplier 1); w.of(d) is d there. Block inputs are the previous block's output.
            boolean f = config.factorizedStem();
            Conv2d_1a_3x3 = f ? BasicConv2d.square(p, "Conv2d_1a_3x3", 3, w.of(32), 3, config.firstStride(), 0) : null;
            Conv2d_2a_3x3 = f ? BasicConv2d.square(p, "Conv2d_2a_3x3", w.of(32), w.of(32), 3, 1, 0) : null;
            Conv2d_2b_3x3 = f ? BasicConv2d.square(p, "Conv2d_2b_3x3", w.of(32), w.of(64), 3, 1, 1) : null;
            Conv2d_1a_7x7 = f ? null : BasicConv2d.square(p, "Conv2d_1a_7x7", 3, w.of(64), 7, config.firstStride(), 0);
            Conv2d_3b_1x1 = BasicConv2d.square(p, "Conv2d_3b_1x1", w.of(64), w.of(80), 1, 1, 0);
            Conv2d_4a_3x3 = BasicConv2d.square(p, "Conv2d_4a_3x3", w.of(80), w.of(192), 3, 1, 0);
            Mixed_5b = new InceptionA(p, "Mixed_5b", Conv2d_4a_3x3.out, 32, cip, w);  // 192 → 256
            Mixed_5c = new InceptionA(p, "Mixed_5c", Mixed_5b.out, 64, cip, w);       // 256 → 288
            Mixed_5d = new InceptionA(p, "Mixed_5d", Mixed_5c.out, 64, cip, w);       // 288 → 288
            Mixed_6a = new InceptionB(p, "Mixed_6a", Mixed_5d.out, w);                // 288 → 768
            Mixed_6b = new InceptionC(p, "Mixed_6b", Mixed_6a.out, 128, cip, w);      // 768 → 768
            Mixed_6c = new InceptionC(p, "Mixed_6c", Mixed_6b.out, 160, cip, w);      // 768 → 768
            Mixed_6d = new InceptionC(p, "Mixed_6d", Mixed_6c.out, 160, cip, w);      // 768 → 768
            Mixed_6e = new InceptionC(p, "Mixed_6e", Mixed_6d.out, 192, cip, w);      // 768 → 768
            AuxLogits = config.auxLogits()                                            // 768 → num_classes
                    ? new InceptionAux(p, "AuxLogits", Mixed_6e.out, config.numClasses(), config.auxBatchNorm(), w) : null;
            Mixed_7a = new InceptionD(p, "Mixed_7a", Mixed_6e.out, w);                // 768 → 1280
            Mixed_7b = new InceptionE(p, "Mixed_7b", Mixed_7a.out, cip, w);           // 1280 → 2048
            Mixed_7c = new InceptionE(p, "Mixed_7c", Mixed_7b.out, cip, w);           // 2048 → 2048
            fcWeight = p.normal("fc.weight", Shape.of(config.numClasses(), Mixed_7c.out), 0.1f);
            fcBias = p.constant("fc.bias", Shape.of(config.numClasses()), 0f);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    public Config config() {
        return config;
    }

    /** The parameters and BN statistics, by torchvision state-dict name. */
    public Parameters parameters() {
        return params;
    }

    /** Evaluation or training forward without recording (nothing to differentiate). */
    public Output forward(Tensor x, Mode mode) {
        try (Tape none = Tape.inference()) {
            return forward(none, x, mode, null);
        }
    }

    /** Forward with an observer of each module's output; see {@link #forward(Tape, Tensor, Mode, BiConsumer)}. */
    public Output forward(Tensor x, Mode mode, BiConsumer<String, Tensor> observer) {
        try (Tape none = Tape.inference()) {
            return forward(none, x, mode, observer);
        }
    }

    /**
     * What the top-level block {@code name} is, as {@link Summary} prints it ({@code InceptionC c7=128});
     * null for a single layer (a convolution, a pool, fc) or a module this model does not have.
     */
    String describeBlock(String name) {
        return switch (name) {
            case "Mixed_5b" -> Mixed_5b.describe();
            case "Mixed_5c" -> Mixed_5c.describe();
            case "Mixed_5d" -> Mixed_5d.describe();
            case "Mixed_6a" -> Mixed_6a.describe();
            case "Mixed_6b" -> Mixed_6b.describe();
            case "Mixed_6c" -> Mixed_6c.describe();
            case "Mixed_6d" -> Mixed_6d.describe();
            case "Mixed_6e" -> Mixed_6e.describe();
            case "AuxLogits" -> AuxLogits == null ? null : AuxLogits.describe();
            case "Mixed_7a" -> Mixed_7a.describe();
            case "Mixed_7b" -> Mixed_7b.describe();
            case "Mixed_7c" -> Mixed_7c.describe();
            default -> null;
        };
    }

    /** Marks every trainable parameter (not the BN running statistics) as watched by {@code tape}. */
    public void watch(Tape tape) {
        for (Tensor p : params.trainable().values()) {
            tape.watch(p);
        }
    }

    /**
     * Runs the network on x [N, 3, H, W], recording on {@code tape} (use {@link Tape#inference()} to
     * record nothing). {@link Mode#TRAIN}: batch-norm batch statistics (running statistics updated),
     * dropout before fc, and the aux head's logits when the config has one; {@link Mode#EVAL}: running
     * statistics, no dropout, no aux logits. {@code observer} (may be null) sees the output of each
     * top-level module that runs, in order, under its torchvision name ({@code AuxLogits} and
     * {@code dropout} only in training), while it is alive; it must copy what it keeps.
     * The returned tensors belong to the caller's current scope.
     */
    public Output forward(Tape tape, Tensor x, Mode mode, BiConsumer<String, Tensor> observer) {
        if (mode == null) {
            throw new IllegalArgumentException("InceptionV3.forward: mode is null; say TRAIN or EVAL");
        }
        if (tape == null) {
            throw new IllegalArgumentException("InceptionV3.forward: tape is null; pass Tape.inference() to record nothing");
        }
        checkInput(x, config, mode == Mode.TRAIN && AuxLogits != null);
        return forwardUnchecked(tape, x, mode, observer);
    }

    /**
     * The forward itself, without the input-size check: on an input the network cannot carry it fails
     * at the first layer whose output would be empty. {@link Summary} runs it on a shape-only backend
     * to find that layer.
     */
    Output forwardUnchecked(Tape tape, Tensor x, Mode mode, BiConsumer<String, Tensor> observer) {
        boolean train = mode == Mode.TRAIN;
        BiConsumer<String, Tensor> see = observer == null ? (n, t) -> { } : observer;
        Tape t = tape;
        Stages st = new Stages(x, observer);
        try (TensorScope s = TensorScope.open()) {
            Tensor h = st.first(config.transformInput() ? transformInput(t, x) : x);       // N x 3 x 299 x 299
            if (config.factorizedStem()) {
                h = st.next("Conv2d_1a_3x3", Conv2d_1a_3x3.forward(t, h, train));          // N x 32 x 149 x 149
                h = st.next("Conv2d_2a_3x3", Conv2d_2a_3x3.forward(t, h, train));          // N x 32 x 147 x 147
                h = st.next("Conv2d_2b_3x3", Conv2d_2b_3x3.forward(t, h, train));          // N x 64 x 147 x 147
            } else {
                h = st.next("Conv2d_1a_7x7", Conv2d_1a_7x7.forward(t, h, train));          // N x 64 x 147 x 147
            }
            if (config.firstMaxPool()) {
                h = st.next("maxpool1", t.maxPool2d(h, maxpool1));                         // N x 64 x 73 x 73
            }
            h = st.next("Conv2d_3b_1x1", Conv2d_3b_1x1.forward(t, h, train));              // N x 80 x 73 x 73
            h = st.next("Conv2d_4a_3x3", Conv2d_4a_3x3.forward(t, h, train));              // N x 192 x 71 x 71
            h = st.next("maxpool2", t.maxPool2d(h, maxpool2));                             // N x 192 x 35 x 35
            h = st.next("Mixed_5b", Mixed_5b.forward(t, h, train));                        // N x 256 x 35 x 35
            h = st.next("Mixed_5c", Mixed_5c.forward(t, h, train));                        // N x 288 x 35 x 35
            h = st.next("Mixed_5d", Mixed_5d.forward(t, h, train));                        // N x 288 x 35 x 35
            h = st.next("Mixed_6a", Mixed_6a.forward(t, h, train));                        // N x 768 x 17 x 17
            h = st.next("Mixed_6b", Mixed_6b.forward(t, h, train));                        // N x 768 x 17 x 17
            h = st.next("Mixed_6c", Mixed_6c.forward(t, h, train));                        // N x 768 x 17 x 17
            h = st.next("Mixed_6d", Mixed_6d.forward(t, h, train));                        // N x 768 x 17 x 17
            h = st.next("Mixed_6e", Mixed_6e.forward(t, h, train));                        // N x 768 x 17 x 17
            Tensor aux = null;
            if (train && AuxLogits != null) {
                aux = AuxLogits.forward(t, h, true);             see.accept("AuxLogits", aux); // N x num_classes
            }
            h = st.next("Mixed_7a", Mixed_7a.forward(t, h, train));                        // N x 1280 x 8 x 8
            h = st.next("Mixed_7b", Mixed_7b.forward(t, h, train));                        // N x 2048 x 8 x 8
            h = st.next("Mixed_7c", Mixed_7c.forward(t, h, train));                        // N x 2048 x 8 x 8
            h = st.next("avgpool", t.globalAvgPool(h));                                    // N x 2048 x 1 x 1
            if (train && config.dropout() > 0f) {
                h = st.next("dropout", t.dropout(h, config.dropout(), dropoutSeed()));     // N x 2048 x 1 x 1
            }
            h = t.flatten(h, 1);                                                           // N x 2048
            Tensor logits = t.linear(h, fcWeight, fcBias);       see.accept("fc", logits); // N x num_classes
            return new Output(s.keep(logits), aux == null ? null : s.keep(aux));
        }
    }

    /**
     * The outputs of one forward's stages, in order: each is shown to the observer, if any; without one,
     * each is closed once the next stage has made its output (never the caller's input). Why: the forward's
     * scope held every stage's output until the logits (the stem's alone are 130 MB at batch 8), so an eval
     * forward's activations peaked at 981 MB at batch 32; closed as they are consumed, at 266 MB (245 → 66 MB
     * at batch 8, 31 → 8 MB at batch 1), and their arrays come back through the backend's cache while still
     * warm. An observer keeps them all alive, as before, since it may look at any while the forward runs. A
     * tape that needs a stage for backward has {@linkplain Tensor#retain() retained} it, and close then
     * waits until the tape releases it. Not used across {@code flatten}, whose result may share its input's memory.
     */
    private static final class Stages {
        private final Tensor input;
        private final BiConsumer<String, Tensor> observer;
        private Tensor last;

        Stages(Tensor input, BiConsumer<String, Tensor> observer) {
            this.input = input;
            this.observer = observer;
        }

        /** The forward's first tensor (the input, or its transform), seen by no observer. */
        Tensor first(Tensor h) {
            last = h;
            return h;
        }

        /** Stage {@code name}'s output, made from the last one, which is closed here unless kept (see above). */
        Tensor next(String name, Tensor made) {
            if (observer != null) {
                observer.accept(name, made);
            } else if (last != input && last != made) {
                last.close();
            }
            last = made;
            return made;
        }
    }

    /** The ImageNet channel statistics behind torchvision's normalization and {@code transform_input}. */
    private static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    private static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    /**
     * torchvision's {@code _transform_input}: channel c becomes x_c·(std_c/0.5) + (mean_c − 0.5)/0.5, which maps
     * (p − mean_c)/std_c to 2p − 1. The coefficients are computed in double and rounded to float, as PyTorch
     * does with Python scalars; R: x·0.458 − 0.03, G: x·0.448 − 0.088, B: x·0.45 − 0.188.
     */
    private static Tensor transformInput(Tape t, Tensor x) {
        Tensor[] channels = new Tensor[3];
        for (int c = 0; c < 3; c++) {
            float scale = (float) (IMAGENET_STD[c] / 0.5);
            float shift = (float) ((IMAGENET_MEAN[c] - 0.5) / 0.5);
            channels[c] = t.affine(t.slice(x, 1, c, 1), scale, shift);
        }
        return t.concat(1, channels);
    }

    /** A fresh dropout seed per training forward: the model seed mixed with a step counter. */
    private long dropoutSeed() {
        return RandomStream.mix(dropoutBase, dropoutStep++);
    }

    /**
     * The base of the dropout stream (the seed this model was built with, unless restored). With
     * {@link #dropoutStep()} it fixes every future dropout mask; a training checkpoint stores both.
     */
    public long dropoutSeedBase() {
        return dropoutBase;
    }

    /** How many dropout seeds this model has drawn: training forwards through dropout so far. */
    public long dropoutStep() {
        return dropoutStep;
    }

    /**
     * Continues the dropout stream of another model: the next training forward draws
     * mix({@code seedBase}, {@code step}), as that model's would have. Exists so that a run resumed from
     * a checkpoint into a freshly built model (whatever its seed) applies the same masks as a run that
     * never stopped. Mutates only the stream, never the parameters.
     *
     * @param step draws made so far, ≥ 0
     */
    public void restoreDropoutStream(long seedBase, long step) {
        if (step < 0) {
            throw new IllegalArgumentException("InceptionV3.restoreDropoutStream: step must be >= 0, got " + step);
        }
        this.dropoutBase = seedBase;
        this.dropoutStep = step;
    }

    private static void checkInput(Tensor x, Config config, boolean auxHead) {
        if (x == null) {
            throw new IllegalArgumentException("InceptionV3.forward: input is null");
        }
        Shape s = x.shape();
        if (s.rank() != 4 || s.dim(1) != 3) {
            throw new IllegalArgumentException("InceptionV3.forward: input must be [N,3,H,W] (RGB, NCHW), got " + s);
        }
        int minEval = config.minInput(false);
        if (s.dim(0) < 1 || s.dim(2) < minEval || s.dim(3) < minEval) {
            throw new IllegalArgumentException("InceptionV3.forward: input " + s + " is too small: evaluation needs"
                    + " N >= 1 and H, W >= " + minEval + " (the smallest input whose last grid is 1x1)");
        }
        int minAux = config.minInput(true);
        if (auxHead && (s.dim(2) < minAux || s.dim(3) < minAux)) {
            throw new IllegalArgumentException("InceptionV3.forward: input " + s + " is too small for training with the"
                    + " auxiliary head, which needs H, W >= " + minAux + " (Mixed_6e at least 17x17 for its"
                    + " 5x5/3 pool and 5x5 conv); build the model without the aux head for smaller inputs");
        }

    }

    @Override
    public void close() {
        params.close();
    }
}
