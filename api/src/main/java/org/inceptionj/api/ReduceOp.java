package org.inceptionj.api;

/** Reductions of {@link Backend#reduce}: the sum, mean or maximum over a set of axes. */
public enum ReduceOp {
    SUM, MEAN, MAX
}
