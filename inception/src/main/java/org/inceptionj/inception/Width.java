package org.inceptionj.inception;

/**
 * The width (channel) multiplier for small compute budgets, TF-slim's {@code depth_multiplier}:
 * every convolution's output channels d become {@code max(⌊d·multiplier⌋, minDepth)}, with slim's
 * {@code min_depth} of 16 so that no layer collapses to a handful of filters. Channels that a block
 * passes through unchanged (the max-pool branches of Mixed_6a and Mixed_7a) and the classifier's
 * width K are not scaled; the concatenations simply add up the scaled branches.
 * Parameters scale roughly with multiplier², multiply-adds too ({@link Summary} gives exact figures).
 */
record Width(double multiplier) {
    /** TF-slim's {@code min_depth} default. */
    static final int MIN_DEPTH = 16;

    static final Width FULL = new Width(1.0);

    /** slim's {@code depth(d)}: the scaled channel count of a layer written with d channels. */
    int of(int d) {
        return Math.max((int) (d * multiplier), MIN_DEPTH);
    }
}
