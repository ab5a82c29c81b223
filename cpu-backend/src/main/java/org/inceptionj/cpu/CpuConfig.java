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
 */
public record CpuConfig(int threads, boolean vectorized, long cacheBytes) {
    public static final String THREADS_PROPERTY = "inceptionj.cpu.threads";
    public static final String VECTOR_PROPERTY = "inceptionj.cpu.vector";
    public static final String CACHE_PROPERTY = "inceptionj.cpu.cacheBytes";

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

    static long defaultCacheBytes() {
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /** Reads {@value #THREADS_PROPERTY}, {@value #VECTOR_PROPERTY} and {@value #CACHE_PROPERTY}, rejecting malformed values. */
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
        String v = System.getProperty(VECTOR_PROPERTY);
        boolean vectorized = true;
        if (v != null && !v.isBlank()) {
            switch (v.trim().toLowerCase()) {
                case "true" -> vectorized = true;
                case "false" -> vectorized = false;
                default -> throw new IllegalArgumentException("cpu backend: -D" + VECTOR_PROPERTY + "=" + v
                        + " must be true or false");
            }
        }
        String c = System.getProperty(CACHE_PROPERTY);
        long cacheBytes = defaultCacheBytes();
        if (c != null && !c.isBlank()) {
            try {
                cacheBytes = Long.parseLong(c.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cpu backend: -D" + CACHE_PROPERTY + "=" + c + " is not an integer");
            }
        }
        return new CpuConfig(threads, vectorized, cacheBytes);
    }
}
