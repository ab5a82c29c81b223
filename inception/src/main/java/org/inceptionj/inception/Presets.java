package org.inceptionj.inception;

import java.util.List;

/**
 * Named configurations:
 * <ul>
 *   <li>{@code inception-v3}: torchvision's {@code inception_v3} (1000 classes, aux head, padding
 *       counted in the 3×3 average pools, dropout 0.5) — weight-compatible with its state dict;</li>
 *   <li>{@code inception-v3-tf}: TF-slim semantics (1001 classes with "background" at 0, padding not
 *       counted in the average pools, dropout 0.2 = keep_prob 0.8);</li>
 *   <li>{@code inception-v3-paper}: the paper's Inception-v3 (Table 3, last row): the torchvision layout
 *       plus the BN-auxiliary head ({@link InceptionV3.Config#auxBatchNorm()}, 2·K more parameters).
 *       Label smoothing (ε = 0.1), the other difference of that row, is a loss setting, not an
 *       architecture option: the trainer applies it;</li>
 *   <li>{@code inception-v3-151}: paper §9, the 151×151 network: Conv2d_1a_3x3 with stride 1, so every
 *       later layer sees the same grid as the 299 network (spec §12, V2);</li>
 *   <li>{@code inception-v3-79}: paper §9, the 79×79 network: Conv2d_1a_3x3 with stride 1 and maxpool1
 *       removed; the paper does not give the exact stem, this is reading V3a of spec §12 (the
 *       released padded Conv2d_2b_3x3, so the 35-grid is 36×36);</li>
 *   <li>{@code inception-v3-unfactorized-stem}: the torchvision layout with the stem's three 3×3
 *       convolutions replaced by one 7×7/2 ({@link InceptionV3.Config#factorizedStem()}), the baseline of
 *       Table 3's "factorized 7×7" ablation; every grid from maxpool1 on is that of {@code inception-v3}.</li>
 * </ul>
 * Each has a native input side, {@link #inputSize(String)}.
 */
public final class Presets {
    private Presets() {
    }

    public static final List<String> AVAILABLE = List.of(
            "inception-v3", "inception-v3-tf", "inception-v3-paper", "inception-v3-151", "inception-v3-79",
            "inception-v3-unfactorized-stem");

    /** The configuration called {@code name}, or an exception listing the names there are. */
    public static InceptionV3.Config named(String name) {
        return switch (checked(name)) {
            case "inception-v3" -> InceptionV3.Config.torchvision();
            case "inception-v3-tf" -> new InceptionV3.Config(1001, true, false, 0.2f);
            case "inception-v3-paper" -> InceptionV3.Config.torchvision().withAuxBatchNorm(true);
            case "inception-v3-151" -> InceptionV3.Config.torchvision().withFirstStride(1);
            case "inception-v3-79" -> InceptionV3.Config.torchvision().withFirstStride(1).withFirstMaxPool(false);
            case "inception-v3-unfactorized-stem" -> InceptionV3.Config.torchvision().withFactorizedStem(false);
            default -> throw new IllegalStateException("Presets: '" + name + "' is listed but has no configuration");
        };
    }

    /** The square input side the preset is meant for: 299, or 151 and 79 for the §9 low-resolution networks. */
    public static int inputSize(String name) {
        return switch (checked(name)) {
            case "inception-v3-151" -> 151;
            case "inception-v3-79" -> 79;
            default -> 299;
        };
    }

    private static String checked(String name) {
        if (name == null) {
            throw new IllegalArgumentException("preset: name is null; available: " + AVAILABLE);
        }
        if (!AVAILABLE.contains(name)) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; available: " + AVAILABLE);
        }
        return name;
    }
}
