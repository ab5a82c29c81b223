package org.inceptionj.inception;

import java.util.List;

/**
 * Named configurations. Available now:
 * <ul>
 *   <li>{@code inception-v3}: torchvision's {@code inception_v3} (1000 classes, aux head, padding
 *       counted in the 3×3 average pools, dropout 0.5) — weight-compatible with its state dict;</li>
 *   <li>{@code inception-v3-tf}: TF-slim semantics (1001 classes with "background" at 0, padding not
 *       counted in the average pools, dropout 0.2 = keep_prob 0.8).</li>
 * </ul>
 * The presets that change the architecture ({@code inception-v3-paper} with the BN-auxiliary head,
 * the §9 low-resolution stems {@code inception-v3-151} and {@code inception-v3-79}) are named, and
 * refused with a message, until the model has those options.
 */
public final class Presets {
    private Presets() {
    }

    public static final List<String> AVAILABLE = List.of("inception-v3", "inception-v3-tf");
    private static final List<String> PLANNED = List.of("inception-v3-paper", "inception-v3-151", "inception-v3-79");

    /** The configuration called {@code name}, or an exception listing the names there are. */
    public static InceptionV3.Config named(String name) {
        if (name == null) {
            throw new IllegalArgumentException("preset: name is null; available: " + AVAILABLE);
        }
        return switch (name) {
            case "inception-v3" -> InceptionV3.Config.torchvision();
            case "inception-v3-tf" -> new InceptionV3.Config(1001, true, false, 0.2f);
            default -> throw new IllegalArgumentException(PLANNED.contains(name)
                    ? "preset '" + name + "' needs architecture options this version does not have yet; available: "
                    + AVAILABLE
                    : "unknown preset '" + name + "'; available: " + AVAILABLE);
        };
    }
}
