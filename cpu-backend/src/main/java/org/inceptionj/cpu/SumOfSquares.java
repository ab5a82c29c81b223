package org.inceptionj.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.inceptionj.api.Tensor;

/**
 * out[i] = Σ_j x_i[j]², one sum per tensor of a list: the squared norms of gradient clipping and of
 * the weight-decay loss, for all tensors in one call.
 *
 * <p>Each tensor is cut into blocks of {@value #BLOCK} elements; threads take blocks, each block is
 * summed in double (the squares of floats are exact in double, so only the additions round), and
 * the blocks of a tensor are added in order. The blocks do not depend on the thread count, so
 * neither does the result. The vector path sums a block lane by lane (as {@link Reduce#sumVector}),
 * an order that differs from the plain loop's, so the two paths may differ in the last bits.
 */
final class SumOfSquares {
    private SumOfSquares() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    /** Elements per block: a fixed cut, so the sums do not depend on the thread count. */
    static final int BLOCK = 1 << 14;

    /** out[i] = Σ_j xs[i][j]². Overwrites out; xs may repeat a tensor. */
    static void sumOfSquares(CpuBackend cpu, Tensor out, Tensor[] xs) {
        float[] o = CpuBackend.data(out);
        float[][] x = TensorLists.data(xs);
        int[] firstBlock = new int[x.length + 1];
        for (int i = 0; i < x.length; i++) {
            firstBlock[i + 1] = firstBlock[i] + Math.max(1, (x[i].length + BLOCK - 1) / BLOCK);
        }
        double[] partial = new double[firstBlock[x.length]];
        boolean vector = cpu.vectorized();
        cpu.parallel().forRange(partial.length, 1, (lo, hi) -> {
            int i = 0;
            for (int b = lo; b < hi; b++) {
                while (firstBlock[i + 1] <= b) {
                    i++;
                }
                int from = (b - firstBlock[i]) * BLOCK, to = Math.min(x[i].length, from + BLOCK);
                partial[b] = vector ? sumVector(x[i], from, to) : sumPlain(x[i], from, to);
            }
        });
        for (int i = 0; i < x.length; i++) {
            double s = 0;
            for (int b = firstBlock[i]; b < firstBlock[i + 1]; b++) {
                s += partial[b];
            }
            o[i] = (float) s;
        }
    }

    /** Σ x[j]² for j in [from, to), in double, in order. */
    static double sumPlain(float[] x, int from, int to) {
        double s = 0;
        for (int j = from; j < to; j++) {
            double v = x[j];
            s += v * v;
        }
        return s;
    }

    /** The same, each double lane summing its share (widened in place, see {@link Vectors}), lanes added in order. */
    static double sumVector(float[] x, int from, int to) {
        DoubleVector acc = DoubleVector.zero(D);
        int j = from;
        for (int bound = from + D.loopBound(to - from); j < bound; j += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, j, Vectors.LOWER_HALF).convertShape(VectorOperators.F2D, D, 0);
            acc = acc.add(v.mul(v));
        }
        return Reduce.sumLanes(acc) + sumPlain(x, j, to);
    }
}
