package org.inceptionj.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnActivationMode;
import jcuda.jcudnn.cudnnBatchNormMode;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgo;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgo;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionMode;
import jcuda.jcudnn.cudnnDataType;
import jcuda.jcudnn.cudnnDeterminism;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnIndicesType;
import jcuda.jcudnn.cudnnMathType;
import jcuda.jcudnn.cudnnNanPropagation;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnOpTensorOp;
import jcuda.jcudnn.cudnnPoolingDescriptor;
import jcuda.jcudnn.cudnnPoolingMode;
import jcuda.jcudnn.cudnnReduceTensorDescriptor;
import jcuda.jcudnn.cudnnReduceTensorIndices;
import jcuda.jcudnn.cudnnReduceTensorOp;
import jcuda.jcudnn.cudnnSoftmaxAlgorithm;
import jcuda.jcudnn.cudnnSoftmaxMode;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.jcudnn.cudnnTensorFormat;
import jcuda.libraryPropertyType;
import jcuda.runtime.cudaStream_t;

import org.inceptionj.api.Conv2dSpec;

/**
 * The facade over JCudnn: the <b>only</b> class (with its nested classes) that touches
 * {@code jcuda.jcudnn} ({@code CudnnFacadeTest} checks the bytecode of every other class). It
 * exposes just the cuDNN functions an Inception-v3 training step needs (the list in the GPU stack
 * notes), all of them present in cuDNN 8.x and 9.x, in FP32 NCHW.
 *
 * <p><b>The rule: no call can reach a function removed in cuDNN 9.</b> JCudnn 11.7 was built from
 * the cuDNN 8.4 headers and imports 54 functions cuDNN 9 no longer has (legacy RNN, algorithm
 * descriptors, {@code *VersionCheck}); calling one kills the JVM with a symbol lookup error, no
 * exception. So only this class calls JCudnn, and {@code CudnnFacadeTest} reads this class's
 * bytecode and fails if any JCudnn method it calls is on the list of removed functions (test
 * resource {@code cudnn9-removed-functions.txt}) or, when cuDNN 9 is installed, is not exported by it.
 * New functions go through this class and that test.
 *
 * <p><b>Every call is checked</b>: a non-zero status throws {@link GpuException} with
 * {@code cudnnGetErrorString}'s text (JCudnn's status names are cuDNN 8's; cuDNN 9 renumbered
 * them), the function and the shapes involved. JCudnn's own exceptions stay off.
 *
 * <p>Numerics: convolutions use {@code CUDNN_FMA_MATH} (plain FP32; no TF32 tensor-core math,
 * which {@code CUDNN_DEFAULT_MATH} allows on Ampere and later), and only algorithms cuDNN reports as
 * {@code CUDNN_DETERMINISTIC} are chosen, because the backend contract asks for the same bits on
 * every run. Batch norm is {@code CUDNN_BATCHNORM_SPATIAL}. cuDNN's own dropout is not used: the
 * mask must be {@code RandomStream.uniform(seed, i) < p}, as on every backend (own kernel).
 *
 * <p>Run so far, without a GPU, against cuDNN 9.24: binding, version, descriptor creation and the
 * output-dimension queries. Everything taking a {@link Handle} needs a GPU ({@code cudnnCreate}
 * fails without one) and has <b>never run</b>.
 */
final class Cudnn {
    private Cudnn() {
    }

    // ================================================================== binding and version

    private static volatile boolean bound;

    /** Runs JCudnn's class initializer (its native library must already be loaded: {@link CudaLibraries}). */
    static void initializeBinding() {
        JCudnn.initialize();
        JCudnn.setExceptionsEnabled(false);   // statuses are checked here, with cuDNN's own texts
        bound = true;
    }

    /**
     * Makes sure JCudnn was initialized by {@link CudaLibraries#loadCudnn()}. Were JCudnn's class
     * first touched anywhere else, JCuda's own loader would copy the unpatched library to the shared
     * java.io.tmpdir (or reuse a stale copy there) and the class would stay broken for the JVM. Every
     * entry point that does not take a handle or descriptor (which exist only afterwards) calls this.
     */
    private static void ready() {
        if (!bound) {
            CudaLibraries.loadCudnn();
        }
    }

    static int majorVersion() {
        return property(libraryPropertyType.MAJOR_VERSION, "MAJOR_VERSION");
    }

    static int minorVersion() {
        return property(libraryPropertyType.MINOR_VERSION, "MINOR_VERSION");
    }

    static int patchLevel() {
        return property(libraryPropertyType.PATCH_LEVEL, "PATCH_LEVEL");
    }

    private static int property(int type, String name) {
        ready();
        int[] v = new int[1];
        check(JCudnn.cudnnGetProperty(type, v), () -> "cudnnGetProperty(" + name + ")");
        return v[0];
    }

    /** cuDNN's text for a status (the native {@code cudnnGetErrorString}, right for cuDNN 8 and 9). */
    static String errorString(int status) {
        ready();
        return JCudnn.cudnnGetErrorString(status);
    }

    private static void check(int status, Supplier<String> call) {
        if (status != 0) {
            String text;
            try {
                text = errorString(status);
            } catch (RuntimeException | LinkageError e) {
                text = "cudnnStatus_t " + status;
            }
            throw new GpuException(GpuException.Library.CUDNN, status, text, call.get());
        }
    }

    private static Pointer scalar(float v) {
        return Pointer.to(new float[] {v});
    }

    // ================================================================== handle

    /** A cuDNN context bound to one stream. Needs a GPU. */
    static final class Handle implements AutoCloseable {
        final cudnnHandle h = new cudnnHandle();
        private boolean closed;

        /** {@code cudnnCreate}; then {@code cudnnSetStream} to the backend's one stream. */
        Handle(CUstream stream) {
            ready();
            check(JCudnn.cudnnCreate(h), () -> "cudnnCreate");
            check(JCudnn.cudnnSetStream(h, new cudaStream_t(stream)), () -> "cudnnSetStream");
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroy(h), () -> "cudnnDestroy");
            }
        }
    }

    // ================================================================== descriptors

    /** A 4-D FP32 tensor descriptor, dense NCHW or with explicit strides (a channel slice of a concat). */
    static final class TensorDesc implements AutoCloseable {
        final cudnnTensorDescriptor d = new cudnnTensorDescriptor();
        final String name;
        final int n, c, h, w;
        final int ns, cs, hs, ws;
        private boolean closed;

        private TensorDesc(String name, int n, int c, int h, int w, int ns, int cs, int hs, int ws) {
            ready();
            this.name = name;
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            this.ns = ns;
            this.cs = cs;
            this.hs = hs;
            this.ws = ws;
            check(JCudnn.cudnnCreateTensorDescriptor(d), () -> "cudnnCreateTensorDescriptor(" + this + ")");
        }

        /** Dense NCHW [n,c,h,w]. */
        static TensorDesc nchw(String name, int n, int c, int h, int w) {
            TensorDesc t = new TensorDesc(name, n, c, h, w, c * h * w, h * w, w, 1);
            t.set(() -> JCudnn.cudnnSetTensor4dDescriptor(t.d, cudnnTensorFormat.CUDNN_TENSOR_NCHW,
                    cudnnDataType.CUDNN_DATA_FLOAT, n, c, h, w), "cudnnSetTensor4dDescriptor");
            return t;
        }

        /** [n,c,h,w] with element strides (ns,cs,hs,ws): e.g. channels [c0, c0+c) of a [n,C,h,w] tensor. */
        static TensorDesc strided(String name, int n, int c, int h, int w, int ns, int cs, int hs, int ws) {
            TensorDesc t = new TensorDesc(name, n, c, h, w, ns, cs, hs, ws);
            t.set(() -> JCudnn.cudnnSetTensor4dDescriptorEx(t.d, cudnnDataType.CUDNN_DATA_FLOAT, n, c, h, w,
                    ns, cs, hs, ws), "cudnnSetTensor4dDescriptorEx");
            return t;
        }

        private void set(java.util.function.IntSupplier call, String fn) {
            int status = call.getAsInt();
            if (status != 0) {
                close();
                check(status, () -> fn + "(" + this + ")");
            }
        }

        @Override
        public String toString() {
            boolean dense = ns == c * h * w && cs == h * w && hs == w && ws == 1;
            return name + " [" + n + "," + c + "," + h + "," + w + "]"
                    + (dense ? "" : " strides [" + ns + "," + cs + "," + hs + "," + ws + "]");
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyTensorDescriptor(d), () -> "cudnnDestroyTensorDescriptor(" + this + ")");
            }
        }
    }

    /** An FP32 NCHW filter descriptor [k (out channels), c (in channels), r (height), s (width)]. */
    static final class FilterDesc implements AutoCloseable {
        final cudnnFilterDescriptor d = new cudnnFilterDescriptor();
        final String name;
        final int k, c, r, s;
        private boolean closed;

        FilterDesc(String name, int k, int c, int r, int s) {
            ready();
            this.name = name;
            this.k = k;
            this.c = c;
            this.r = r;
            this.s = s;
            check(JCudnn.cudnnCreateFilterDescriptor(d), () -> "cudnnCreateFilterDescriptor(" + this + ")");
            int status = JCudnn.cudnnSetFilter4dDescriptor(d, cudnnDataType.CUDNN_DATA_FLOAT,
                    cudnnTensorFormat.CUDNN_TENSOR_NCHW, k, c, r, s);
            if (status != 0) {
                close();
                check(status, () -> "cudnnSetFilter4dDescriptor(" + this + ")");
            }
        }

        @Override
        public String toString() {
            return name + " [" + k + "," + c + "," + r + "," + s + "]";
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyFilterDescriptor(d), () -> "cudnnDestroyFilterDescriptor(" + this + ")");
            }
        }
    }

    /**
     * A 2-D cross-correlation, FP32 compute, {@code CUDNN_FMA_MATH}. cuDNN takes one pad per axis
     * (applied at both ends), so a {@link Conv2dSpec} must pad top = bottom and left = right; the 1×7
     * and 7×1 convolutions of Inception (pad (0,3) and (3,0)) qualify. TF's asymmetric "SAME" pads
     * need an explicit pad copy first.
     */
    static final class ConvDesc implements AutoCloseable {
        final cudnnConvolutionDescriptor d = new cudnnConvolutionDescriptor();
        final Conv2dSpec spec;
        private boolean closed;

        ConvDesc(Conv2dSpec spec) {
            this(spec, false);
        }

        /**
         * With {@code tf32}, {@code CUDNN_DEFAULT_MATH}, which lets cuDNN use TF32 tensor cores on
         * Ampere and later (10-bit mantissa products: faster, less exact); else {@code CUDNN_FMA_MATH}.
         */
        ConvDesc(Conv2dSpec spec, boolean tf32) {
            if (spec.padTop() != spec.padBottom() || spec.padLeft() != spec.padRight()) {
                throw new IllegalArgumentException("cuDNN convolution: one pad per axis, got " + spec
                        + "; pad the input explicitly for asymmetric padding");
            }
            ready();
            this.spec = spec;
            check(JCudnn.cudnnCreateConvolutionDescriptor(d), () -> "cudnnCreateConvolutionDescriptor(" + spec + ")");
            int status = JCudnn.cudnnSetConvolution2dDescriptor(d, spec.padTop(), spec.padLeft(), spec.strideH(),
                    spec.strideW(), spec.dilationH(), spec.dilationW(), cudnnConvolutionMode.CUDNN_CROSS_CORRELATION,
                    cudnnDataType.CUDNN_DATA_FLOAT);
            if (status == 0) {
                status = JCudnn.cudnnSetConvolutionMathType(d, tf32 ? cudnnMathType.CUDNN_DEFAULT_MATH
                        : cudnnMathType.CUDNN_FMA_MATH);
            }
            if (status != 0) {
                int s = status;
                close();
                check(s, () -> "cudnnSetConvolution2dDescriptor/MathType(" + spec + ")");
            }
        }

        @Override
        public String toString() {
            return "conv " + spec;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyConvolutionDescriptor(d), () -> "cudnnDestroyConvolutionDescriptor(" + spec + ")");
            }
        }
    }

    /** ReLU, NaN not propagated (as cuDNN's default). */
    static final class ActivationDesc implements AutoCloseable {
        final cudnnActivationDescriptor d = new cudnnActivationDescriptor();
        private boolean closed;

        ActivationDesc() {
            ready();
            check(JCudnn.cudnnCreateActivationDescriptor(d), () -> "cudnnCreateActivationDescriptor(relu)");
            int status = JCudnn.cudnnSetActivationDescriptor(d, cudnnActivationMode.CUDNN_ACTIVATION_RELU,
                    cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN, 0.0);
            if (status != 0) {
                close();
                check(status, () -> "cudnnSetActivationDescriptor(relu)");
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyActivationDescriptor(d), () -> "cudnnDestroyActivationDescriptor(relu)");
            }
        }
    }

    /**
     * Pooling modes. Average pooling counts the padding ({@code INCLUDE}: torchvision's
     * {@code count_include_pad=True}) or not ({@code EXCLUDE}: TF's "SAME" average pool): a choice
     * the backend makes deliberately per op. Max pooling uses {@code CUDNN_POOLING_MAX_DETERMINISTIC}.
     */
    enum PoolMode {
        MAX(cudnnPoolingMode.CUDNN_POOLING_MAX_DETERMINISTIC),
        AVERAGE_INCLUDE_PADDING(cudnnPoolingMode.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING),
        AVERAGE_EXCLUDE_PADDING(cudnnPoolingMode.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING);

        final int value;

        PoolMode(int value) {
            this.value = value;
        }
    }

    /** A 2-D pooling window (symmetric pads, as cuDNN takes them). */
    static final class PoolDesc implements AutoCloseable {
        final cudnnPoolingDescriptor d = new cudnnPoolingDescriptor();
        final PoolMode mode;
        final int kh, kw, padH, padW, strideH, strideW;
        private boolean closed;

        PoolDesc(PoolMode mode, int kh, int kw, int padH, int padW, int strideH, int strideW) {
            ready();
            this.mode = mode;
            this.kh = kh;
            this.kw = kw;
            this.padH = padH;
            this.padW = padW;
            this.strideH = strideH;
            this.strideW = strideW;
            check(JCudnn.cudnnCreatePoolingDescriptor(d), () -> "cudnnCreatePoolingDescriptor(" + this + ")");
            int status = JCudnn.cudnnSetPooling2dDescriptor(d, mode.value, cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN,
                    kh, kw, padH, padW, strideH, strideW);
            if (status != 0) {
                close();
                check(status, () -> "cudnnSetPooling2dDescriptor(" + this + ")");
            }
        }

        @Override
        public String toString() {
            return mode + " " + kh + "x" + kw + " pad (" + padH + "," + padW + ") stride (" + strideH + "," + strideW + ")";
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyPoolingDescriptor(d), () -> "cudnnDestroyPoolingDescriptor(" + this + ")");
            }
        }
    }

    /** Elementwise ops of {@link #opTensor}. */
    enum TensorOp {
        ADD(cudnnOpTensorOp.CUDNN_OP_TENSOR_ADD), MUL(cudnnOpTensorOp.CUDNN_OP_TENSOR_MUL),
        MIN(cudnnOpTensorOp.CUDNN_OP_TENSOR_MIN), MAX(cudnnOpTensorOp.CUDNN_OP_TENSOR_MAX),
        SQRT(cudnnOpTensorOp.CUDNN_OP_TENSOR_SQRT);

        final int value;

        TensorOp(int value) {
            this.value = value;
        }
    }

    static final class OpTensorDesc implements AutoCloseable {
        final cudnnOpTensorDescriptor d = new cudnnOpTensorDescriptor();
        final TensorOp op;
        private boolean closed;

        OpTensorDesc(TensorOp op) {
            ready();
            this.op = op;
            check(JCudnn.cudnnCreateOpTensorDescriptor(d), () -> "cudnnCreateOpTensorDescriptor(" + op + ")");
            int status = JCudnn.cudnnSetOpTensorDescriptor(d, op.value, cudnnDataType.CUDNN_DATA_FLOAT,
                    cudnnNanPropagation.CUDNN_PROPAGATE_NAN);
            if (status != 0) {
                close();
                check(status, () -> "cudnnSetOpTensorDescriptor(" + op + ")");
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyOpTensorDescriptor(d), () -> "cudnnDestroyOpTensorDescriptor(" + op + ")");
            }
        }
    }

    /** Reductions of {@link #reduceTensor}. */
    enum ReduceOp {
        ADD(cudnnReduceTensorOp.CUDNN_REDUCE_TENSOR_ADD), MUL(cudnnReduceTensorOp.CUDNN_REDUCE_TENSOR_MUL),
        MIN(cudnnReduceTensorOp.CUDNN_REDUCE_TENSOR_MIN), MAX(cudnnReduceTensorOp.CUDNN_REDUCE_TENSOR_MAX),
        AVG(cudnnReduceTensorOp.CUDNN_REDUCE_TENSOR_AVG), NORM2(cudnnReduceTensorOp.CUDNN_REDUCE_TENSOR_NORM2);

        final int value;

        ReduceOp(int value) {
            this.value = value;
        }
    }

    static final class ReduceDesc implements AutoCloseable {
        final cudnnReduceTensorDescriptor d = new cudnnReduceTensorDescriptor();
        final ReduceOp op;
        private boolean closed;

        ReduceDesc(ReduceOp op) {
            ready();
            this.op = op;
            check(JCudnn.cudnnCreateReduceTensorDescriptor(d), () -> "cudnnCreateReduceTensorDescriptor(" + op + ")");
            int status = JCudnn.cudnnSetReduceTensorDescriptor(d, op.value, cudnnDataType.CUDNN_DATA_FLOAT,
                    cudnnNanPropagation.CUDNN_PROPAGATE_NAN, cudnnReduceTensorIndices.CUDNN_REDUCE_TENSOR_NO_INDICES,
                    cudnnIndicesType.CUDNN_32BIT_INDICES);
            if (status != 0) {
                close();
                check(status, () -> "cudnnSetReduceTensorDescriptor(" + op + ")");
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                check(JCudnn.cudnnDestroyReduceTensorDescriptor(d), () -> "cudnnDestroyReduceTensorDescriptor(" + op + ")");
            }
        }
    }

    // ================================================================== shape queries (no GPU needed)

    /** {@code cudnnGetConvolution2dForwardOutputDim}: [n, k, outH, outW]. */
    static int[] convOutputDim(ConvDesc conv, TensorDesc x, FilterDesc w) {
        int[] n = new int[1], c = new int[1], h = new int[1], wd = new int[1];
        check(JCudnn.cudnnGetConvolution2dForwardOutputDim(conv.d, x.d, w.d, n, c, h, wd),
                () -> "cudnnGetConvolution2dForwardOutputDim(" + x + ", " + w + ", " + conv + ")");
        return new int[] {n[0], c[0], h[0], wd[0]};
    }

    /** {@code cudnnGetPooling2dForwardOutputDim}: [n, c, outH, outW]. */
    static int[] poolOutputDim(PoolDesc pool, TensorDesc x) {
        int[] n = new int[1], c = new int[1], h = new int[1], w = new int[1];
        check(JCudnn.cudnnGetPooling2dForwardOutputDim(pool.d, x.d, n, c, h, w),
                () -> "cudnnGetPooling2dForwardOutputDim(" + x + ", " + pool + ")");
        return new int[] {n[0], c[0], h[0], w[0]};
    }

    /** {@code cudnnDeriveBNTensorDescriptor} for spatial batch norm: [1, C, 1, 1]. */
    static TensorDesc batchNormParams(TensorDesc x) {
        TensorDesc t = new TensorDesc("bn(" + x.name + ")", 1, x.c, 1, 1, x.c, 1, 1, 1);
        t.set(() -> JCudnn.cudnnDeriveBNTensorDescriptor(t.d, x.d, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL),
                "cudnnDeriveBNTensorDescriptor(" + x + ")");
        return t;
    }

    // ================================================================== convolution (needs a GPU)

    /** A chosen algorithm and the workspace it needs. */
    record Algo(int algo, long workspaceBytes) {
    }

    /**
     * Which algorithms a choice may return: only those cuDNN reports {@code CUDNN_DETERMINISTIC}
     * (the default: the backend contract asks for the same bits on every run), and only FP32 FMA
     * math unless {@code tf32} (then tensor-op entries too).
     */
    record Numerics(boolean deterministic, boolean tf32) {
        static final Numerics EXACT = new Numerics(true, false);

        boolean accepts(int determinism, int mathType) {
            return (!deterministic || determinism == cudnnDeterminism.CUDNN_DETERMINISTIC)
                    && (mathType == cudnnMathType.CUDNN_FMA_MATH || mathType == cudnnMathType.CUDNN_DEFAULT_MATH
                    || tf32 && (mathType == cudnnMathType.CUDNN_TENSOR_OP_MATH
                    || mathType == cudnnMathType.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION));
        }

        @Override
        public String toString() {
            return (deterministic ? "deterministic" : "fastest") + " algorithms, " + (tf32 ? "TF32 allowed" : "FP32 FMA math");
        }
    }

    /** The fastest deterministic FP32 forward algorithm by cuDNN's heuristics whose workspace fits. */
    static Algo forwardAlgorithm(Handle handle, TensorDesc x, FilterDesc w, ConvDesc conv, TensorDesc y,
                                 long maxWorkspace, Numerics numerics) {
        Supplier<String> call = () -> "cudnnGetConvolutionForwardAlgorithm_v7(" + x + ", " + w + ", " + conv + ", " + y + ")";
        int[] max = new int[1];
        check(JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle.h, max), () -> "cudnnGetConvolutionForwardAlgorithmMaxCount");
        cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[max[0]];
        for (int i = 0; i < perf.length; i++) {
            perf[i] = new cudnnConvolutionFwdAlgoPerf();
        }
        int[] count = new int[1];
        check(JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle.h, x.d, w.d, conv.d, y.d, perf.length, count, perf), call);
        List<Candidate> found = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            found.add(new Candidate(perf[i].algo, perf[i].status, perf[i].determinism, perf[i].mathType, perf[i].memory));
        }
        int fixed = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
        return choose(found, fixed, "IMPLICIT_PRECOMP_GEMM", (algo, size) ->
                JCudnn.cudnnGetConvolutionForwardWorkspaceSize(handle.h, x.d, w.d, conv.d, y.d, algo, size),
                maxWorkspace, numerics, call);
    }

    /** The fastest deterministic FP32 backward-data algorithm whose workspace fits. */
    static Algo backwardDataAlgorithm(Handle handle, FilterDesc w, TensorDesc dy, ConvDesc conv, TensorDesc dx,
                                      long maxWorkspace, Numerics numerics) {
        Supplier<String> call = () -> "cudnnGetConvolutionBackwardDataAlgorithm_v7(" + w + ", " + dy + ", " + conv + ", " + dx + ")";
        int[] max = new int[1];
        check(JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle.h, max),
                () -> "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
        cudnnConvolutionBwdDataAlgoPerf[] perf = new cudnnConvolutionBwdDataAlgoPerf[max[0]];
        for (int i = 0; i < perf.length; i++) {
            perf[i] = new cudnnConvolutionBwdDataAlgoPerf();
        }
        int[] count = new int[1];
        check(JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle.h, w.d, dy.d, conv.d, dx.d, perf.length, count,
                perf), call);
        List<Candidate> found = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            found.add(new Candidate(perf[i].algo, perf[i].status, perf[i].determinism, perf[i].mathType, perf[i].memory));
        }
        int fixed = cudnnConvolutionBwdDataAlgo.CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
        return choose(found, fixed, "BWD_DATA_ALGO_1", (algo, size) ->
                JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle.h, w.d, dy.d, conv.d, dx.d, algo, size),
                maxWorkspace, numerics, call);
    }

    /** The fastest deterministic FP32 backward-filter algorithm whose workspace fits. */
    static Algo backwardFilterAlgorithm(Handle handle, TensorDesc x, TensorDesc dy, ConvDesc conv, FilterDesc dw,
                                        long maxWorkspace, Numerics numerics) {
        Supplier<String> call = () -> "cudnnGetConvolutionBackwardFilterAlgorithm_v7(" + x + ", " + dy + ", " + conv + ", " + dw + ")";
        int[] max = new int[1];
        check(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle.h, max),
                () -> "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
        cudnnConvolutionBwdFilterAlgoPerf[] perf = new cudnnConvolutionBwdFilterAlgoPerf[max[0]];
        for (int i = 0; i < perf.length; i++) {
            perf[i] = new cudnnConvolutionBwdFilterAlgoPerf();
        }
        int[] count = new int[1];
        check(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle.h, x.d, dy.d, conv.d, dw.d, perf.length, count,
                perf), call);
        List<Candidate> found = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            found.add(new Candidate(perf[i].algo, perf[i].status, perf[i].determinism, perf[i].mathType, perf[i].memory));
        }
        int fixed = cudnnConvolutionBwdFilterAlgo.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
        return choose(found, fixed, "BWD_FILTER_ALGO_1", (algo, size) ->
                JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle.h, x.d, dy.d, conv.d, dw.d, algo, size),
                maxWorkspace, numerics, call);
    }

    /** One entry of a cuDNN heuristic's answer, whichever of the three perf structs it came in. */
    record Candidate(int algo, int status, int determinism, int mathType, long memory) {
        @Override
        public String toString() {
            return describe(algo, status, determinism, mathType, memory);
        }
    }

    /** The workspace-size query of one direction: fills size[0], returns the cuDNN status. */
    @FunctionalInterface
    interface WorkspaceQuery {
        int size(int algo, long[] size);
    }

    /**
     * The rule of all three directions: the first candidate (cuDNN lists them fastest first) that ran,
     * meets the numerics and fits the workspace; else, when determinism is asked for, the algorithm
     * cuDNN documents as deterministic ({@code fixed}) if it runs on these shapes within the workspace;
     * else an error listing every candidate.
     */
    static Algo choose(List<Candidate> found, int fixed, String fixedName, WorkspaceQuery workspace, long maxWorkspace,
                       Numerics numerics, Supplier<String> call) {
        for (Candidate c : found) {
            if (c.status() == 0 && numerics.accepts(c.determinism(), c.mathType()) && c.memory() <= maxWorkspace) {
                return new Algo(c.algo(), c.memory());
            }
        }
        long[] size = new long[1];
        if (numerics.deterministic() && workspace.size(fixed, size) == 0 && size[0] <= maxWorkspace) {
            return new Algo(fixed, size[0]);
        }
        throw new GpuException(GpuException.Library.CUDNN, 0, "no algorithm (" + numerics + ") with a workspace of at most "
                + maxWorkspace + " bytes among " + found.size() + ": " + found + ", nor " + fixedName, call.get());
    }

    /** One heuristic entry for messages: algo 1 (status 0, deterministic, math 1, 1024 B). */
    private static String describe(int algo, int status, int determinism, int mathType, long memory) {
        return "algo " + algo + " (status " + status + ", "
                + (determinism == cudnnDeterminism.CUDNN_DETERMINISTIC ? "deterministic" : "non-deterministic")
                + ", math " + mathType + ", " + memory + " B)";
    }

    /** y = alpha·conv(x, w) + beta·y. */
    static void convolutionForward(Handle handle, float alpha, TensorDesc x, Pointer xp, FilterDesc w, Pointer wp,
                                   ConvDesc conv, Algo algo, Pointer workspace, float beta, TensorDesc y, Pointer yp) {
        check(JCudnn.cudnnConvolutionForward(handle.h, scalar(alpha), x.d, xp, w.d, wp, conv.d, algo.algo(), workspace,
                algo.workspaceBytes(), scalar(beta), y.d, yp),
                () -> "cudnnConvolutionForward(" + x + ", " + w + ", " + conv + ", algo " + algo + ", " + y + ")");
    }

    /** dx = alpha·conv_transpose(dy, w) + beta·dx. */
    static void convolutionBackwardData(Handle handle, float alpha, FilterDesc w, Pointer wp, TensorDesc dy, Pointer dyp,
                                        ConvDesc conv, Algo algo, Pointer workspace, float beta, TensorDesc dx,
                                        Pointer dxp) {
        check(JCudnn.cudnnConvolutionBackwardData(handle.h, scalar(alpha), w.d, wp, dy.d, dyp, conv.d, algo.algo(),
                workspace, algo.workspaceBytes(), scalar(beta), dx.d, dxp),
                () -> "cudnnConvolutionBackwardData(" + w + ", " + dy + ", " + conv + ", algo " + algo + ", " + dx + ")");
    }

    /** dw = alpha·(x ⋆ dy) + beta·dw. */
    static void convolutionBackwardFilter(Handle handle, float alpha, TensorDesc x, Pointer xp, TensorDesc dy,
                                          Pointer dyp, ConvDesc conv, Algo algo, Pointer workspace, float beta,
                                          FilterDesc dw, Pointer dwp) {
        check(JCudnn.cudnnConvolutionBackwardFilter(handle.h, scalar(alpha), x.d, xp, dy.d, dyp, conv.d, algo.algo(),
                workspace, algo.workspaceBytes(), scalar(beta), dw.d, dwp),
                () -> "cudnnConvolutionBackwardFilter(" + x + ", " + dy + ", " + conv + ", algo " + algo + ", " + dw + ")");
    }

    /** db[c] = alpha·Σ_{n,h,w} dy[n,c,h,w] + beta·db[c]. */
    static void convolutionBackwardBias(Handle handle, float alpha, TensorDesc dy, Pointer dyp, float beta,
                                        TensorDesc db, Pointer dbp) {
        check(JCudnn.cudnnConvolutionBackwardBias(handle.h, scalar(alpha), dy.d, dyp, scalar(beta), db.d, dbp),
                () -> "cudnnConvolutionBackwardBias(" + dy + ", " + db + ")");
    }

    // ================================================================== tensor ops (needs a GPU)

    /** c = alpha·a + beta·c, a broadcast over c (e.g. a bias [1,C,1,1]). */
    static void addTensor(Handle handle, float alpha, TensorDesc a, Pointer ap, float beta, TensorDesc c, Pointer cp) {
        check(JCudnn.cudnnAddTensor(handle.h, scalar(alpha), a.d, ap, scalar(beta), c.d, cp),
                () -> "cudnnAddTensor(" + a + ", " + c + ")");
    }

    /** y[i] = value. */
    static void setTensor(Handle handle, TensorDesc y, Pointer yp, float value) {
        check(JCudnn.cudnnSetTensor(handle.h, y.d, yp, scalar(value)), () -> "cudnnSetTensor(" + y + ", " + value + ")");
    }

    /** y[i] = alpha·y[i]. */
    static void scaleTensor(Handle handle, TensorDesc y, Pointer yp, float alpha) {
        check(JCudnn.cudnnScaleTensor(handle.h, y.d, yp, scalar(alpha)), () -> "cudnnScaleTensor(" + y + ", " + alpha + ")");
    }

    /** c = op(alpha1·a, alpha2·b) + beta·c. */
    static void opTensor(Handle handle, OpTensorDesc op, float alpha1, TensorDesc a, Pointer ap, float alpha2,
                         TensorDesc b, Pointer bp, float beta, TensorDesc c, Pointer cp) {
        check(JCudnn.cudnnOpTensor(handle.h, op.d, scalar(alpha1), a.d, ap, scalar(alpha2), b.d, bp, scalar(beta), c.d, cp),
                () -> "cudnnOpTensor(" + op.op + ", " + a + ", " + b + ", " + c + ")");
    }

    /** y = alpha·x + beta·y between layouts (strided copies: channel concat and split). */
    static void transformTensor(Handle handle, float alpha, TensorDesc x, Pointer xp, float beta, TensorDesc y,
                                Pointer yp) {
        check(JCudnn.cudnnTransformTensor(handle.h, scalar(alpha), x.d, xp, scalar(beta), y.d, yp),
                () -> "cudnnTransformTensor(" + x + ", " + y + ")");
    }

    /** Workspace bytes {@link #reduceTensor} needs. */
    static long reductionWorkspaceSize(Handle handle, ReduceDesc r, TensorDesc a, TensorDesc c) {
        long[] size = new long[1];
        check(JCudnn.cudnnGetReductionWorkspaceSize(handle.h, r.d, a.d, c.d, size),
                () -> "cudnnGetReductionWorkspaceSize(" + r.op + ", " + a + ", " + c + ")");
        return size[0];
    }

    /** c = alpha·reduce(a) + beta·c over the axes where c has extent 1. */
    static void reduceTensor(Handle handle, ReduceDesc r, Pointer workspace, long workspaceBytes, float alpha,
                             TensorDesc a, Pointer ap, float beta, TensorDesc c, Pointer cp) {
        check(JCudnn.cudnnReduceTensor(handle.h, r.d, null, 0, workspace, workspaceBytes, scalar(alpha), a.d, ap,
                scalar(beta), c.d, cp), () -> "cudnnReduceTensor(" + r.op + ", " + a + ", " + c + ")");
    }

    // ================================================================== batch norm (needs a GPU)

    /**
     * Spatial batch norm, training: y = γ·(x − μ_B)/√(σ²_B + ε) + β; running stats updated as
     * run = (1 − factor)·run + factor·batch (cuDNN uses the unbiased variance for the running
     * variance); saves μ_B and 1/√(σ²_B + ε) for backward. ε ≥ 1e-5 (CUDNN_BN_MIN_EPSILON).
     */
    static void batchNormForwardTraining(Handle handle, TensorDesc x, Pointer xp, TensorDesc y, Pointer yp,
                                         TensorDesc bn, Pointer gamma, Pointer beta, double factor, Pointer runMean,
                                         Pointer runVar, double epsilon, Pointer saveMean, Pointer saveInvStd) {
        check(JCudnn.cudnnBatchNormalizationForwardTraining(handle.h, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL,
                scalar(1f), scalar(0f), x.d, xp, y.d, yp, bn.d, gamma, beta, factor, runMean, runVar, epsilon, saveMean,
                saveInvStd), () -> "cudnnBatchNormalizationForwardTraining(" + x + ", eps " + epsilon + ", factor " + factor + ")");
    }

    /** Spatial batch norm with the running statistics: y = γ·(x − run_mean)/√(run_var + ε) + β. */
    static void batchNormForwardInference(Handle handle, TensorDesc x, Pointer xp, TensorDesc y, Pointer yp,
                                          TensorDesc bn, Pointer gamma, Pointer beta, Pointer runMean, Pointer runVar,
                                          double epsilon) {
        check(JCudnn.cudnnBatchNormalizationForwardInference(handle.h, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL,
                scalar(1f), scalar(0f), x.d, xp, y.d, yp, bn.d, gamma, beta, runMean, runVar, epsilon),
                () -> "cudnnBatchNormalizationForwardInference(" + x + ", eps " + epsilon + ")");
    }

    /** dx, dγ, dβ of spatial batch norm from the saved batch statistics (all overwritten). */
    static void batchNormBackward(Handle handle, TensorDesc x, Pointer xp, TensorDesc dy, Pointer dyp, TensorDesc dx,
                                  Pointer dxp, TensorDesc bn, Pointer gamma, Pointer dGamma, Pointer dBeta, double epsilon,
                                  Pointer saveMean, Pointer saveInvStd) {
        check(JCudnn.cudnnBatchNormalizationBackward(handle.h, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL, scalar(1f),
                scalar(0f), scalar(1f), scalar(0f), x.d, xp, dy.d, dyp, dx.d, dxp, bn.d, gamma, dGamma, dBeta, epsilon,
                saveMean, saveInvStd), () -> "cudnnBatchNormalizationBackward(" + x + ", eps " + epsilon + ")");
    }

    // ================================================================== activation, pooling, softmax (needs a GPU)

    /** y = max(x, 0). */
    static void reluForward(Handle handle, ActivationDesc relu, TensorDesc x, Pointer xp, TensorDesc y, Pointer yp) {
        check(JCudnn.cudnnActivationForward(handle.h, relu.d, scalar(1f), x.d, xp, scalar(0f), y.d, yp),
                () -> "cudnnActivationForward(relu, " + x + ")");
    }

    /** dx = dy·[y &gt; 0] (y the forward output). */
    static void reluBackward(Handle handle, ActivationDesc relu, TensorDesc y, Pointer yp, TensorDesc dy, Pointer dyp,
                             TensorDesc x, Pointer xp, TensorDesc dx, Pointer dxp) {
        check(JCudnn.cudnnActivationBackward(handle.h, relu.d, scalar(1f), y.d, yp, dy.d, dyp, x.d, xp, scalar(0f),
                dx.d, dxp), () -> "cudnnActivationBackward(relu, " + y + ")");
    }

    static void poolingForward(Handle handle, PoolDesc pool, TensorDesc x, Pointer xp, TensorDesc y, Pointer yp) {
        check(JCudnn.cudnnPoolingForward(handle.h, pool.d, scalar(1f), x.d, xp, scalar(0f), y.d, yp),
                () -> "cudnnPoolingForward(" + pool + ", " + x + ", " + y + ")");
    }

    /** dx of pooling (overwritten), from the forward's x and y. */
    static void poolingBackward(Handle handle, PoolDesc pool, TensorDesc y, Pointer yp, TensorDesc dy, Pointer dyp,
                                TensorDesc x, Pointer xp, TensorDesc dx, Pointer dxp) {
        check(JCudnn.cudnnPoolingBackward(handle.h, pool.d, scalar(1f), y.d, yp, dy.d, dyp, x.d, xp, scalar(0f), dx.d,
                dxp), () -> "cudnnPoolingBackward(" + pool + ", " + x + ", " + y + ")");
    }

    /** y = softmax (or log-softmax with {@code log}) over C of each [n,:,h,w]; logits as [N,K,1,1]. */
    static void softmaxForward(Handle handle, boolean log, TensorDesc x, Pointer xp, TensorDesc y, Pointer yp) {
        check(JCudnn.cudnnSoftmaxForward(handle.h, log ? cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_LOG
                        : cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_ACCURATE, cudnnSoftmaxMode.CUDNN_SOFTMAX_MODE_CHANNEL,
                scalar(1f), x.d, xp, scalar(0f), y.d, yp), () -> "cudnnSoftmaxForward(" + (log ? "log, " : "") + x + ")");
    }

    static void softmaxBackward(Handle handle, boolean log, TensorDesc y, Pointer yp, TensorDesc dy, Pointer dyp,
                                TensorDesc dx, Pointer dxp) {
        check(JCudnn.cudnnSoftmaxBackward(handle.h, log ? cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_LOG
                        : cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_ACCURATE, cudnnSoftmaxMode.CUDNN_SOFTMAX_MODE_CHANNEL,
                scalar(1f), y.d, yp, dy.d, dyp, scalar(0f), dx.d, dxp),
                () -> "cudnnSoftmaxBackward(" + (log ? "log, " : "") + y + ")");
    }
}
