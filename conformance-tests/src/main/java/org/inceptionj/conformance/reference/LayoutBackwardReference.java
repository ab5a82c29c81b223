package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/**
 * Gradients of the data-movement ops (see {@link LayoutReference}): each output element is one
 * input element, so its gradient goes back to that element, and nothing else does.
 */
public final class LayoutBackwardReference {
    private LayoutBackwardReference() {
    }

    /** concat: part p's gradient is dy[..., offset_p : offset_p + size_p, ...] along {@code axis}. */
    public static DTensor[] concat(DTensor dy, Shape[] parts, int axis) {
        DTensor[] g = new DTensor[parts.length];
        int offset = 0;
        for (int p = 0; p < parts.length; p++) {
            g[p] = LayoutReference.slice(dy, axis, offset, parts[p].dim(axis));
            offset += parts[p].dim(axis);
        }
        return g;
    }

    /** slice: dx[..., start + k, ...] = dy[..., k, ...] for k in [0, length); zero elsewhere. */
    public static DTensor slice(DTensor dy, Shape xShape, int axis, int start) {
        DTensor dx = DTensor.zeros(xShape);
        for (int flat = 0; flat < dy.size(); flat++) {
            int[] idx = DTensor.unravel(dy.shape(), flat);
            idx[axis] += start;
            dx.data()[dx.offset(idx)] = dy.data()[flat];
        }
        return dx;
    }
}
