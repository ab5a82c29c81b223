package org.inceptionj.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;

/**
 * The CPU backend: the oracle for every other backend. Each op lives in its own file with a plain
 * loop that reads like the formula and, beside it, the Java Vector API kernel; {@link CpuConfig}
 * selects which one runs ({@code -Dinceptionj.cpu.vector=false} runs everything plain). This
 * class only dispatches.
 */
public final class CpuBackend implements Backend {
    private final CpuConfig config;
    private final Parallel parallel;
    /** Null when {@link CpuConfig#readAhead} is off. */
    private final ReadAhead readAhead;
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong peakLiveBytes = new AtomicLong();
    private final ArrayCache cache;
    private volatile boolean closed;

    public CpuBackend(CpuConfig config) {
        this.config = config;
        this.readAhead = config.readAhead() && config.threads() > 1 ? new ReadAhead(config.threads()) : null;
        this.parallel = new Parallel(config.threads(), readAhead);
        this.cache = new ArrayCache(config.cacheBytes());
    }

    /** Configured from system properties; see {@link CpuConfig#fromSystemProperties()}. */
    public CpuBackend() {
        this(CpuConfig.fromSystemProperties());
    }

    public CpuConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String describe() {
        return "cpu: " + config.threads() + " thread(s), "
                + (config.vectorized() ? "Vector API " + Vectors.F.vectorBitSize() + "-bit (" + Vectors.F.length()
                + " floats)" : "plain scalar loops (-D" + CpuConfig.VECTOR_PROPERTY + "=false)");
    }

    // ---------------------------------------------------------------- plumbing for the op files

    Parallel parallel() {
        return parallel;
    }

    boolean vectorized() {
        return config.vectorized();
    }

    /** The array behind a tensor of this backend. */
    static float[] data(Tensor t) {
        CpuStorage s = t.storage(CpuStorage.class);
        float[] a = s.array();
        s.version++;   // the caller may write: copies derived from the data are stale (CpuStorage#version)
        return a;
    }

    /** t's data for reading only: unlike {@link #data} it leaves copies derived from it ({@link CpuStorage#version}) valid. */
    static float[] read(Tensor t) {
        return t.storage(CpuStorage.class).array();
    }

    /** t [N, C, H, W]'s values channel-blocked, if the op that wrote t left them so ({@link BlockedActivations}); else null. */
    static float[] blockedView(Tensor t) {
        Shape s = t.shape();
        return s.rank() == 4 ? t.storage(CpuStorage.class).blockedView(s.dim(0), s.dim(1), s.dim(2) * s.dim(3)) : null;
    }

    /** An array to write t [N, C, H, W]'s values into, channel-blocked ({@link BlockedActivations}). */
    static float[] writeBlocked(Tensor t) {
        Shape s = t.shape();
        return t.storage(CpuStorage.class).writeBlocked(s.dim(0), s.dim(1), s.dim(2) * s.dim(3));
    }

    /** w's storage's data packed for {@link Conv2dBlocked}, packed again only when it may have changed. */
    static float[] blockedWeights(Tensor w, Conv2d.Geometry g) {
        return w.storage(CpuStorage.class).blockedWeights(g);
    }

    /** w's storage's data transformed for {@link Conv2dWinograd}, made again only when it may have changed. */
    static float[] winogradWeights(Tensor w, Conv2d.Geometry g) {
        return w.storage(CpuStorage.class).winogradWeights(g);
    }

    /**
     * {@link #blockedWeights} (or, where winograd, {@link #winogradWeights}) for a convolution of the inference
     * forward, noted for {@link ReadAhead}. Only the inference forward reads ahead: in a training step at 299 × 299,
     * batch 8, it ran 0.99× (its activations, not its weights, fill the caches there).
     */
    static float[] inferenceWeights(Tensor w, Conv2d.Geometry g, boolean winograd) {
        CpuStorage s = w.storage(CpuStorage.class);
        float[] packed = winograd ? s.winogradWeights(g) : s.blockedWeights(g);
        ReadAhead r = s.owner().readAhead;
        if (r != null) {
            r.used(s, packed, winograd);
        }
        return packed;
    }

    /** A convolution's main loop starts: idle threads read the next one's weights ({@link ReadAhead#post}). */
    void postReadAhead() {
        if (readAhead != null) {
            readAhead.post();
        }
    }

    /** The backend's read-ahead, or null when off (for tests). */
    ReadAhead readAhead() {
        return readAhead;
    }

    ArrayCache cache() {
        return cache;
    }

    /** Bytes of freed tensors kept for reuse (see {@link ArrayCache}); not part of {@link #liveBytes()}. */
    public long cachedBytes() {
        return cache.cachedBytes();
    }

    void account(long bytes) {
        long now = liveBytes.addAndGet(bytes);
        if (bytes > 0) {
            peakLiveBytes.accumulateAndGet(now, Math::max);
        }
    }

    /**
     * The most bytes tensors of this backend held at one time since it was made or since the last
     * {@link #resetPeakLiveBytes()}: the memory a pass needs, without the garbage the Java heap also
     * holds until it collects (so a step's heap requirement is about this plus {@link #cachedBytes()}).
     */
    public long peakLiveBytes() {
        return peakLiveBytes.get();
    }

    /** Starts a new peak at the bytes live now. */
    public void resetPeakLiveBytes() {
        peakLiveBytes.set(liveBytes.get());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("cpu backend is closed");
        }
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor allocate(Shape shape) {
        checkOpen();
        return new Tensor(this, shape, new CpuStorage(this, shape.size(), true));
    }

    /** Skips the fill when a recycled array is reused (a fresh Java array is zero anyway). */
    @Override
    public Tensor empty(Shape shape) {
        checkOpen();
        return new Tensor(this, shape, new CpuStorage(this, shape.size(), false));
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, data(dst), 0, dst.size());
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset) {
        System.arraycopy(data(src), 0, dst, dstOffset, src.size());
    }

    @Override
    public void write(Tensor dst, MemorySegment src) {
        MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, data(dst), 0, dst.size());
    }

    @Override
    public void read(Tensor src, MemorySegment dst) {
        MemorySegment.copy(data(src), 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, src.size());
    }

    @Override
    public void copy(Tensor out, Tensor x) {
        System.arraycopy(data(x), 0, data(out), 0, x.size());
    }

    @Override
    public long liveBytes() {
        return liveBytes.get();
    }

    // ---------------------------------------------------------------- ops: one file each

    @Override
    public void fill(Tensor out, float value) {
        Fills.fill(this, out, value);
    }

    @Override
    public void fillRandom(Tensor out, RandomStream.Distribution distribution, long seed, float a, float b) {
        Fills.fillRandom(this, out, distribution, seed, a, b);
    }

    @Override
    public void unary(UnaryOp op, Tensor out, Tensor x) {
        Elementwise.unary(this, op, out, x);
    }

    @Override
    public void binary(BinaryOp op, Tensor out, Tensor a, Tensor b) {
        Elementwise.binary(this, op, out, a, b);
    }

    @Override
    public void affine(Tensor out, Tensor x, float alpha, float beta) {
        Elementwise.affine(this, out, x, alpha, beta);
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        Elementwise.clip(this, out, x, lo, hi);
    }

    @Override
    public void reduce(ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis) {
        Reduce.reduce(this, op, out, x, reduceAxis);
    }

    @Override
    public void concat(Tensor out, Tensor[] parts, int axis) {
        Layout.concat(this, out, parts, axis);
    }

    @Override
    public void slice(Tensor out, Tensor x, int axis, int start) {
        Layout.slice(this, out, x, axis, start);
    }

    @Override
    public void matmul(Tensor out, Tensor a, Tensor b, boolean transA, boolean transB) {
        MatMul.matmul(this, out, a, b, transA, transB);
    }

    @Override
    public void conv2d(Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Conv2d.forward(this, out, x, w, bias, spec);
    }

    /** Vectorized: one pass, normalized and rectified tile by tile in the GEMM; plain: the three ops in turn. */
    @Override
    public void conv2dBatchNormInference(Tensor out, Tensor x, Tensor w, Tensor gamma, Tensor beta, Tensor mean,
                                         Tensor var, float eps, Conv2dSpec spec, boolean relu) {
        if (!vectorized()) {
            Backend.super.conv2dBatchNormInference(out, x, w, gamma, beta, mean, var, eps, spec, relu);
            return;
        }
        Conv2d.forwardBatchNorm(this, out, x, w, spec,
                BatchNormEpilogue.of(data(gamma), data(beta), data(mean), data(var), eps, relu));
    }

    @Override
    public void avgPool2dConv2dBatchNormInference(Tensor out, Tensor x, Tensor w, Tensor gamma, Tensor beta,
                                                  Tensor mean, Tensor var, float eps, Pool2dSpec pool,
                                                  Conv2dSpec spec, boolean relu) {
        if (!vectorized() || !BranchPool.applies(this, x, w, pool, spec)) {
            Backend.super.avgPool2dConv2dBatchNormInference(out, x, w, gamma, beta, mean, var, eps, pool, spec, relu);
            return;
        }
        // The 1×1 first, then the average over its fewer channels (see BranchPool).
        BranchPool.forward(this, out, x, w,
                BatchNormEpilogue.of(data(gamma), data(beta), data(mean), data(var), eps, relu), pool, spec);
    }

    @Override
    public void batchNormInference(Tensor out, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
                                   float eps) {
        BatchNorm.inference(this, out, x, gamma, beta, mean, var, eps);
    }

    @Override
    public void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                                  Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum) {
        BatchNorm.training(this, out, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, eps, momentum);
    }

    @Override
    public void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                                  Tensor beta, Tensor runningMean, Tensor runningVar, float eps, float momentum,
                                  boolean relu) {
        // The ReLU on each channel's output as soon as it is written (the bits of the two calls).
        BatchNorm.training(this, out, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, eps, momentum,
                relu);
    }

    @Override
    public void maxPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        Pooling.max(this, out, x, spec);
    }

    @Override
    public void avgPool2d(Tensor out, Tensor x, Pool2dSpec spec) {
        Pooling.average(this, out, x, spec);
    }

    @Override
    public void softmax(Tensor out, Tensor x, int axis, boolean log) {
        Softmax.forward(this, out, x, axis, log);
    }

    @Override
    public void dropout(Tensor out, Tensor mask, Tensor x, float p, long seed) {
        Dropout.forward(this, out, mask, x, p, seed);
    }

    // ---------------------------------------------------------------- backward primitives

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec) {
        Conv2dBackward.data(this, dx, dy, w, spec);
    }

    @Override
    public void conv2dBackwardWeight(Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec) {
        Conv2dBackward.weight(this, dw, dy, x, spec);
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                                  Tensor saveMean, Tensor saveInvStd) {
        BatchNorm.backward(this, dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd);
    }

    @Override
    public void batchNormReluBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y, Tensor x,
                                      Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        // dy masked into dx channel by channel and read back from cache (the bits of the two calls).
        BatchNorm.backward(this, dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd);
    }

    @Override
    public void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        Elementwise.reluBackward(this, dx, dy, y);
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Pool2dSpec spec) {
        Pooling.maxBackward(this, dx, dy, x, spec);   // finds each window's winner again; y is for cuDNN
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dSpec spec) {
        Pooling.averageBackward(this, dx, dy, spec);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis, boolean log) {
        Softmax.backward(this, dx, dy, y, axis, log);
    }

    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor dlogits, Tensor logits, int[] labels, float epsilon,
                                    Tensor prior) {
        CrossEntropy.forwardBackward(this, loss, dlogits, logits, labels, epsilon, prior);
    }

    // ---------------------------------------------------------------- optimizer primitives

    @Override
    public void sumOfSquares(Tensor out, Tensor[] xs) {
        SumOfSquares.sumOfSquares(this, out, xs);
    }

    @Override
    public void axpy(Tensor[] y, float alpha, Tensor[] x) {
        Axpy.axpy(this, y, alpha, x);
    }

    @Override
    public void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                               boolean nesterov) {
        MomentumUpdate.update(this, theta, acc, grad, scale, lr, mu, nesterov);
    }

    @Override
    public void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr,
                              float rho, float mu, float eps) {
        RmsPropUpdate.update(this, theta, ms, mom, grad, scale, lr, rho, mu, eps);
    }

    @Override
    public void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power, Tensor beta2Power,
                           Tensor scale, float lr, float beta1, float beta2, float eps) {
        AdamUpdate.update(this, theta, m, v, grad, beta1Power, beta2Power, scale, lr, beta1, beta2, eps);
    }

    @Override
    public void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) {
        EmaUpdate.update(this, shadow, theta, gate, decay);
    }

    @Override
    public void close() {
        closed = true;
        parallel.close();
        if (readAhead != null) {
            readAhead.clear();
        }
        cache.clear();
    }

    @Override
    public String toString() {
        return describe();
    }
}
