package org.inceptionj.cpu;

/**
 * How the CPU backend runs.
 *
 * @param threads    worker threads for the parallel loops ({@code -Dinceptionj.cpu.threads=N};
 *                   default: available processors). Results are bit-identical for a given count.
 * @param vectorized use the Java Vector API kernels ({@code -Dinceptionj.cpu.vector=true}, the
 *                   default) or the plain scalar loops that read like the math ({@code false}):
 *                   the one switch that runs the whole backend on its plain path.
 */
public record CpuConfig(int threads, boolean vectorized) {
    public static final String THREADS_PROPERTY = "inceptionj.cpu.threads";
    public static final String VECTOR_PROPERTY = "inceptionj.cpu.vector";

    public CpuConfig {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("cpu backend: threads must be in [1, 1024], got " + threads);
        }
    }

    /** Reads {@value #THREADS_PROPERTY} and {@value #VECTOR_PROPERTY}, rejecting malformed values. */
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
        return new CpuConfig(threads, vectorized);
    }
}
