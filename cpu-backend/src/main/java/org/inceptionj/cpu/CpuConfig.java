package org.inceptionj.cpu;

/**
 * How the CPU backend runs.
 *
 * @param threads    worker threads for the parallel loops ({@code -Dinceptionj.cpu.threads=N};
 *                   default: available processors). Results are bit-identical for a given count.
 * @param vectorized use the Java Vector API kernels ({@code -Dinceptionj.cpu.vector=true}, the
 *                   default) or the plain scalar loops that read like the math ({@code false}):
 *                   the one switch that runs the whole backend on its plain path.
 * @param cacheBytes the most bytes of freed tensor arrays kept for reuse ({@code -Dinceptionj.cpu.cacheBytes=N};
 *                   default: half the maximum heap; 0 turns the cache off), see {@link ArrayCache}
 * @param blockedConv let forward convolutions (and same-padded data gradients) take the direct
 *                   convolution over channel-blocked copies where it applies
 *                   ({@code -Dinceptionj.cpu.blockedConv=true}, the default; see {@link Conv2dBlocked}), or
 *                   keep every convolution on the im2col GEMM ({@code false}); the same bits either way
 * @param winograd   let stride-1 3×3, 5×5, 1×3, 3×1, 1×7 and 7×1 convolutions with enough channels (inference,
 *                   and the training forward and data gradient) take Winograd's F(2×2, 3×3) or F(4×4, 3×3),
 *                   F(2×2, 5×5), F(2, 3) or F(4, 3), and F(2, 7) or F(4, 7)
 *                   ({@code -Dinceptionj.cpu.winograd=true}, the default; see {@link Conv2dWinograd}): 2.25–4×
 *                   (2.8×, 1.5–2×, 1.75–2.8×) fewer multiply-adds, results within float rounding of the direct sum
 *                   but not its bits, the same for any thread count; {@code false} keeps every
 *                   convolution on the direct sums, whose bits match the plain loops'.
 *                   Needs blockedConv (its register tiles). The weight gradients of stride-1 3×3, 5×5,
 *                   1×7 and 7×1 convolutions over planes of 16 × 16 and more, with 32 channels or more
 *                   each side, take F(3×3, 4×4), F(5×5, 2×2) and F(7, 2) under the same switch
 *                   ({@link Conv2dBackwardWeightWinograd}).
 * @param blockedActivations let the inference forward's convolutions on the blocked and Winograd paths leave
 *                   their outputs channel-blocked for the convolutions, pools and concatenations that read
 *                   them, written out as NCHW only when something else reads them
 *                   ({@code -Dinceptionj.cpu.blockedActivations=true}, the default; see
 *                   {@link BlockedActivations}); the same bits either way, but for the branch pools of
 *                   {@code avgPool2dConv2dBatchNormInference}, which with it average after their 1×1
 *                   ({@link BranchPool}: other last bits)
 * @param readAhead  let threads that have run out of work in a parallel loop read the next convolution's
 *                   packed weights into their cache ({@code -Dinceptionj.cpu.readAhead=true}, the default; see
 *                   {@link ReadAhead}); it only reads, so the same bits either way
 */
public record CpuConfig(int threads, boolean vectorized, long cacheBytes, boolean blockedConv, boolean winograd,
                        boolean blockedActivations, boolean readAhead) {
    public static final String THREADS_PROPERTY = "inceptionj.cpu.threads";
    public static final String VECTOR_PROPERTY = "inceptionj.cpu.vector";
    public static final String CACHE_PROPERTY = "inceptionj.cpu.cacheBytes";
    public static final String BLOCKED_CONV_PROPERTY = "inceptionj.cpu.blockedConv";
    public static final String WINOGRAD_PROPERTY = "inceptionj.cpu.winograd";
    public static final String BLOCKED_ACTIVATIONS_PROPERTY = "inceptionj.cpu.blockedActivations";
    public static final String READ_AHEAD_PROPERTY = "inceptionj.cpu.readAhead";

    public CpuConfig {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("cpu backend: threads must be in [1, 1024], got " + threads);
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cpu backend: cacheBytes must be >= 0, got " + cacheBytes);
        }
    }

    /** These threads and kernels with the default cache (half the maximum heap). */
    public CpuConfig(int threads, boolean vectorized) {
        this(threads, vectorized, defaultCacheBytes());
    }

    /** These threads, kernels and cache, with the blocked convolution where it applies. */
    public CpuConfig(int threads, boolean vectorized, long cacheBytes) {
        this(threads, vectorized, cacheBytes, true);
    }

    /** These threads, kernels, cache and blocked setting, with Winograd's convolutions where they apply. */
    public CpuConfig(int threads, boolean vectorized, long cacheBytes, boolean blockedConv) {
        this(threads, vectorized, cacheBytes, blockedConv, true);
    }

    /** These threads, kernels, cache, blocked and Winograd settings, with activations left channel-blocked. */
    public CpuConfig(int threads, boolean vectorized, long cacheBytes, boolean blockedConv, boolean winograd) {
        this(threads, vectorized, cacheBytes, blockedConv, winograd, true);
    }

    /** These threads, kernels, cache, blocked, Winograd and activation settings, with read-ahead. */
    public CpuConfig(int threads, boolean vectorized, long cacheBytes, boolean blockedConv, boolean winograd,
                     boolean blockedActivations) {
        this(threads, vectorized, cacheBytes, blockedConv, winograd, blockedActivations, true);
    }

    static long defaultCacheBytes() {
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /**
     * Reads {@value #THREADS_PROPERTY}, {@value #VECTOR_PROPERTY}, {@value #CACHE_PROPERTY},
     * {@value #BLOCKED_CONV_PROPERTY}, {@value #WINOGRAD_PROPERTY}, {@value #BLOCKED_ACTIVATIONS_PROPERTY} and
     * {@value #READ_AHEAD_PROPERTY},
     * rejecting malformed values.
     */
    public static CpuConfig fromSystemProperties() {
        String t = System.getProperty(THREADS_PROPERTY);
        int threads = Runtime.getRuntime().availableProcessors();
        if (t != null && !t.isBlank()) {
            try {
                threads = Integer.parseInt(t.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cpu backend: -D" + THREADS_PROPERTY + "=" + t + " is not an integer");
            }
        }
        boolean vectorized = flag(VECTOR_PROPERTY);
        String c = System.getProperty(CACHE_PROPERTY);
        long cacheBytes = defaultCacheBytes();
        if (c != null && !c.isBlank()) {
            try {
                cacheBytes = Long.parseLong(c.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cpu backend: -D" + CACHE_PROPERTY + "=" + c + " is not an integer");
            }
        }
        return new CpuConfig(threads, vectorized, cacheBytes, flag(BLOCKED_CONV_PROPERTY), flag(WINOGRAD_PROPERTY),
                flag(BLOCKED_ACTIVATIONS_PROPERTY), flag(READ_AHEAD_PROPERTY));
    }

    /** A true/false property, true when unset or blank. */
    private static boolean flag(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return true;
        }
        return switch (v.trim().toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("cpu backend: -D" + property + "=" + v
                    + " must be true or false");
        };
    }
}
