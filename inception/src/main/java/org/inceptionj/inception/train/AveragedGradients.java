package org.inceptionj.inception.train;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.distributed.Collective;

/**
 * The gradient of a global batch split into M micro-batches on each of N replicas (ranks):
 *
 * <pre>
 *   ḡ = (1/(M·N)) · Σ_{r=0}^{N−1} Σ_{m=0}^{M−1} g_{r,m}        g_{r,m} = ∂L(micro-batch m of rank r)/∂θ
 * </pre>
 *
 * the gradient of the mean loss over the global batch when the micro-batches are of one size (each
 * g is the gradient of its own mean). The two mean losses (main and aux head) ride along as two
 * more floats, so one step needs exactly one all-reduce.
 *
 * <p>Layout: one flat off-heap buffer [g of parameter 0 | g of parameter 1 | … | loss | aux loss],
 * parameters in the model's order (the same on every rank). Micro-batch 0 is copied into it and
 * the others added, in order; the collective then sums over ranks, and the sum is multiplied by
 * 1/(M·N). For two micro-batches in one process this computes fl(g₀ + g₁)·½, and for two ranks of
 * one micro-batch each MPI's sum is fl(g₀ + g₁) too (float addition is commutative, and a sum of two
 * has no order to choose), so the two give the same bits: the equivalence that
 * {@code DistributedEquivalenceTest} checks. With more terms the summation order of MPI's
 * all-reduce is its own and the results agree within rounding.
 *
 * <p>Reading the gradients to the host costs one copy of the parameters per micro-batch; the
 * single-process, single-batch step does not come here ({@link TrainStep}). Owns its buffer;
 * {@link #close()} frees it.
 */
final class AveragedGradients implements AutoCloseable {
    private final Map<String, Tensor> params;
    private final Collective collective;
    private final Arena arena = Arena.ofShared();
    /** [Σ g | Σ loss | Σ aux loss]: parameters' elements, then two floats. */
    private final MemorySegment sum;
    private final long elements;
    /** One parameter's gradient on the host, read from the backend, for micro-batches after the first. */
    private final MemorySegment staging;
    /** Time spent so far: in the all-reduce, and copying between the backend and the buffer. */
    private long reduceNanos, copyNanos, reductions;

    AveragedGradients(Map<String, Tensor> params, Collective collective) {
        if (params == null || params.isEmpty() || collective == null) {
            throw new IllegalArgumentException("AveragedGradients: needs parameters and a collective, got "
                    + (params == null ? "null" : params.size() + " parameters") + " and " + collective);
        }
        this.params = params;
        this.collective = collective;
        long n = 0;
        int largest = 1;
        for (Tensor p : params.values()) {
            n += p.size();
            largest = Math.max(largest, p.size());
        }
        this.elements = n;
        this.sum = arena.allocate((n + 2) * Float.BYTES, 64);
        this.staging = arena.allocate((long) largest * Float.BYTES, 64);
    }

    /** Floats that one all-reduce of a step carries: the parameters' elements and the two losses. */
    long floats() {
        return elements + 2;
    }

    /**
     * Adds micro-batch {@code micro}'s gradients (by parameter name) and its mean losses to the sum;
     * micro-batch 0 starts it (copied, not added to zeros: −0 + +0 would be +0). {@code aux} is null
     * without the aux head.
     */
    void add(int micro, Map<String, Tensor> grads, Tensor loss, Tensor aux) {
        long t0 = System.nanoTime();
        long at = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor g = grads.get(e.getKey());
            accumulate(micro, at, g);
            at += g.size();
        }
        accumulate(micro, at, loss);
        if (aux != null) {
            accumulate(micro, at + 1, aux);
        } else {
            sum.setAtIndex(ValueLayout.JAVA_FLOAT, at + 1, 0f);
        }
        copyNanos += System.nanoTime() - t0;
    }

    /** Micro-batch 0: sum[at..] = t (read straight into the buffer); later ones: sum[at..] += t. */
    private void accumulate(int micro, long at, Tensor t) {
        long n = t.size();
        if (micro == 0) {
            Ops.read(t, sum.asSlice(at * Float.BYTES, n * Float.BYTES));
            return;
        }
        Ops.read(t, staging.asSlice(0, n * Float.BYTES));
        for (long i = 0; i < n; i++) {
            long k = at + i;
            sum.setAtIndex(ValueLayout.JAVA_FLOAT, k,
                    sum.getAtIndex(ValueLayout.JAVA_FLOAT, k) + staging.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }

    /** The averaged gradients (new tensors in the current scope, by parameter name) and mean losses. */
    record Averaged(Map<String, Tensor> gradients, Tensor loss, Tensor auxLoss) {
    }

    /**
     * Sums over the ranks (one all-reduce) and divides by M·N: ḡ and the mean losses, as new
     * tensors on {@code backend} in the current scope. Every rank must call it once per step.
     */
    Averaged reduce(int microBatches, Backend backend) {
        long t0 = System.nanoTime();
        collective.allReduceSum(sum);
        long t1 = System.nanoTime();
        reduceNanos += t1 - t0;
        reductions++;
        float scale = 1f / ((float) microBatches * collective.size());
        for (long i = 0; i < floats(); i++) {
            sum.setAtIndex(ValueLayout.JAVA_FLOAT, i, sum.getAtIndex(ValueLayout.JAVA_FLOAT, i) * scale);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        long at = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor p = e.getValue();
            long n = p.size();
            out.put(e.getKey(), Ops.fromSegment(backend, p.shape(), sum.asSlice(at * Float.BYTES, n * Float.BYTES)));
            at += n;
        }
        copyNanos += System.nanoTime() - t1;
        float loss = sum.getAtIndex(ValueLayout.JAVA_FLOAT, at);
        float aux = sum.getAtIndex(ValueLayout.JAVA_FLOAT, at + 1);
        return new Averaged(out, Ops.fromArray(backend, Shape.scalar(), loss), Ops.fromArray(backend, Shape.scalar(), aux));
    }

    /** The time the averaging took so far, for the log. */
    TrainStep.AveragingTime time() {
        return new TrainStep.AveragingTime(reductions, floats(), reduceNanos / 1e9, copyNanos / 1e9);
    }

    @Override
    public void close() {
        arena.close();
    }
}
