package org.inceptionj.gpu;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import jcuda.Pointer;
import jcuda.driver.CUstream;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.OptionalFeature;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Storage;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;

/**
 * The {@code cuda} backend: tensors in GPU memory, every op queued on one CUDA stream, through cuDNN
 * (convolutions, batch norm training and backward) and own PTX kernels (everything else; see
 * {@link PtxModules} and {@code src/main/cuda}). The context, stream, cuDNN handle and kernels are
 * the process's {@link CudaRuntime}; memory is this backend's {@link CachingAllocator}.
 *
 * <p>What each method uses:
 * <ul>
 *   <li>memory: {@link #allocate} = a block of the caching allocator + {@code cuMemsetD32Async};
 *       {@link #empty} = the block alone; {@link #write} / {@link #read} = {@code cuMemcpyHtoDAsync} /
 *       {@code cuMemcpyDtoHAsync} followed by {@code cuStreamSynchronize} (read is a synchronization
 *       point; MemorySegments go through a float[], the interface's default); {@link #copy} =
 *       {@code cuMemcpyDtoDAsync}; {@link #fill} = {@code cuMemsetD32Async} of the float's bits.</li>
 *   <li>{@link #fillRandom}: generated on the host with {@link RandomStream#sample} and uploaded: exact
 *       (the same floats as every backend) and only used to initialize parameters.</li>
 *   <li>cuDNN: {@link #conv2d} (+ {@code cudnnAddTensor} for the bias), {@link #conv2dBackwardData},
 *       {@link #conv2dBackwardWeight} ({@link Convolutions}), {@link #batchNormTraining} and
 *       {@link #batchNormBackward} ({@code CUDNN_BATCHNORM_SPATIAL}).</li>
 *   <li>own kernels: unary, binary (NumPy broadcasting), affine, clip, reduce, concat, slice, matmul,
 *       batch norm inference (and training when M = 1), pools and their backward, softmax and its
 *       backward, ReLU backward, dropout, softmax cross-entropy, sum of squares, and the optimizer
 *       updates ({@link TensorListUpdates}: one launch per list, gated on the device by the scale).</li>
 * </ul>
 *
 * <p>Switches: {@code -Dinceptionj.cuda.deterministic=false} lets cuDNN pick its fastest convolution
 * algorithms even when they are not deterministic (default true: only {@code CUDNN_DETERMINISTIC}
 * ones, so the same inputs give the same bits); {@code -Dinceptionj.cuda.tf32=true} allows TF32
 * tensor-core math in convolutions (default false: plain FP32); {@code -Dinceptionj.cuda.sync=true}
 * synchronizes after every kernel, so that a kernel fault is reported by the op that caused it
 * (debugging; slow).
 *
 * <p>Optional features left out ({@link #unsupported()}): asymmetric padding (cuDNN's convolution takes
 * one pad per axis), pooling dilation and ceil mode (kept out for parity with cuDNN pooling; the own
 * pooling kernels are written for the general geometry).
 *
 * <p>Not thread-safe: one thread at a time (any thread; the context is made current on it).
 *
 * <p><b>Written without a GPU: never run.</b> Compiled, kernels assembled with ptxas, descriptors
 * checked against cuDNN 9.24 on the CPU; the conformance suites run against it on a GPU host (the
 * GPU bundle).
 */
public final class CudaBackend implements Backend {
    public static final String DETERMINISTIC_PROPERTY = "inceptionj.cuda.deterministic";
    public static final String TF32_PROPERTY = "inceptionj.cuda.tf32";
    public static final String SYNC_PROPERTY = "inceptionj.cuda.sync";

    /** cuDNN's {@code CUDNN_BN_MIN_EPSILON}: batch norm training refuses a smaller epsilon. */
    static final double CUDNN_BN_MIN_EPSILON = 1e-5;
    private static final int THREADS = 256;
    private static final int MAX_BLOCKS = 1 << 20;   // grid-stride loops cover the rest
    private static final int MAX_RANK = 8;

    private final CudaRuntime runtime;
    private final CachingAllocator memory;
    private final Convolutions convolutions;
    private final boolean syncEach;
    private final AtomicLong liveBytes = new AtomicLong();
    private final TensorListUpdates lists;
    private volatile boolean closed;

    /** On the process's GPU 0; the switches from system properties (see the class comment). */
    public CudaBackend() {
        this(CudaRuntime.get(), new Cudnn.Numerics(
                Boolean.parseBoolean(System.getProperty(DETERMINISTIC_PROPERTY, "true")),
                Boolean.getBoolean(TF32_PROPERTY)), Boolean.getBoolean(SYNC_PROPERTY));
    }

    CudaBackend(CudaRuntime runtime, Cudnn.Numerics numerics, boolean syncEach) {
        this.runtime = runtime;
        this.memory = new CachingAllocator(new CudaDeviceMemory());
        this.convolutions = new Convolutions(runtime, memory, numerics);
        this.syncEach = syncEach;
        this.lists = new TensorListUpdates(this, memory);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return "cuda: " + runtime.device + ", driver CUDA " + runtime.driverVersion + ", cuDNN " + runtime.cudnnVersion
                + ", " + convolutions.numerics() + ", one stream";
    }

    @Override
    public Set<OptionalFeature> unsupported() {
        return EnumSet.of(OptionalFeature.ASYMMETRIC_PADDING, OptionalFeature.POOL_DILATION, OptionalFeature.CEIL_MODE);
    }

    /** The caching allocator's counters (bytes in use, cached, peak), for logs and leak checks. */
    public String memoryStats() {
        return memory.stats().toString();
    }

    CachingAllocator.Stats allocatorStats() {
        return memory.stats();
    }

    // ================================================================ memory

    /** A tensor's device memory: a block of the caching allocator (none for an empty tensor). */
    final class DeviceStorage implements Storage {
        final long ptr;
        final int floats;

        private DeviceStorage(int floats) {
            this.floats = floats;
            this.ptr = floats == 0 ? 0 : memory.alloc(4L * floats);
            liveBytes.addAndGet(byteSize());
        }

        @Override
        public long byteSize() {
            return 4L * floats;
        }

        @Override
        public void free() {
            liveBytes.addAndGet(-byteSize());
            if (ptr != 0 && !closed) {
                memory.free(ptr);   // back to the cache; later ops on the stream may reuse it safely
            }
        }
    }

    void enter() {
        if (closed) {
            throw new IllegalStateException("cuda backend is closed");
        }
        runtime.makeCurrent();
    }

    static long ptr(Tensor t) {
        return t.storage(DeviceStorage.class).ptr;
    }

    @Override
    public Tensor empty(Shape shape) {
        enter();
        return new Tensor(this, shape, new DeviceStorage(shape.size()));
    }

    @Override
    public Tensor allocate(Shape shape) {
        Tensor t = empty(shape);
        if (t.size() > 0) {
            CudaDriver.memsetD32(ptr(t), 0, t.size(), runtime.stream());
        }
        return t;
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        enter();
        if (dst.size() > 0) {
            CudaDriver.copyToDevice(ptr(dst), src, srcOffset, dst.size(), runtime.stream());
        }
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        enter();
        if (src.size() > 0) {
            CudaDriver.copyToHost(dst, dstOffset, ptr(src), src.size(), runtime.stream());
        } else {
            CudaDriver.synchronize(runtime.stream());
        }
    }

    @Override
    public void synchronize() {
        enter();
        CudaDriver.synchronize(runtime.stream());
    }

    @Override
    public void copy(Tensor out, Tensor x) {
        enter();
        if (x.size() > 0 && ptr(out) != ptr(x)) {
            CudaDriver.copyDeviceToDevice(ptr(out), ptr(x), 4L * x.size(), runtime.stream());
        }
    }

    CUstream stream() {
        return runtime.stream();
    }

    @Override
    public long liveBytes() {
        return liveBytes.get();
    }

    // ================================================================ fills

    @Override
    public void fill(Tensor out, float value) {
        enter();
        if (out.size() > 0) {
            CudaDriver.memsetD32(ptr(out), Float.floatToRawIntBits(value), out.size(), runtime.stream());
        }
    }

    /** Generated on the host and uploaded: the stream is the API's, so this is exact; it only initializes parameters. */
    @Override
    public void fillRandom(Tensor out, RandomStream.Distribution distribution, long seed, float a, float b) {
        float[] v = new float[out.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = RandomStream.sample(distribution, seed, i, a, b);
        }
        write(out, v, 0);
    }

    // ================================================================ kernel launches

    private static int blocks(long n) {
        return (int) Math.max(1, Math.min((n + THREADS - 1) / THREADS, MAX_BLOCKS));
    }

    /** A 1-D grid-stride launch over n elements (nothing when n = 0). */
    void launch(PtxModules module, String kernel, long n, KernelArgs args) {
        if (n > 0) {
            launch(module, kernel, blocks(n), THREADS, 0, args);
        }
    }

    void launch(PtxModules module, String kernel, int grid, int block, int shared, KernelArgs args) {
        CudaDriver.launch(runtime.function(module, kernel), kernel, grid, block, shared, runtime.stream(), args.build());
        afterLaunch(kernel);
    }

    private void afterLaunch(String kernel) {
        if (syncEach) {
            try {
                CudaDriver.synchronize(runtime.stream());
            } catch (GpuException e) {
                throw new GpuException(GpuException.Library.CUDA_DRIVER, e.status(), e.getMessage(),
                        "kernel " + kernel + " (-D" + SYNC_PROPERTY + "=true)");
            }
        }
    }

    // ================================================================ elementwise

    @Override
    public void unary(UnaryOp op, Tensor out, Tensor x) {
        enter();
        launch(PtxModules.ELEMENTWISE, "unary", out.size(),
                new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).i64(out.size()).i32(op.ordinal()));
    }

    @Override
    public void binary(BinaryOp op, Tensor out, Tensor a, Tensor b) {
        enter();
        int rank = out.shape().rank();
        checkRank("binary", out.shape());
        int[] dims = new int[MAX_RANK];
        int[] as = broadcastStrides(a.shape(), out.shape()), bs = broadcastStrides(b.shape(), out.shape());
        System.arraycopy(out.shape().dims(), 0, dims, 0, rank);
        int dense = (a.shape().equals(out.shape()) ? 1 : 0) | (b.shape().equals(out.shape()) ? 2 : 0);
        launch(PtxModules.ELEMENTWISE, "binary", out.size(), new KernelArgs().ptr(ptr(out)).ptr(ptr(a)).ptr(ptr(b))
                .i64(out.size()).i32(op.ordinal()).i32(rank).dims(dims).dims(as).dims(bs).i32(dense));
    }

    /**
     * The element strides of {@code in} read at the coordinates of {@code out} (NumPy broadcasting:
     * dims aligned at the right; an axis of extent 1, or missing, against a larger one gets stride 0).
     */
    static int[] broadcastStrides(Shape in, Shape out) {
        int[] s = new int[MAX_RANK];
        int[] own = in.strides();
        int shift = out.rank() - in.rank();
        for (int d = 0; d < out.rank(); d++) {
            int k = d - shift;
            s[d] = k < 0 || in.dim(k) == 1 && out.dim(d) != 1 ? 0 : own[k];
        }
        return s;
    }

    private static void checkRank(String op, Shape s) {
        if (s.rank() > MAX_RANK) {
            throw new IllegalArgumentException("cuda " + op + ": rank " + s.rank() + " of " + s + " is above the kernels' "
                    + MAX_RANK);
        }
    }

    @Override
    public void affine(Tensor out, Tensor x, float alpha, float beta) {
        enter();
        launch(PtxModules.ELEMENTWISE, "affine_kernel", out.size(),
                new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).i64(out.size()).f32(alpha).f32(beta));
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        enter();
        launch(PtxModules.ELEMENTWISE, "clip", out.size(),
                new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).i64(out.size()).f32(lo).f32(hi));
    }

    // ================================================================ reductions

    @Override
    public void reduce(ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis) {
        enter();
        checkRank("reduce", x.shape());
        if (out.size() == 0) {
            return;
        }
        if (x.size() == 0) {   // a reduced axis of extent 0: an empty sum is 0, an empty mean 0/0 (as the CPU)
            fill(out, op == ReduceOp.MEAN ? Float.NaN : 0f);
            return;
        }
        int rank = x.shape().rank(), mask = 0;
        long count = 1;
        int[] dims = new int[MAX_RANK];
        for (int d = 0; d < rank; d++) {
            dims[d] = x.shape().dim(d);
            if (reduceAxis[d]) {
                mask |= 1 << d;
                count *= dims[d];
            }
        }
        launch(PtxModules.REDUCE, "reduce_axes", out.size(), new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).i64(out.size())
                .i32(rank).dims(dims).i32(mask).i64(count).i32(op.ordinal()));
    }

    // ================================================================ layout

    @Override
    public void concat(Tensor out, Tensor[] parts, int axis) {
        enter();
        Shape s = out.shape();
        long rows = s.sizeBetween(0, axis), inner = s.sizeBetween(axis + 1, s.rank());
        long outRow = s.dim(axis) * inner, at = 0;
        for (Tensor p : parts) {
            long cols = p.shape().dim(axis) * inner;
            copyBlock(ptr(out), ptr(p), rows, cols, outRow, at, cols, 0);
            at += cols;
        }
    }

    @Override
    public void slice(Tensor out, Tensor x, int axis, int start) {
        enter();
        Shape s = x.shape();
        long rows = s.sizeBetween(0, axis), inner = s.sizeBetween(axis + 1, s.rank());
        long cols = out.shape().dim(axis) * inner;
        copyBlock(ptr(out), ptr(x), rows, cols, cols, 0, s.dim(axis) * inner, start * inner);
    }

    private void copyBlock(long dst, long src, long rows, long cols, long dstRow, long dstOff, long srcRow, long srcOff) {
        launch(PtxModules.LAYOUT, "copy_block", rows * cols, new KernelArgs().ptr(dst).ptr(src).i64(rows).i64(cols)
                .i64(dstRow).i64(dstOff).i64(srcRow).i64(srcOff));
    }

    // ================================================================ linear algebra

    @Override
    public void matmul(Tensor out, Tensor a, Tensor b, boolean transA, boolean transB) {
        enter();
        int m = out.shape().dim(0), n = out.shape().dim(1);
        int k = transA ? a.shape().dim(0) : a.shape().dim(1);
        if (m == 0 || n == 0) {
            return;
        }
        int tile = 16;
        CudaDriver.launch(runtime.function(PtxModules.MATMUL, "matmul"), "matmul", (n + tile - 1) / tile,
                (m + tile - 1) / tile, 1, tile, tile, 1, 0, runtime.stream(), new KernelArgs().ptr(ptr(out)).ptr(ptr(a))
                        .ptr(ptr(b)).i32(m).i32(n).i32(k).i32(transA ? 1 : 0).i32(transB ? 1 : 0).build());
        afterLaunch("matmul");
    }

    @Override
    public void conv2d(Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        enter();
        if (out.size() == 0) {
            return;
        }
        if (x.size() == 0 || w.size() == 0) {   // no terms: out = bias (or 0); cuDNN refuses zero extents
            fill(out, 0f);
            if (bias != null) {
                addBias(out, bias);
            }
            return;
        }
        convolutions.forward(ptr(out), ptr(x), x.shape(), ptr(w), w.shape(), bias == null ? 0 : ptr(bias), spec);
    }

    /** out[n,c,h,w] += bias[c], through the binary kernel (bias viewed as [1,C,1,1]). */
    private void addBias(Tensor out, Tensor bias) {
        Shape s = out.shape();
        int[] dims = new int[MAX_RANK];
        System.arraycopy(s.dims(), 0, dims, 0, 4);
        int[] bs = new int[MAX_RANK];
        bs[1] = 1;
        launch(PtxModules.ELEMENTWISE, "binary", out.size(), new KernelArgs().ptr(ptr(out)).ptr(ptr(out)).ptr(ptr(bias))
                .i64(out.size()).i32(BinaryOp.ADD.ordinal()).i32(4).dims(dims).dims(s.strides()).dims(bs).i32(1));
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec) {
        enter();
        if (dx.size() == 0) {
            return;
        }
        if (dy.size() == 0 || w.size() == 0) {
            fill(dx, 0f);
            return;
        }
        convolutions.backwardData(ptr(dx), dx.shape(), ptr(dy), ptr(w), w.shape(), spec);
    }

    @Override
    public void conv2dBackwardWeight(Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec) {
        enter();
        if (dw.size() == 0) {
            return;
        }
        if (dy.size() == 0 || x.size() == 0) {
            fill(dw, 0f);
            return;
        }
        convolutions.backwardFilter(ptr(dw), dw.shape(), ptr(dy), ptr(x), x.shape(), spec);
    }

    // ================================================================ batch norm

    /** x [N,C,...] as cuDNN's 4-D [N, C, spatial, 1]. */
    private static Cudnn.TensorDesc bnView(String name, Shape s) {
        return Cudnn.TensorDesc.nchw(name, s.dim(0), s.dim(1), s.sizeBetween(2, s.rank()), 1);
    }

    @Override
    public void batchNormInference(Tensor out, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, float eps) {
        enter();
        Shape s = x.shape();
        launch(PtxModules.ELEMENTWISE, "bn_inference", x.size(), new KernelArgs().ptr(ptr(out)).ptr(ptr(x))
                .ptr(ptr(gamma)).ptr(ptr(beta)).ptr(ptr(mean)).ptr(ptr(var)).i64(x.size()).i32(s.dim(1))
                .i64(s.sizeBetween(2, s.rank())).f32(eps));
    }

    /**
     * cuDNN's spatial batch norm. Its running variance is the contract's (unbiased, M/(M − 1)·σ², with
     * exponentialAverageFactor = momentum); for M = 1, where that is 0/0, an own kernel applies the
     * contract's rule (σ² taken as the unbiased variance). cuDNN refuses eps below
     * CUDNN_BN_MIN_EPSILON = 1e-5: such an eps is an error here. The float 1e-5f (9.99999975e-6) is
     * passed as 1e-5, a relative change of 2.5e-8 in eps.
     */
    @Override
    public void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
                                  Tensor runningMean, Tensor runningVar, float eps, float momentum) {
        enter();
        Shape s = x.shape();
        if (eps < (float) CUDNN_BN_MIN_EPSILON) {
            throw new IllegalArgumentException("cuda batchNormTraining: eps " + eps + " is below cuDNN's"
                    + " CUDNN_BN_MIN_EPSILON = 1e-5 (x " + s + "); use eps >= 1e-5");
        }
        if (x.size() == 0) {
            return;
        }
        long m = (long) s.dim(0) * s.sizeBetween(2, s.rank());
        if (m == 1) {
            launch(PtxModules.ELEMENTWISE, "bn_training_single", s.dim(1), new KernelArgs().ptr(ptr(out))
                    .ptr(ptr(saveMean)).ptr(ptr(saveInvStd)).ptr(ptr(x)).ptr(ptr(gamma)).ptr(ptr(beta))
                    .ptr(ptr(runningMean)).ptr(ptr(runningVar)).i32(s.dim(1)).f32(eps).f32(momentum));
            return;
        }
        try (Cudnn.TensorDesc xd = bnView("x", s); Cudnn.TensorDesc bn = Cudnn.batchNormParams(xd)) {
            Cudnn.batchNormForwardTraining(runtime.cudnn, xd, dev(x), xd, dev(out), bn, dev(gamma), dev(beta), momentum,
                    dev(runningMean), dev(runningVar), Math.max(eps, CUDNN_BN_MIN_EPSILON), dev(saveMean),
                    dev(saveInvStd));
        }
    }

    /**
     * cuDNN's spatial batch-norm backward from the saved mean and inverse standard deviation (so the
     * epsilon it takes, which the contract does not pass here, is not used: 1e-5 is given).
     */
    @Override
    public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                                  Tensor saveMean, Tensor saveInvStd) {
        enter();
        Shape s = x.shape();
        if (x.size() == 0) {
            fill(dgamma, 0f);
            fill(dbeta, 0f);
            return;
        }
        try (Cudnn.TensorDesc xd = bnView("x", s); Cudnn.TensorDesc bn = Cudnn.batchNormParams(xd)) {
            Cudnn.batchNormBackward(runtime.cudnn, xd, dev(x), xd, dev(dy), xd, dev(dx), bn, dev(gamma), dev(dgamma),
                    dev(dbeta), CUDNN_BN_MIN_EPSILON, dev(saveMean), dev(saveInvStd));
        }
    }

    private static CudaDriver.DevicePtr dev(Tensor t) {
        return CudaDriver.DevicePtr.of(ptr(t));
    }

    // ================================================================ pooling

    /** The kernels' {@code Pool} struct for x [N,C,H,W] and out [N,C,outH,outW]. */
    private static int[] pool(Shape x, Shape out, Pool2dSpec s) {
        return new int[] {x.dim(0) * x.dim(1), x.dim(2), x.dim(3), out.dim(2), out.dim(3), s.kernelH(), s.kernelW(),
                s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.padBottom(), s.padRight(), s.dilationH(),
                s.dilationW(), s.countIncludePad() ? 1 : 0};
    }

    @Override
    public void maxPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        enter();
        launch(PtxModules.POOL, "pool_forward", out.size(),
                new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).ints(pool(x.shape(), out.shape(), spec)).i32(1));
    }

    @Override
    public void avgPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        enter();
        launch(PtxModules.POOL, "pool_forward", out.size(),
                new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).ints(pool(x.shape(), out.shape(), spec)).i32(0));
    }

    /** Recomputes each window's winner from x (first maximum); y is not needed by this kernel. */
    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Pool2dSpec spec) {
        enter();
        launch(PtxModules.POOL, "pool_backward", dx.size(), new KernelArgs().ptr(ptr(dx)).ptr(ptr(dy)).ptr(ptr(x))
                .ints(pool(dx.shape(), dy.shape(), spec)).i32(1));
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dSpec spec) {
        enter();
        launch(PtxModules.POOL, "pool_backward", dx.size(), new KernelArgs().ptr(ptr(dx)).ptr(ptr(dy)).ptr(0)
                .ints(pool(dx.shape(), dy.shape(), spec)).i32(0));
    }

    // ================================================================ softmax

    @Override
    public void softmax(Tensor out, Tensor x, int axis, boolean log) {
        enter();
        Shape s = x.shape();
        int n = s.dim(axis);
        long inner = s.sizeBetween(axis + 1, s.rank()), lines = (long) s.sizeBetween(0, axis) * inner;
        if (n == 0) {
            return;
        }
        launch(PtxModules.SOFTMAX, "softmax_forward", lines, new KernelArgs().ptr(ptr(out)).ptr(ptr(x)).i64(lines)
                .i32(n).i64(inner).i32(log ? 1 : 0));
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis, boolean log) {
        enter();
        Shape s = y.shape();
        int n = s.dim(axis);
        long inner = s.sizeBetween(axis + 1, s.rank()), lines = (long) s.sizeBetween(0, axis) * inner;
        if (n == 0) {
            return;
        }
        launch(PtxModules.SOFTMAX, "softmax_backward", lines, new KernelArgs().ptr(ptr(dx)).ptr(ptr(dy)).ptr(ptr(y))
                .i64(lines).i32(n).i64(inner).i32(log ? 1 : 0));
    }

    // ================================================================ regularization and loss

    @Override
    public void dropout(Tensor out, Tensor mask, Tensor x, float p, long seed) {
        enter();
        float keep = 1f / (1f - p);
        launch(PtxModules.DROPOUT, "dropout_forward", x.size(), new KernelArgs().ptr(ptr(out)).ptr(ptr(mask))
                .ptr(ptr(x)).i64(x.size()).i64(seed).f32(p).f32(keep));
    }

    @Override
    public void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        enter();
        launch(PtxModules.ELEMENTWISE, "relu_backward", dx.size(),
                new KernelArgs().ptr(ptr(dx)).ptr(ptr(dy)).ptr(ptr(y)).i64(dx.size()));
    }

    /**
     * loss.cu: one block per row (forward and gradient), then the batch mean in row order. The labels
     * are uploaded for the call (a synchronizing copy from the Java array).
     */
    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor dlogits, Tensor logits, int[] labels, float epsilon,
                                    Tensor prior) {
        enter();
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        long rows = memory.alloc(8L * Math.max(1, n)), lab = memory.alloc(4L * Math.max(1, n));
        try {
            if (n > 0) {
                CudaDriver.copyToDevice(lab, Pointer.to(labels), 4L * n, runtime.stream(), "labels");
                launch(PtxModules.LOSS, "softmax_xent", n, THREADS, THREADS * 8, new KernelArgs().ptr(rows)
                        .ptr(dlogits == null ? 0 : ptr(dlogits)).ptr(ptr(logits)).ptr(lab)
                        .ptr(prior == null ? 0 : ptr(prior)).i32(n).i32(k).f32(epsilon));
            }
            launch(PtxModules.LOSS, "mean_rows", 1, 1, 0, new KernelArgs().ptr(ptr(loss)).ptr(rows).i32(n));
        } finally {
            memory.free(lab);
            memory.free(rows);
        }
    }

    // ================================================================ optimizer primitives: TensorListUpdates

    @Override
    public void sumOfSquares(Tensor out, Tensor[] xs) {
        enter();
        lists.sumOfSquares(out, xs);
    }

    @Override
    public void axpy(Tensor[] y, float alpha, Tensor[] x) {
        enter();
        lists.axpy(y, alpha, x);
    }

    @Override
    public void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                               boolean nesterov) {
        enter();
        lists.momentumUpdate(theta, acc, grad, scale, lr, mu, nesterov);
    }

    @Override
    public void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr,
                              float rho, float mu, float eps) {
        enter();
        lists.rmsPropUpdate(theta, ms, mom, grad, scale, lr, rho, mu, eps);
    }

    @Override
    public void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power, Tensor beta2Power,
                           Tensor scale, float lr, float beta1, float beta2, float eps) {
        enter();
        lists.adamUpdate(theta, m, v, grad, beta1Power, beta2Power, scale, lr, beta1, beta2, eps);
    }

    @Override
    public void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) {
        enter();
        lists.emaUpdate(shadow, theta, gate, decay);
    }

    // ================================================================ lifecycle

    /**
     * Waits for the stream, destroys the convolution descriptors and frees every device block of this
     * backend (cached and in use: tensors still open become unusable). The shared context, stream and
     * cuDNN handle stay for other backends of the process ({@link CudaRuntime}).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        runtime.makeCurrent();
        closed = true;
        try {
            CudaDriver.synchronize(runtime.stream());
        } finally {
            try {
                convolutions.close();
            } finally {
                lists.clear();
                memory.close();
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
