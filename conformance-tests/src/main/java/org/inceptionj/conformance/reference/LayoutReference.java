package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/** References of {@code concat}, {@code slice} and {@code copy}: pure data movement. */
public final class LayoutReference {
    private LayoutReference() {
    }

    /**
     * Concatenation along {@code axis}: out[..., k, ...] = parts[p][..., k − offset_p, ...], where
     * part p occupies [offset_p, offset_p + parts[p].dim(axis)) of the output axis.
     */
    public static DTensor concat(DTensor[] parts, int axis) {
        int total = 0;
        for (DTensor p : parts) {
            total += p.shape().dim(axis);
        }
        Shape outShape = parts[0].shape().with(axis, total);
        DTensor out = DTensor.zeros(outShape);
        for (int flat = 0; flat < out.size(); flat++) {
            int[] idx = DTensor.unravel(outShape, flat);
            int k = idx[axis], p = 0;
            while (k >= parts[p].shape().dim(axis)) {
                k -= parts[p].shape().dim(axis);
                p++;
            }
            idx[axis] = k;
            out.data()[flat] = parts[p].get(idx);
        }
        return out;
    }

    /** out[..., k, ...] = x[..., start + k, ...] for k in [0, length) along {@code axis}. */
    public static DTensor slice(DTensor x, int axis, int start, int length) {
        Shape outShape = x.shape().with(axis, length);
        DTensor out = DTensor.zeros(outShape);
        for (int flat = 0; flat < out.size(); flat++) {
            int[] idx = DTensor.unravel(outShape, flat);
            idx[axis] += start;
            out.data()[flat] = x.get(idx);
        }
        return out;
    }

    /** out[i] = x[i] under another shape of the same size (copy, reshape, flatten). */
    public static DTensor copy(DTensor x, Shape shape) {
        if (shape.size() != x.size()) {
            throw new IllegalArgumentException("reference copy: " + x.shape() + " to " + shape);
        }
        return new DTensor(shape, x.data().clone());
    }
}
