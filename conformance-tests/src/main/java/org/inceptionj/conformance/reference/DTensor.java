package org.inceptionj.conformance.reference;

import java.util.Arrays;

import org.inceptionj.api.Shape;

/**
 * A double-precision tensor for the references: a {@link Shape} and its row-major values. Nothing
 * more: the references are plain loops over {@link #data()}.
 *
 * @param shape the dimensions, outermost first (NCHW for images)
 * @param data  shape.size() values, row-major; the record does not copy it
 */
public record DTensor(Shape shape, double[] data) {

    public DTensor {
        if (shape == null || data == null) {
            throw new IllegalArgumentException("DTensor: shape and data must not be null");
        }
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("DTensor: shape " + shape + " needs " + shape.size()
                    + " values, got " + data.length);
        }
    }

    /** All zeros. */
    public static DTensor zeros(Shape shape) {
        return new DTensor(shape, new double[shape.size()]);
    }

    /** Every element equal to {@code value}. */
    public static DTensor full(Shape shape, double value) {
        double[] d = new double[shape.size()];
        Arrays.fill(d, value);
        return new DTensor(shape, d);
    }

    /** The exact double values of float32 data (every float is a double). */
    public static DTensor of(Shape shape, float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return new DTensor(shape, d);
    }

    /** Number of elements. */
    public int size() {
        return data.length;
    }

    /** The flat row-major position of a multi-index. */
    public int offset(int... index) {
        int o = 0;
        for (int a = 0; a < index.length; a++) {
            o = o * shape.dim(a) + index[a];   // Horner: Σ index[a]·stride[a]
        }
        return o;
    }

    public double get(int... index) {
        return data[offset(index)];
    }

    public void set(double value, int... index) {
        data[offset(index)] = value;
    }

    /** The multi-index of flat position {@code flat} in {@code shape}. */
    public static int[] unravel(Shape shape, int flat) {
        int[] idx = new int[shape.rank()];
        for (int a = shape.rank() - 1; a >= 0; a--) {
            int d = shape.dim(a);
            idx[a] = flat % d;
            flat /= d;
        }
        return idx;
    }

    /** |x| elementwise, a new tensor (the magnitudes that error bounds are stated in). */
    public DTensor abs() {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(data[i]);
        }
        return new DTensor(shape, d);
    }

    /** The same values under another shape of the same size. */
    public DTensor reshape(Shape newShape) {
        return new DTensor(newShape, data);
    }

    /** The values rounded to float32 (what is uploaded to a backend). */
    public float[] toFloats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return f;
    }

    @Override
    public String toString() {
        int n = Math.min(data.length, 8);
        return "DTensor" + shape + Arrays.toString(Arrays.copyOf(data, n)) + (n < data.length ? "..." : "");
    }
}
