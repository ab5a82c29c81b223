package org.inceptionj.inception.distributed;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * The time of one all-reduce of a gradient buffer on its own (not waiting for a slower rank: a
 * barrier comes before each), for the scaling notes in the README:
 *
 * <pre>
 *   mpirun -np N java -cp CLASSPATH --enable-native-access=ALL-UNNAMED \
 *       org.inceptionj.inception.distributed.AllReduceTiming FLOATS...
 * </pre>
 *
 * (-cp first: see DistributedEquivalenceTest.) For each size, 20 timed all-reduces after 3 warm-up
 * ones; rank 0 prints the median and the bus bandwidth of a ring all-reduce, 2(N−1)/N · bytes / t.
 */
public final class AllReduceTiming {
    private AllReduceTiming() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: AllReduceTiming FLOATS... (e.g. 1381000 27161264)");
        }
        try (OpenMpi mpi = OpenMpi.start(Duration.ofSeconds(120)); Arena arena = Arena.ofConfined()) {
            for (String a : args) {
                long n = Long.parseLong(a);
                MemorySegment buffer = arena.allocate(n * Float.BYTES, 64);
                buffer.fill((byte) 0);
                buffer.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 1f);
                double[] ms = new double[20];
                for (int i = -3; i < ms.length; i++) {
                    mpi.barrier();
                    long t0 = System.nanoTime();
                    mpi.allReduceSum(buffer);
                    if (i >= 0) {
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                Arrays.sort(ms);
                double median = ms[ms.length / 2];
                double bus = 2.0 * (mpi.size() - 1) / mpi.size() * n * Float.BYTES / (median / 1e3) / 1e9;
                if (mpi.rank() == 0) {
                    System.out.printf(Locale.ROOT, "%d ranks, %d floats (%.1f MB): all-reduce median %.2f ms (min %.2f, max %.2f),"
                            + " bus bandwidth %.2f GB/s%n", mpi.size(), n, n * 4e-6, median, ms[0], ms[ms.length - 1], bus);
                }
            }
        }
    }
}
