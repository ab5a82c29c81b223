package org.inceptionj.bench;

import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's FP32 FMA peak, the yardstick for conv GFLOP/s: {@value #CHAINS} independent
 * chains a ← a·m + c, each one FMA per step, held in registers (no memory traffic). Independent
 * chains hide the FMA latency: with latency L cycles and P FMA ports, L·P chains keep every port
 * busy (4·2 = 8 on current x86 cores; 12 leaves headroom and still fits in 16 AVX2 registers
 * beside m and c).
 *
 * <p>Units. Each invocation issues {@value #CHAINS}·{@value #STEPS} FMAs, declared with
 * {@code @OperationsPerInvocation}, so JMH's ops/s is FMA instructions per second (vector FMAs for
 * the {@code vector*} benchmarks, scalar ones for {@code scalar}). One FMA is 2 FLOP per lane:
 * FLOP/s = ops/s × 2 × lanes, with lanes = {@code FloatVector.SPECIES_PREFERRED.length()} (printed
 * by the setup; 1 for {@code scalar}). The {@code :gflop} secondary result is that FLOP/s, in GFLOP/s.
 * {@code vectorAllThreads} runs one copy per available processor and JMH sums them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:Tier3DelayOn=100000"})
public class FmaPeakBenchmark {
    static final int CHAINS = 12;
    static final int STEPS = 1024;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    // Fields, not constants, so the JIT cannot fold the chains. With |m| < 1 every chain
    // converges to c/(1 − m): no overflow, no subnormals, whatever the run length.
    private float m = 0.999f;
    private float c = 0.001f;
    private double vectorGflopPerCall;
    private double scalarGflopPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        vectorGflopPerCall = 2.0 * F.length() * CHAINS * STEPS / 1e9;
        scalarGflopPerCall = 2.0 * CHAINS * STEPS / 1e9;
        System.out.printf("%nFMA peak: %d lanes of float (%d-bit vectors), %d chains x %d steps per call; "
                        + "FLOP/s = ops/s x 2 x lanes (vector), ops/s x 2 (scalar); %d processors%n",
                F.length(), F.vectorBitSize(), CHAINS, STEPS, Runtime.getRuntime().availableProcessors());

        // Self-check: every lane of every chain must follow the scalar recurrence a ← fma(a, m, c);
        // Math.fma rounds once, exactly like the vector FMA, so the chain values agree bit for bit
        // and only the final sum over chains and lanes (order unspecified) is compared loosely.
        double expected = 0;
        for (int k = 0; k < CHAINS; k++) {
            float a = start(k);
            for (int i = 0; i < STEPS; i++) {
                a = Math.fma(a, m, c);
            }
            expected += a;
        }
        Bench.check("FmaPeakBenchmark vector", "sum of chains x lanes", expected * F.length(), vectorChains(),
                1e-5 * Math.abs(expected * F.length()));
        Bench.check("FmaPeakBenchmark scalar", "sum of chains", expected, scalarChains(), 1e-5 * Math.abs(expected));
    }

    private static float start(int chain) {
        return 0.5f + chain * 0.25f;
    }

    /** One call: CHAINS vector chains, STEPS FMAs each; returns the sum of every lane of every chain. */
    private float vectorChains() {
        FloatVector vm = FloatVector.broadcast(F, m), vc = FloatVector.broadcast(F, c);
        // Twelve named accumulators rather than an array, so that C2 keeps them in registers.
        FloatVector a0 = FloatVector.broadcast(F, start(0)), a1 = FloatVector.broadcast(F, start(1));
        FloatVector a2 = FloatVector.broadcast(F, start(2)), a3 = FloatVector.broadcast(F, start(3));
        FloatVector a4 = FloatVector.broadcast(F, start(4)), a5 = FloatVector.broadcast(F, start(5));
        FloatVector a6 = FloatVector.broadcast(F, start(6)), a7 = FloatVector.broadcast(F, start(7));
        FloatVector a8 = FloatVector.broadcast(F, start(8)), a9 = FloatVector.broadcast(F, start(9));
        FloatVector a10 = FloatVector.broadcast(F, start(10)), a11 = FloatVector.broadcast(F, start(11));
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(vm, vc);
            a1 = a1.fma(vm, vc);
            a2 = a2.fma(vm, vc);
            a3 = a3.fma(vm, vc);
            a4 = a4.fma(vm, vc);
            a5 = a5.fma(vm, vc);
            a6 = a6.fma(vm, vc);
            a7 = a7.fma(vm, vc);
            a8 = a8.fma(vm, vc);
            a9 = a9.fma(vm, vc);
            a10 = a10.fma(vm, vc);
            a11 = a11.fma(vm, vc);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return s.reduceLanes(VectorOperators.ADD);
    }

    /** The scalar twin: the same chains with Math.fma, one float each. */
    private float scalarChains() {
        float vm = m, vc = c;
        float a0 = start(0), a1 = start(1), a2 = start(2), a3 = start(3), a4 = start(4), a5 = start(5);
        float a6 = start(6), a7 = start(7), a8 = start(8), a9 = start(9), a10 = start(10), a11 = start(11);
        for (int i = 0; i < STEPS; i++) {
            a0 = Math.fma(a0, vm, vc);
            a1 = Math.fma(a1, vm, vc);
            a2 = Math.fma(a2, vm, vc);
            a3 = Math.fma(a3, vm, vc);
            a4 = Math.fma(a4, vm, vc);
            a5 = Math.fma(a5, vm, vc);
            a6 = Math.fma(a6, vm, vc);
            a7 = Math.fma(a7, vm, vc);
            a8 = Math.fma(a8, vm, vc);
            a9 = Math.fma(a9, vm, vc);
            a10 = Math.fma(a10, vm, vc);
            a11 = Math.fma(a11, vm, vc);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }

    /** Single-thread vector FMA peak. */
    @Benchmark
    @OperationsPerInvocation(CHAINS * STEPS)
    public float vectorSingleThread(Bench.Flops flops) {
        flops.gflop += vectorGflopPerCall;
        return vectorChains();
    }

    /** All-threads vector FMA peak: one benchmark thread per available processor, summed. */
    @Benchmark
    @Threads(Threads.MAX)
    @OperationsPerInvocation(CHAINS * STEPS)
    public float vectorAllThreads(Bench.Flops flops) {
        flops.gflop += vectorGflopPerCall;
        return vectorChains();
    }

    /** Single-thread scalar FMA peak: the yardstick for the plain (impl=plain) kernels. */
    @Benchmark
    @OperationsPerInvocation(CHAINS * STEPS)
    public float scalarSingleThread(Bench.Flops flops) {
        flops.gflop += scalarGflopPerCall;
        return scalarChains();
    }
}
