package org.inceptionj.api;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal backend for the api module's own tests: memory only. Every compute primitive
 * throws, which these tests never call.
 */
final class HeapBackend implements Backend {
    final AtomicLong live = new AtomicLong();
    private final String name;
    private final Set<OptionalFeature> unsupported;

    HeapBackend(String name) {
        this(name, Set.of());
    }

    /** A heap backend that declares {@code unsupported} (see {@link Backend#unsupported()}). */
    HeapBackend(String name, Set<OptionalFeature> unsupported) {
        this.name = name;
        this.unsupported = unsupported;
    }

    @Override public Set<OptionalFeature> unsupported() { return unsupported; }

    final class Mem implements Storage {
        final float[] data;

        Mem(int n) {
            data = new float[n];
            live.addAndGet(byteSize());
        }

        @Override
        public long byteSize() {
            return 4L * data.length;
        }

        @Override
        public void free() {
            live.addAndGet(-byteSize());
        }
    }

    @Override public String name() { return name; }
    @Override public String describe() { return name + " (test heap backend)"; }
    @Override public Tensor allocate(Shape shape) { return new Tensor(this, shape, new Mem(shape.size())); }
    @Override public void write(Tensor dst, float[] src, int off) {
        System.arraycopy(src, off, dst.storage(Mem.class).data, 0, dst.size());
    }
    @Override public void read(Tensor src, float[] dst, int off) {
        System.arraycopy(src.storage(Mem.class).data, 0, dst, off, src.size());
    }
    @Override public void copy(Tensor out, Tensor x) {
        System.arraycopy(x.storage(Mem.class).data, 0, out.storage(Mem.class).data, 0, x.size());
    }
    @Override public long liveBytes() { return live.get(); }
    @Override public void fill(Tensor out, float value) { java.util.Arrays.fill(out.storage(Mem.class).data, value); }
    @Override public void fillRandom(Tensor o, RandomStream.Distribution d, long s, float a, float b) { throw no(); }
    @Override public void unary(UnaryOp op, Tensor out, Tensor x) { throw no(); }
    @Override public void binary(BinaryOp op, Tensor out, Tensor a, Tensor b) { throw no(); }
    @Override public void affine(Tensor out, Tensor x, float alpha, float beta) { throw no(); }
    @Override public void clip(Tensor out, Tensor x, float lo, float hi) { throw no(); }
    @Override public void reduce(ReduceOp op, Tensor out, Tensor x, boolean[] axes) { throw no(); }
    @Override public void concat(Tensor out, Tensor[] parts, int axis) { throw no(); }
    @Override public void slice(Tensor out, Tensor x, int axis, int start) { throw no(); }
    @Override public void matmul(Tensor out, Tensor a, Tensor b, boolean ta, boolean tb) { throw no(); }
    @Override public void conv2d(Tensor out, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) { throw no(); }
    @Override public void batchNormInference(Tensor o, Tensor x, Tensor g, Tensor b, Tensor m, Tensor v, float e) { throw no(); }
    @Override public void batchNormTraining(Tensor o, Tensor sm, Tensor si, Tensor x, Tensor g, Tensor b, Tensor rm,
                                            Tensor rv, float e, float mo) { throw no(); }
    @Override public void maxPool2d(Tensor out, Tensor x, Pool2dSpec spec) { throw no(); }
    @Override public void avgPool2d(Tensor out, Tensor x, Pool2dSpec spec) { throw no(); }
    @Override public void softmax(Tensor out, Tensor x, int axis, boolean log) { throw no(); }
    @Override public void dropout(Tensor out, Tensor mask, Tensor x, float p, long seed) { throw no(); }
    @Override public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dSpec s) { throw no(); }
    @Override public void conv2dBackwardWeight(Tensor dw, Tensor dy, Tensor x, Conv2dSpec s) { throw no(); }
    @Override public void batchNormBackward(Tensor dx, Tensor dg, Tensor db, Tensor dy, Tensor x, Tensor g, Tensor m,
                                            Tensor is) { throw no(); }
    @Override public void reluBackward(Tensor dx, Tensor dy, Tensor y) { throw no(); }
    @Override public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Pool2dSpec s) { throw no(); }
    @Override public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dSpec s) { throw no(); }
    @Override public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis, boolean log) { throw no(); }
    @Override public void softmaxCrossEntropy(Tensor l, Tensor d, Tensor x, int[] y, float e, Tensor p) { throw no(); }
    @Override public void sumOfSquares(Tensor out, Tensor[] xs) { throw no(); }
    @Override public void axpy(Tensor[] y, float alpha, Tensor[] x) { throw no(); }
    @Override public void momentumUpdate(Tensor[] t, Tensor[] a, Tensor[] g, Tensor s, float lr, float mu, boolean n) { throw no(); }
    @Override public void rmsPropUpdate(Tensor[] t, Tensor[] ms, Tensor[] mom, Tensor[] g, Tensor s, float lr, float rho,
                                        float mu, float eps) { throw no(); }
    @Override public void adamUpdate(Tensor[] t, Tensor[] m, Tensor[] v, Tensor[] g, Tensor p1, Tensor p2, Tensor s,
                                     float lr, float b1, float b2, float eps) { throw no(); }
    @Override public void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) { throw no(); }
    @Override public void close() { }

    private static UnsupportedOperationException no() {
        return new UnsupportedOperationException("HeapBackend has memory only");
    }
}
