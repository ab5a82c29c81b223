package org.inceptionj.api;

/** Elementwise functions y = f(x) of {@link Backend#unary}. */
public enum UnaryOp {
    /** −x */ NEG,
    /** |x| */ ABS,
    /** √x (NaN for x < 0) */ SQRT,
    /** eˣ */ EXP,
    /** ln x */ LOG,
    /** max(x, 0) */ RELU,
    /** x² */ SQUARE,
    /** 1/x */ RECIPROCAL
}
