package org.inceptionj.api;

/** Elementwise functions z = f(a, b) of {@link Backend#binary}, with NumPy broadcasting. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN
}
