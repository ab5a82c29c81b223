package org.inceptionj.gpu;

import java.util.ArrayList;
import java.util.List;

import jcuda.Pointer;

/**
 * The parameter list of one {@code cuLaunchKernel}: for each kernel parameter, in order, a host
 * pointer to its value (what the driver API's {@code kernelParams} is). Each method appends one
 * parameter of the C type it names; {@link #ints} passes a small struct of ints by value (the
 * kernels' {@code Dims} and {@code Pool}). The driver copies the values at launch, so the Java
 * arrays behind them may go away afterwards.
 */
final class KernelArgs {
    private final List<Pointer> params = new ArrayList<>();

    /** A device pointer ({@code float*}, {@code int*}, ...); 0 passes a null pointer. */
    KernelArgs ptr(long address) {
        params.add(Pointer.to(CudaDriver.DevicePtr.of(address)));
        return this;
    }

    /** {@code int}. */
    KernelArgs i32(int v) {
        params.add(Pointer.to(new int[] {v}));
        return this;
    }

    /** {@code long long}. */
    KernelArgs i64(long v) {
        params.add(Pointer.to(new long[] {v}));
        return this;
    }

    /** {@code float}. */
    KernelArgs f32(float v) {
        params.add(Pointer.to(new float[] {v}));
        return this;
    }

    /** {@code double}. */
    KernelArgs f64(double v) {
        params.add(Pointer.to(new double[] {v}));
        return this;
    }

    /** A struct of {@code v.length} ints, by value. */
    KernelArgs ints(int... v) {
        params.add(Pointer.to(v.clone()));
        return this;
    }

    /** The kernels' {@code Dims} struct: {@code int v[8]}, from up to 8 values (the rest 0). */
    KernelArgs dims(int... v) {
        if (v.length > 8) {
            throw new IllegalArgumentException("Dims holds 8 values, got " + v.length);
        }
        int[] d = new int[8];
        System.arraycopy(v, 0, d, 0, v.length);
        params.add(Pointer.to(d));
        return this;
    }

    Pointer build() {
        return Pointer.to(params.toArray(new Pointer[0]));
    }
}
