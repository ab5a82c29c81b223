package org.inceptionj.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;

/**
 * The contract of a compute backend: the complete, closed list of primitives that InceptionJ's
 * model, loss and optimizer are built from. A new backend implements these and nothing else;
 * the conformance kit ({@code inceptionj-conformance-tests}) checks every one of them.
 *
 * <p>Conventions, for every method:
 * <ul>
 *   <li>Outputs come first in the argument list and are fully <b>overwritten</b> (never
 *       accumulated into) unless the method says otherwise.</li>
 *   <li>All tensors are float32, dense, row-major; images are NCHW.</li>
 *   <li>Arguments were validated by {@link Ops} (shapes agree, tensors open and of this backend,
 *       output shapes as documented there). A backend may assume this; {@link Ops} is the public
 *       entry point, these are the primitives beneath it.</li>
 *   <li>An output never aliases an input unless the method says it may.</li>
 *   <li>Results must be deterministic for a fixed configuration (same inputs, same thread count:
 *       same bits).</li>
 * </ul>
 * Tolerances that the conformance kit allows against double-precision references are documented
 * there, per op.
 *
 * <p><b>Tensors and storage of one's own.</b> {@link Ops} runs every op on the backend that owns
 * its input ({@link Tensor#backend()}), so {@link #allocate} must return tensors that name this
 * backend as their owner and hold memory of its own: a {@link Storage} that its kernels read back
 * with {@link Tensor#storage(Class)}. A backend that handed out another backend's tensors (say, one
 * that wraps {@code CpuBackend} and returns the CPU's tensors) would never be called by {@link Ops}
 * at all; the conformance kit fails it on its first output. A backend built on top of another one
 * wraps the other's tensors in a storage of its own.
 * <pre>{@code
 * public final class MyBackend implements Backend {
 *     private final AtomicLong live = new AtomicLong();
 *
 *     // This backend's memory behind one tensor; Tensor.close() calls free() once.
 *     final class Buffer implements Storage {
 *         final float[] data;
 *         Buffer(int n) { data = new float[n]; live.addAndGet(byteSize()); }
 *         public long byteSize() { return 4L * data.length; }
 *         public void free() { live.addAndGet(-byteSize()); }
 *     }
 *
 *     public Tensor allocate(Shape shape) {
 *         return new Tensor(this, shape, new Buffer(shape.size()));   // owned by this backend
 *     }
 *
 *     public long liveBytes() { return live.get(); }
 *
 *     public void affine(Tensor out, Tensor x, float alpha, float beta) {
 *         float[] o = out.storage(Buffer.class).data, v = x.storage(Buffer.class).data;
 *         for (int i = 0; i < o.length; i++) {
 *             o[i] = alpha * v[i] + beta;
 *         }
 *     }
 *     // ... every other method of this interface
 * }
 * }</pre>
 *
 * <p><b>What a backend may leave out</b>: exactly the {@link OptionalFeature}s (asymmetric padding,
 * pooling dilation, ceil mode), which Inception-v3 does not use and some libraries lack (cuDNN's
 * convolution and pooling take one padding per axis, its pooling has neither dilation nor ceil
 * mode). A backend declares them in {@link #unsupported()}; {@link Ops} then refuses a call that needs
 * one with an {@link UnsupportedOperationException} naming the op, the feature and the backend, and
 * the conformance kit reports each declared feature as a named skip (its properties draw no case
 * that needs it, the ONNX node tests that need it are skipped with that reason) instead of a silent
 * pass. Everything else in this interface is required, and checked.
 */
public interface Backend extends AutoCloseable {

    /** The name it is selected by, e.g. {@code cpu}. */
    String name();

    /** One line on how it is configured (threads, vector width, device), for logs and the CLI. */
    String describe();

    /**
     * The optional features this backend does not implement (see the class comment); none by default.
     * {@link Ops} refuses calls that need one of them, before they reach the backend.
     */
    default Set<OptionalFeature> unsupported() {
        return Set.of();
    }

    // ---------------------------------------------------------------- memory

    /** A new zero-filled tensor, owned by the current {@link TensorScope} if any. */
    Tensor allocate(Shape shape);

    /**
     * A new tensor whose elements are unspecified (they may hold what a closed tensor left behind),
     * owned by the current {@link TensorScope} if any: {@code torch.empty}. {@link Ops} allocates
     * every op output this way, since each op overwrites its outputs entirely (see the conventions
     * above), so a backend need not pay for a fill it would overwrite at once (a memset kernel on a
     * GPU, a pass over memory on a CPU). The conformance kit hands ops outputs full of NaN to check
     * that they are overwritten. The default is {@link #allocate}, which is always correct.
     */
    default Tensor empty(Shape shape) {
        return allocate(shape);
    }

    /** dst[i] = src[srcOffset + i] for i in [0, dst.size()). */
    void write(Tensor dst, float[] src, int srcOffset);

    /**
     * dst[dstOffset + i] = src[i] for i in [0, src.size()). A read is a synchronization point: it
     * returns only after every op issued before it has completed, so its values are final (a
     * backend that queues work, as a GPU stream does, waits here).
     */
    void read(Tensor src, float[] dst, int dstOffset);

    /**
     * dst[i] = the float at byte offset 4·i of {@code src}, for i in [0, dst.size()): an upload from
     * memory outside the Java heap (a memory-mapped file, a direct or pinned buffer, memory a native
     * library filled) without a copy into a {@code float[]} first. Floats are in the platform's
     * byte order ({@link ValueLayout#JAVA_FLOAT}, any alignment); {@link Ops#write} checks that
     * src holds exactly dst.size() floats and is open. The default goes through a Java array.
     */
    default void write(Tensor dst, MemorySegment src) {
        write(dst, src.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED), 0);
    }

    /**
     * The float at byte offset 4·i of {@code dst} = src[i], for i in [0, src.size()), in the
     * platform's byte order: a download into memory outside the Java heap. A synchronization
     * point, like {@link #read(Tensor, float[], int)}. {@link Ops#read} checks that dst has room for
     * exactly src.size() floats and is writable. The default goes through a Java array.
     */
    default void read(Tensor src, MemorySegment dst) {
        float[] a = new float[src.size()];
        read(src, a, 0);
        MemorySegment.copy(a, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, a.length);
    }

    /**
     * Waits until every op issued so far has completed. Ops may run asynchronously (a GPU backend
     * queues them on a stream and returns at once), so code that measures time calls this before it
     * stops the clock; {@link #read} synchronizes by itself. The CPU backend runs every op to
     * completion before returning, so the default does nothing.
     */
    default void synchronize() {
    }

    /** out[i] = x[i]; same element count, shapes may differ (a reshape). */
    void copy(Tensor out, Tensor x);

    /** Bytes held by tensors of this backend that are not yet closed (for leak checks). */
    long liveBytes();

    // ---------------------------------------------------------------- fills

    /** out[i] = value. */
    void fill(Tensor out, float value);

    /**
     * Seeded random fill: out[i] = {@link RandomStream#uniform}, {@link RandomStream#normal} or
     * {@link RandomStream#truncatedNormal} of (seed, i), mapped to the distribution's parameters.
     * The stream is defined by the API, so every backend produces the same numbers.
     *
     * @param a lower bound (uniform) or mean (normal, truncated normal)
     * @param b upper bound (uniform) or standard deviation (normal, truncated normal: cut at ±2σ)
     */
    void fillRandom(Tensor out, RandomStream.Distribution distribution, long seed, float a, float b);

    // ---------------------------------------------------------------- elementwise

    /** out = f(x). out may alias x. */
    void unary(UnaryOp op, Tensor out, Tensor x);

    /** out = f(a, b) with NumPy broadcasting of a and b to out's shape. out may alias a (not b unless same shape). */
    void binary(BinaryOp op, Tensor out, Tensor a, Tensor b);

    /** out = alpha·x + beta. out may alias x. */
    void affine(Tensor out, Tensor x, float alpha, float beta);

    /** out = min(max(x, lo), hi). out may alias x. */
    void clip(Tensor out, Tensor x, float lo, float hi);

    // ---------------------------------------------------------------- reductions

    /**
     * Reduces x over the axes flagged in {@code reduceAxis} (length = rank of x). out holds the
     * keepdims layout (x's shape with each reduced axis set to 1); its declared shape may drop those
     * axes, which moves no element. MEAN divides by the number of reduced elements.
     */
    void reduce(ReduceOp op, Tensor out, Tensor x, boolean[] reduceAxis);

    // ---------------------------------------------------------------- layout

    /** Concatenates parts along {@code axis} into out, in order. */
    void concat(Tensor out, Tensor[] parts, int axis);

    /** out = x[..., start : start + out.dim(axis), ...] along {@code axis} (a split is several slices). */
    void slice(Tensor out, Tensor x, int axis, int start);

    // ---------------------------------------------------------------- linear algebra

    /**
     * out[M,N] = op(a)·op(b), where op(a) is a[M,K] or, with transA, the transpose of a[K,M];
     * op(b) is b[K,N] or, with transB, the transpose of b[N,K].
     */
    void matmul(Tensor out, Tensor a, Tensor b, boolean transA, boolean transB);

    /**
     * 2-D cross-correlation: out[n,co,oh,ow] = bias[co] + Σ_{ci,i,j} x[n,ci,ih,iw]·w[co,ci,i,j]
     * with ih = oh·sH − padTop + i·dH, iw = ow·sW − padLeft + j·dW; cells outside x are zero.
     * x [N,Cin,H,W], w [Cout,Cin,kh,kw], bias [Cout] or null, out [N,Cout,outH,outW].
     */
    void conv2d(Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec);

    /**
     * The inference block of a convolution followed by batch norm with given statistics and, when
     * {@code relu}, a ReLU: out = act(gamma[c]·(conv2d(x, w)[n,c,..] − mean[c]) / √(var[c] + eps) + beta[c])
     * with act = max(·, 0) or the identity; the convolution has no bias. x, w and out as in
     * {@link #conv2d}, gamma, beta, mean and var [Cout].
     *
     * <p>The default runs {@link #conv2d}, {@link #batchNormInference} and {@link #unary} RELU on
     * temporaries of its own. A backend overrides it to apply the normalization and the ReLU to each
     * output tile while it is still in registers (the CPU backend does; its result is bit for bit that of
     * the three calls), saving two passes over the output.
     */
    default void conv2dBatchNormInference(Tensor out, Tensor x, Tensor w, Tensor gamma, Tensor beta,
                                          Tensor mean, Tensor var, float eps, Conv2dSpec spec, boolean relu) {
        try (Tensor conv = empty(out.shape())) {
            conv2d(conv, x, w, null, spec);
            if (!relu) {
                batchNormInference(out, conv, gamma, beta, mean, var, eps);
                return;
            }
            try (Tensor normalized = empty(out.shape())) {
                batchNormInference(normalized, conv, gamma, beta, mean, var, eps);
                unary(UnaryOp.RELU, out, normalized);
            }
        }
    }

    /**
     * An average pool followed by the inference block: out = {@link #conv2dBatchNormInference} of
     * {@link #avgPool2d}(x, pool) with w, the statistics, eps, spec and relu, the branch pools of Inception's
     * modules (a 3×3 average at stride 1, then a 1×1). x is [N,C,H,W]; w, gamma, beta, mean, var and out are as
     * in {@link #conv2dBatchNormInference} for the pooled input.
     *
     * <p>The default runs {@link #avgPool2d} into a temporary of its own and {@link #conv2dBatchNormInference}.
     * A backend may take the two in the other order where the convolution is a 1×1 at stride 1 without padding:
     * an average is, at each position, the same weighted sum of neighbouring positions for every channel (its
     * divisor depends on the position only), and such a 1×1 the same weighted sum of channels at every position,
     * so conv(pool(x)) = pool(conv(x)) up to rounding, and the pool then averages the convolution's Cout
     * channels instead of x's C (Inception's Mixed_6 branch pools: 192 instead of 768). The batch norm and the
     * ReLU, which do not commute with the average, come last either way.
     */
    default void avgPool2dConv2dBatchNormInference(Tensor out, Tensor x, Tensor w, Tensor gamma, Tensor beta,
                                                   Tensor mean, Tensor var, float eps, Pool2dSpec pool,
                                                   Conv2dSpec spec, boolean relu) {
        Shape xs = x.shape();
        try (Tensor pooled = empty(Shape.of(xs.dim(0), xs.dim(1), pool.outH(xs.dim(2)), pool.outW(xs.dim(3))))) {
            avgPool2d(pooled, x, pool);
            conv2dBatchNormInference(out, pooled, w, gamma, beta, mean, var, eps, spec, relu);
        }
    }

    // ---------------------------------------------------------------- normalization

    /**
     * Batch norm with given statistics (inference), channel axis 1 of x [N,C,...]:
     * out = gamma[c]·(x − mean[c]) / √(var[c] + eps) + beta[c].
     */
    void batchNormInference(Tensor out, Tensor x, Tensor gamma, Tensor beta,
                            Tensor mean, Tensor var, float eps);

    /**
     * Batch norm with batch statistics (training), channel axis 1 of x [N,C,...]. Over the
     * M = N·(spatial) values of each channel: μ = mean, σ² = biased variance;
     * out = gamma·(x − μ)·invStd + beta with invStd = 1/√(σ² + eps).
     * Writes saveMean = μ and saveInvStd = invStd (what backward needs), and <b>updates in place</b>
     * runningMean ← (1 − momentum)·runningMean + momentum·μ and
     * runningVar ← (1 − momentum)·runningVar + momentum·σ²·M/(M − 1) (unbiased; PyTorch's rule,
     * momentum 0.1 there). With M = 1 the unbiased variance is taken as σ².
     */
    void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x,
                           Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                           float eps, float momentum);

    /**
     * {@link #batchNormTraining} followed, when {@code relu}, by a ReLU: out = max(γ·x̂ + β, 0), the
     * statistics and running averages as there. The training half of Inception's block (conv → batch
     * norm → ReLU), whose backward is {@link #batchNormReluBackward}.
     *
     * <p>The default runs {@link #batchNormTraining} into a temporary of its own and {@link #unary} RELU.
     * A backend overrides it to apply the ReLU as it writes out (the CPU backend does, bit for bit the
     * two calls' result), saving a pass over the output.
     */
    default void batchNormTraining(Tensor out, Tensor saveMean, Tensor saveInvStd, Tensor x,
                                   Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float eps, float momentum, boolean relu) {
        if (!relu) {
            batchNormTraining(out, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, eps, momentum);
            return;
        }
        try (Tensor normalized = empty(out.shape())) {
            batchNormTraining(normalized, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, eps, momentum);
            unary(UnaryOp.RELU, out, normalized);
        }
    }

    // ---------------------------------------------------------------- pooling

    /** Max pool over NCHW windows; padded cells act as −∞. */
    void maxPool2d(Tensor out, Tensor x, Pool2dSpec spec);

    /** Average pool over NCHW windows; the divisor follows {@link Pool2dSpec#countIncludePad()}. */
    void avgPool2d(Tensor out, Tensor x, Pool2dSpec spec);

    // ---------------------------------------------------------------- softmax

    /**
     * Softmax along {@code axis}: out = exp(x − max) / Σ exp(x − max); with {@code log},
     * log-softmax: out = x − max − log Σ exp(x − max). Computed stably (max subtracted).
     */
    void softmax(Tensor out, Tensor x, int axis, boolean log);

    // ---------------------------------------------------------------- regularization

    /**
     * Inverted dropout: mask[i] = 0 with probability p, else 1/(1 − p), drawn from
     * {@link RandomStream#uniform}(seed, i) &lt; p; out = x·mask. p in [0, 1).
     */
    void dropout(Tensor out, Tensor mask, Tensor x, float p, long seed);

    // ================================================================ backward primitives
    // Each overwrites its gradient outputs (never accumulates); the tape adds them up.

    /**
     * Gradient of {@link #conv2d} with respect to its input: the transposed convolution
     * dx[n,ci,ih,iw] = Σ dy[n,co,oh,ow]·w[co,ci,i,j] over every (co, oh, ow, i, j) with
     * ih = oh·sH − padTop + i·dH and iw = ow·sW − padLeft + j·dW. dx has the forward input's shape.
     */
    void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dSpec spec);

    /**
     * Gradient of {@link #conv2d} with respect to its weight:
     * dw[co,ci,i,j] = Σ_{n,oh,ow} dy[n,co,oh,ow]·x[n,ci,ih,iw] (cells outside x contribute 0).
     */
    void conv2dBackwardWeight(Tensor dw, Tensor dy, Tensor x, Conv2dSpec spec);

    /**
     * Gradient of {@link #batchNormTraining} (batch statistics), per channel over its M values, with
     * x̂ = (x − saveMean)·saveInvStd: dbeta = Σ dy, dgamma = Σ dy·x̂,
     * dx = gamma·saveInvStd/M · (M·dy − dbeta − x̂·dgamma).
     */
    void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                           Tensor saveMean, Tensor saveInvStd);

    /** Gradient of ReLU from its output y: dx = dy where y &gt; 0, else 0 (the derivative at 0 is taken as 0). */
    void reluBackward(Tensor dx, Tensor dy, Tensor y);

    /**
     * Gradient of {@link #batchNormTraining} with a ReLU, from the block's output y: the gradient of
     * {@link #batchNormBackward} for dy·[y &gt; 0] (the ReLU's derivative at 0 taken as 0, as in
     * {@link #reluBackward}). y, dy, x and dx share one shape.
     *
     * <p>The default runs {@link #reluBackward} into a temporary of its own and {@link #batchNormBackward}.
     * A backend overrides it to mask dy as it reads it (the CPU backend does, bit for bit the two calls'
     * result), saving a pass that writes the masked gradient and one that reads it back.
     */
    default void batchNormReluBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y, Tensor x,
                                       Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        try (Tensor masked = empty(dy.shape())) {
            reluBackward(masked, dy, y);
            batchNormBackward(dx, dgamma, dbeta, masked, x, gamma, saveMean, saveInvStd);
        }
    }

    /**
     * Gradient of {@link #maxPool2d}: each dy goes to the cell that won its window; a cell that wins
     * several overlapping windows receives the sum. Tie rule: among equal maxima the first cell in
     * row-major window order (top row first, then left to right) wins, as in PyTorch and cuDNN.
     * {@code y} is the forward output {@code maxPool2d(x)}, as cuDNN's pooling backward takes it (the
     * winner of a window is its first cell equal to y); a backend may use it or recompute the maxima
     * from x, the result is the same.
     */
    void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Pool2dSpec spec);

    /**
     * Gradient of {@link #avgPool2d}: each dy is spread evenly over its window's real input cells,
     * divided by the same divisor the forward pass used (so count-include-pad windows at the border
     * pass on only part of their gradient).
     */
    void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dSpec spec);

    /**
     * Gradient of {@link #softmax} from its output y along {@code axis}:
     * softmax: dx = y·(dy − Σ dy·y); log-softmax: dx = dy − exp(y)·Σ dy.
     */
    void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis, boolean log);

    /**
     * Label-smoothed softmax cross-entropy (paper §7), fused with its gradient. For each row n of
     * logits [N,K]: p = softmax(logits[n]), q'(k) = (1 − ε)·[k = label[n]] + ε·u(k);
     * loss = (1/N)·Σ_n −Σ_k q'(k)·log p(k), written to loss (shape [] or [1]);
     * if dlogits is not null, dlogits[n,k] = (p(k) − q'(k)) / N. u is {@code prior} [K], or uniform
     * 1/K when prior is null.
     */
    void softmaxCrossEntropy(Tensor loss, Tensor dlogits, Tensor logits, int[] labels, float epsilon, Tensor prior);

    // ================================================================ optimizer primitives
    // One call updates every parameter: entry i of each list belongs to parameter i, and a training
    // step's update is a handful of calls instead of a dozen per parameter (on a GPU each call is a
    // kernel launch; a backend may run a whole list as one launch over a table of pointers, as
    // apex's multi_tensor_apply does). Entry i has one shape in every list. Tensors that are written
    // (parameters, slots) appear once in all the lists together and are never also read as a
    // gradient or a scale; read-only tensors may repeat. Updates are elementwise: products and sums
    // round to float32 one by one in the order written (the CPU backend uses no FMA, which keeps
    // these results bit-identical to the same update composed of unary, binary and affine calls, but
    // for the sign of a zero: affine's α·x + 0 turns −0 into +0).
    //
    // The gradient scale of the three optimizers: {@code scale} holds one multiplier s for every
    // gradient (shape [1]) or one per entry (shape [T], T the list length), and each gradient is used
    // as g = s_i·grad[i] (the clip factor; 1 for none). If any element of scale is NaN or ±∞ the call
    // writes nothing at all: a step whose loss or gradient is not finite is skipped on the device,
    // without the host reading anything first (PyTorch's fused optimizers take a found_inf tensor for
    // the same reason).

    /**
     * Sums of squares, one per tensor: out[i] = Σ_j xs[i][j]², out of shape [T] for T = xs.length ≥ 1
     * (Σ out is the squared global norm of gradient clipping; over the decayed weights, twice the
     * weight-decay loss over wd). Any summation order; the CPU backend sums each tensor in double in
     * fixed blocks, so the result does not depend on its thread count. Reads xs (a tensor may appear
     * more than once); writes out.
     */
    void sumOfSquares(Tensor out, Tensor[] xs);

    /**
     * BLAS axpy on every pair, in place: y[i] ← y[i] + α·x[i] (the weight-decay gradient g ← g + wd·w).
     * Writes y; reads x. y[i] may be x[i] (the same tensor: y ← y + α·y).
     */
    void axpy(Tensor[] y, float alpha, Tensor[] x);

    /**
     * SGD with momentum as TF1's ApplyMomentum (PyTorch's SGD with dampening 0 is the same), for each
     * entry and element, with g = s·grad:
     * <pre>
     *   acc ← μ·acc + g
     *   θ   ← θ − lr·acc                (heavy ball)
     *   θ   ← θ − lr·(g + μ·acc)        (nesterov; acc already updated)
     * </pre>
     * Writes theta and acc; reads grad and scale; nothing when scale is not finite (see above).
     */
    void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                        boolean nesterov);

    /**
     * RMSProp with momentum as TF1's ApplyRMSProp (ε inside the root), for each entry and element,
     * with g = s·grad:
     * <pre>
     *   ms  ← ρ·ms + (1 − ρ)·g²
     *   mom ← μ·mom + lr·g / √(ms + ε)
     *   θ   ← θ − mom
     * </pre>
     * 1 − ρ is rounded to float32 before it multiplies. Writes theta, ms and mom; reads grad and
     * scale; nothing when scale is not finite (see above).
     */
    void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr, float rho,
                       float mu, float eps);

    /**
     * Adam as TF1's ApplyAdam (ε̂ after the bias correction), for each entry and element, with
     * g = s·grad and the running powers p₁ = β₁ᵗ, p₂ = β₂ᵗ held in one-element tensors:
     * <pre>
     *   p₁ ← β₁·p₁,  p₂ ← β₂·p₂               (once per call, rounded to float32)
     *   αₜ = lr·√(1 − p₂) / (1 − p₁)           (in double from the new p₁, p₂, then rounded to float32)
     *   m  ← β₁·m + (1 − β₁)·g
     *   v  ← β₂·v + (1 − β₂)·g²
     *   θ  ← θ − αₜ·m / (√v + ε̂)
     * </pre>
     * Every entry uses the αₜ of the powers as they were on entry, updated once (a GPU backend reads
     * the old powers in every block and writes the new ones after the last). 1 − β is rounded to
     * float32 before it multiplies. Writes theta, m, v, beta1Power and beta2Power; reads grad and
     * scale; nothing when scale is not finite (see above).
     */
    void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power, Tensor beta2Power,
                    Tensor scale, float lr, float beta1, float beta2, float eps);

    /**
     * The exponential moving average of parameters as TF's ExponentialMovingAverage applies it
     * (assign_sub), for each entry and element, with decay d:
     * <pre>
     *   shadow ← shadow − (1 − d)·(shadow − θ)
     * </pre>
     * 1 − d is rounded to float32 before it multiplies. {@code gate} has one element, whose value is
     * not used: when it is NaN or ±∞ nothing is written (the optimizer step this average follows was
     * skipped, see above). Writes shadow; reads theta and gate.
     */
    void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay);

    /** Releases pools, threads and device resources. Tensors still open become unusable. */
    @Override
    void close();
}
