package org.inceptionj.gpu;

import java.util.HashMap;
import java.util.Map;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Shape;

/**
 * The cuDNN side of the {@code cuda} backend's convolutions: one {@link Plan} per (input shape,
 * weight shape, spec), holding the descriptors and, chosen on first use, the forward, backward-data
 * and backward-filter algorithms with their workspace sizes. A training step meets the same few
 * dozen shapes every step, so after the first step no descriptor is made and no heuristic is asked.
 *
 * <p>Algorithms: cuDNN's {@code _v7} heuristics, the first entry (they come fastest first) that
 * {@link Cudnn.Numerics} accepts (by default only {@code CUDNN_DETERMINISTIC} ones in FP32 FMA
 * math) and whose workspace is at most {@link #MAX_WORKSPACE}. The workspace comes from the
 * backend's caching allocator for the call and goes back after it (stream order makes the reuse
 * safe).
 *
 * <p>Descriptors and output-shape checks run without a GPU (tested); everything else <b>needs a GPU
 * and has never run</b>.
 */
final class Convolutions implements AutoCloseable {
    /** The largest workspace an algorithm may ask for. */
    static final long MAX_WORKSPACE = 1L << 30;

    record Key(Shape x, Shape w, Conv2dSpec spec) {
    }

    /**
     * The descriptors of one convolution geometry: x [N,Cin,H,W], w [Cout,Cin,kh,kw],
     * y [N,Cout,outH,outW], bias [1,Cout,1,1].
     */
    static final class Plan implements AutoCloseable {
        final Cudnn.TensorDesc x, y, bias;
        final Cudnn.FilterDesc w;
        final Cudnn.ConvDesc conv;
        Cudnn.Algo forward, backwardData, backwardFilter;

        /**
         * Makes the descriptors and checks that cuDNN's output shape is the contract's
         * ({@link Conv2dSpec#outH}, {@link Conv2dSpec#outW}). No handle, no GPU.
         */
        Plan(Shape xs, Shape ws, Conv2dSpec spec, boolean tf32) {
            Cudnn.TensorDesc xd = null, yd = null, bd = null;
            Cudnn.FilterDesc wd = null;
            Cudnn.ConvDesc cd = null;
            try {
                int n = xs.dim(0), cin = xs.dim(1), h = xs.dim(2), wi = xs.dim(3);
                int cout = ws.dim(0), kh = ws.dim(2), kw = ws.dim(3);
                int oh = spec.outH(h, kh), ow = spec.outW(wi, kw);
                xd = Cudnn.TensorDesc.nchw("x", n, cin, h, wi);
                wd = new Cudnn.FilterDesc("w", cout, ws.dim(1), kh, kw);
                cd = new Cudnn.ConvDesc(spec, tf32);
                int[] dims = Cudnn.convOutputDim(cd, xd, wd);
                if (dims[0] != n || dims[1] != cout || dims[2] != oh || dims[3] != ow) {
                    throw new IllegalStateException("cuda conv2d: cuDNN's output shape [" + dims[0] + "," + dims[1] + ","
                            + dims[2] + "," + dims[3] + "] differs from the contract's [" + n + "," + cout + "," + oh + ","
                            + ow + "] for x " + xs + ", w " + ws + ", " + spec);
                }
                yd = Cudnn.TensorDesc.nchw("y", n, cout, oh, ow);
                bd = Cudnn.TensorDesc.nchw("bias", 1, cout, 1, 1);
            } catch (RuntimeException e) {
                for (AutoCloseable c : new AutoCloseable[] {bd, yd, cd, wd, xd}) {
                    closeQuietly(c, e);
                }
                throw e;
            }
            this.x = xd;
            this.w = wd;
            this.conv = cd;
            this.y = yd;
            this.bias = bd;
        }

        @Override
        public void close() {
            bias.close();
            y.close();
            conv.close();
            w.close();
            x.close();
        }

        @Override
        public String toString() {
            return x + ", " + w + ", " + conv + " -> " + y;
        }
    }

    private static void closeQuietly(AutoCloseable c, RuntimeException into) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                into.addSuppressed(e);
            }
        }
    }

    private final CudaRuntime runtime;
    private final CachingAllocator memory;
    private final Cudnn.Numerics numerics;
    private final Map<Key, Plan> plans = new HashMap<>();

    Convolutions(CudaRuntime runtime, CachingAllocator memory, Cudnn.Numerics numerics) {
        this.runtime = runtime;
        this.memory = memory;
        this.numerics = numerics;
    }

    Cudnn.Numerics numerics() {
        return numerics;
    }

    private Plan plan(Shape x, Shape w, Conv2dSpec spec) {
        return plans.computeIfAbsent(new Key(x, w, spec), k -> new Plan(k.x(), k.w(), k.spec(), numerics.tf32()));
    }

    /** y = conv(x, w) (+ bias broadcast over [1,Cout,1,1] by {@code cudnnAddTensor}); y overwritten. */
    void forward(long y, long x, Shape xs, long w, Shape ws, long bias, Conv2dSpec spec) {
        Plan p = plan(xs, ws, spec);
        if (p.forward == null) {
            p.forward = Cudnn.forwardAlgorithm(runtime.cudnn, p.x, p.w, p.conv, p.y, MAX_WORKSPACE, numerics);
        }
        long work = workspace(p.forward);
        try {
            Cudnn.convolutionForward(runtime.cudnn, 1f, p.x, dev(x), p.w, dev(w), p.conv, p.forward, dev(work), 0f, p.y,
                    dev(y));
        } finally {
            release(work);
        }
        if (bias != 0) {
            Cudnn.addTensor(runtime.cudnn, 1f, p.bias, dev(bias), 1f, p.y, dev(y));
        }
    }

    /** dx = the transposed convolution of dy with w; dx (of shape xs) overwritten. */
    void backwardData(long dx, Shape xs, long dy, long w, Shape ws, Conv2dSpec spec) {
        Plan p = plan(xs, ws, spec);
        if (p.backwardData == null) {
            p.backwardData = Cudnn.backwardDataAlgorithm(runtime.cudnn, p.w, p.y, p.conv, p.x, MAX_WORKSPACE, numerics);
        }
        long work = workspace(p.backwardData);
        try {
            Cudnn.convolutionBackwardData(runtime.cudnn, 1f, p.w, dev(w), p.y, dev(dy), p.conv, p.backwardData, dev(work),
                    0f, p.x, dev(dx));
        } finally {
            release(work);
        }
    }

    /** dw = Σ_{n,oh,ow} dy·x (the weight gradient); dw (of shape ws) overwritten. */
    void backwardFilter(long dw, Shape ws, long dy, long x, Shape xs, Conv2dSpec spec) {
        Plan p = plan(xs, ws, spec);
        if (p.backwardFilter == null) {
            p.backwardFilter = Cudnn.backwardFilterAlgorithm(runtime.cudnn, p.x, p.y, p.conv, p.w, MAX_WORKSPACE,
                    numerics);
        }
        long work = workspace(p.backwardFilter);
        try {
            Cudnn.convolutionBackwardFilter(runtime.cudnn, 1f, p.x, dev(x), p.y, dev(dy), p.conv, p.backwardFilter,
                    dev(work), 0f, p.w, dev(dw));
        } finally {
            release(work);
        }
    }

    private long workspace(Cudnn.Algo algo) {
        return algo.workspaceBytes() == 0 ? 0 : memory.alloc(algo.workspaceBytes());
    }

    private void release(long work) {
        if (work != 0) {
            memory.free(work);
        }
    }

    private static CudaDriver.DevicePtr dev(long address) {
        return CudaDriver.DevicePtr.of(address);
    }

    /** Destroys every plan's descriptors. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (Plan p : plans.values()) {
            try {
                p.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        plans.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
