package org.inceptionj.conformance.onnx;

import java.util.Arrays;

/**
 * ONNX's padding rules for Conv and the pools along one spatial axis, as the operator spec states
 * them (onnx/docs/Operators.md, Conv and MaxPool, attribute {@code auto_pad}).
 *
 * <ul>
 *   <li>{@code NOTSET}: the explicit {@code pads} [x1_begin, x2_begin, ..., x1_end, x2_end]
 *       (for 2-D: [top, left, bottom, right]); absent pads are 0.</li>
 *   <li>{@code VALID}: no padding.</li>
 *   <li>{@code SAME_UPPER} / {@code SAME_LOWER}: pad so that out = ⌈in / stride⌉; the total is
 *       max(0, (out − 1)·stride + (kernel − 1)·dilation + 1 − in), split in half, with the odd
 *       cell at the end for SAME_UPPER and at the beginning for SAME_LOWER.</li>
 * </ul>
 */
final class OnnxPadding {
    private OnnxPadding() {
    }

    /** Padding before and after one axis. */
    record Pad(int begin, int end) {
    }

    /**
     * The padding of spatial axis {@code axis} (0 = H, 1 = W).
     *
     * @param op       operator name, for messages
     * @param autoPad  the auto_pad attribute
     * @param pads     the pads attribute (2·spatial values) or null
     * @param in       input size along the axis
     * @param kernel   kernel size along the axis
     * @param stride   stride along the axis
     * @param dilation dilation along the axis
     */
    static Pad along(String op, String autoPad, long[] pads, int axis, int spatial, int in, int kernel, int stride,
                     int dilation) {
        switch (autoPad) {
            case "NOTSET" -> {
                if (pads == null) {
                    return new Pad(0, 0);
                }
                if (pads.length != 2 * spatial) {
                    throw new OnnxFormatException(op + ": pads " + Arrays.toString(pads) + " must have " + 2 * spatial
                            + " values for " + spatial + " spatial axes");
                }
                long begin = pads[axis], end = pads[axis + spatial];
                if (begin < 0 || end < 0 || begin > Integer.MAX_VALUE || end > Integer.MAX_VALUE) {
                    throw new OnnxFormatException(op + ": pads " + Arrays.toString(pads) + " must be >= 0");
                }
                return new Pad((int) begin, (int) end);
            }
            case "VALID" -> {
                return new Pad(0, 0);
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                int out = Math.ceilDiv(in, stride);
                int extent = (kernel - 1) * dilation + 1;
                int total = Math.max(0, (out - 1) * stride + extent - in);
                int small = total / 2, large = total - small;
                return autoPad.equals("SAME_UPPER") ? new Pad(small, large) : new Pad(large, small);
            }
            default -> throw new OnnxFormatException(op + ": auto_pad '" + autoPad
                    + "' is none of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }
    }
}
