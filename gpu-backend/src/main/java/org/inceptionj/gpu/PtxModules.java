package org.inceptionj.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The own kernels, shipped as PTX resources ({@code org/inceptionj/gpu/ptx/NAME.ptx}, made from
 * {@code src/main/cuda/NAME.cu} by {@code tools/build-ptx.sh}: compute_75, PTX ISA 7.0) and loaded
 * through the driver API ({@link CudaDriver#loadModule}). No NVRTC at run time.
 *
 * <p>Each module lists its kernels; {@code PtxResourcesTest} checks the list against the
 * {@code .entry} lines of the PTX and the PTX against its sources. Assembled with ptxas for sm_75
 * and sm_90 here; <b>never loaded by a driver or run</b>.
 */
enum PtxModules {
    /** Label-smoothed softmax cross-entropy: forward and gradient per row, then the batch mean. */
    LOSS("loss", "softmax_xent", "mean_rows"),
    /** Deterministic sum of squares (two passes), scale, and clip-by-norm with the norm read on the device. */
    CLIP("clip", "sum_squares_partial", "sum_squares_final", "scale", "clip_scale"),
    /** RMSProp (TF1), momentum (Nesterov or not), exponential moving average. */
    OPTIM("optim", "rmsprop", "momentum", "ema"),
    /** Dropout with the API's random stream, and mask application. */
    DROPOUT("dropout", "dropout_forward", "mask_mul"),
    /** FP32 FMA throughput probe for the benchmarks. */
    PEAK("peak", "fma_peak"),
    /** Unary, broadcasting binary, affine, clip, ReLU backward, batch norm with given statistics and for M = 1. */
    ELEMENTWISE("elementwise", "unary", "binary", "affine_kernel", "clip", "relu_backward", "bn_inference",
            "bn_training_single"),
    /** Strided block copies for concat and slice. */
    LAYOUT("layout", "copy_block"),
    /** SUM/MEAN/MAX over any axes (one thread per output, fixed order), and sums of squares of a list. */
    REDUCE("reduce", "reduce_axes", "sum_squares_list"),
    /** Tiled SGEMM with transposes. */
    MATMUL("matmul", "matmul"),
    /** Max and average pooling, forward and (gather) backward. */
    POOL("pool", "pool_forward", "pool_backward"),
    /** Softmax and log-softmax along one axis, forward and backward. */
    SOFTMAX("softmax", "softmax_forward", "softmax_backward"),
    /** The optimizer primitives over pointer tables, with the device-side scale gate. */
    UPDATE("update", "gate", "axpy_list", "momentum_list", "rmsprop_list", "adam_prepare", "adam_commit",
            "adam_list", "ema_list");

    /** Resource directory of the PTX files. */
    static final String RESOURCE_DIR = "/org/inceptionj/gpu/ptx/";

    private final String fileName;
    private final List<String> kernels;

    PtxModules(String fileName, String... kernels) {
        this.fileName = fileName;
        this.kernels = List.of(kernels);
    }

    /** The base name of the .cu source and the .ptx resource. */
    String fileName() {
        return fileName;
    }

    /** The {@code extern "C"} kernel names, as {@code cuModuleGetFunction} finds them. */
    List<String> kernels() {
        return kernels;
    }

    /**
     * The PTX text followed by one NUL byte, as the {@code byte[]} form of {@code cuModuleLoadData}
     * needs (it takes a C string).
     */
    byte[] ptxWithNul() {
        String path = RESOURCE_DIR + fileName + ".ptx";
        try (InputStream in = PtxModules.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path + " (run gpu-backend/tools/build-ptx.sh)");
            }
            byte[] text = in.readAllBytes();
            for (byte b : text) {
                if (b == 0) {
                    throw new IllegalStateException(path + " contains a NUL byte");
                }
            }
            byte[] out = new byte[text.length + 1];
            System.arraycopy(text, 0, out, 0, text.length);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
