package org.inceptionj.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * The parts of the {@link Backend} contract that a backend may leave out, and nothing else: what
 * {@link Conv2dSpec} and {@link Pool2dSpec} can express beyond the geometry of Inception-v3, which
 * needs none of these. A backend lists what it leaves out in {@link Backend#unsupported()};
 * {@link Ops} then refuses a call that needs one with an {@link UnsupportedOperationException}
 * naming the op, the feature and the backend (never a wrong answer), and the conformance kit reports
 * each one as a named skip while checking every other case.
 */
public enum OptionalFeature {
    /** A padding that differs between the two sides of an axis (padTop ≠ padBottom or padLeft ≠ padRight): conv2d and pooling, e.g. ONNX's SAME_UPPER. */
    ASYMMETRIC_PADDING("asymmetric padding"),
    /** A pooling window with dilation above 1. */
    POOL_DILATION("pooling dilation"),
    /** {@link Pool2dSpec#ceilMode()}: output sizes rounded up. */
    CEIL_MODE("ceil mode");

    private final String description;

    OptionalFeature(String description) {
        this.description = description;
    }

    /** A few words for messages, e.g. "ceil mode". */
    public String description() {
        return description;
    }

    /** What a convolution of this geometry needs (dilated convolutions are not optional). */
    public static Set<OptionalFeature> neededBy(Conv2dSpec spec) {
        Set<OptionalFeature> s = EnumSet.noneOf(OptionalFeature.class);
        if (spec.padTop() != spec.padBottom() || spec.padLeft() != spec.padRight()) {
            s.add(ASYMMETRIC_PADDING);
        }
        return s;
    }

    /** What a pool of this geometry needs. */
    public static Set<OptionalFeature> neededBy(Pool2dSpec spec) {
        Set<OptionalFeature> s = EnumSet.noneOf(OptionalFeature.class);
        if (spec.padTop() != spec.padBottom() || spec.padLeft() != spec.padRight()) {
            s.add(ASYMMETRIC_PADDING);
        }
        if (spec.dilationH() != 1 || spec.dilationW() != 1) {
            s.add(POOL_DILATION);
        }
        if (spec.ceilMode()) {
            s.add(CEIL_MODE);
        }
        return s;
    }
}
