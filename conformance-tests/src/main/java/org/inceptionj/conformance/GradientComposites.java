package org.inceptionj.conformance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.api.autograd.Tape;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.CrossEntropyReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.LinearReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.ReduceReference;

/**
 * The two small networks of the end-to-end gradient checks, each written once over {@link Net}, so
 * that the backend's {@link Tape} ({@link TapeNet}, float32) and the double references
 * ({@link DoubleNet}) run the very same graph. Names follow torchvision's {@code inception.py}.
 * <ul>
 *   <li>{@value #INCEPTION_A}: x [2,3,5,5] feeds the four branches of an InceptionA block with
 *       small channels — branch1x1 (1×1, 2), branch5x5 (1×1, 2 → 5×5 pad 2, 3), branch3x3dbl
 *       (1×1, 2 → 3×3 pad 1, 3 → 3×3 pad 1, 3), branch_pool (3×3/1 pad 1 average pool, padding
 *       counted → 1×1, 2) — each conv a BasicConv2d: conv without bias, training-mode batch norm
 *       (ε = 0.001), ReLU; the branches are concatenated along channels (10), then global average
 *       pool, fc 10 → 4 with bias, and label-smoothed cross-entropy (ε = 0.1, a random prior).</li>
 *   <li>{@value #STEM}: x [2,3,11,11] → Conv2d_1a_3x3 (3 → 4, stride 2) → Conv2d_2b_3x3 (4 → 4,
 *       pad 1) → max pool 3×3/2, the start of Inception-v3's stem; loss Σ c·y with fixed random
 *       weights c (the upstream gradient of {@link Tape#backward(Tensor, Tensor)}).</li>
 * </ul>
 * Parameters are drawn from a seed; the draw is repeated (with the next seeds) until every ReLU
 * input is at least {@link #KINK_MARGIN} from 0 and every max-pool window's winner at least that
 * far above its runner-up, so that finite differences never straddle a kink.
 */
final class GradientComposites {
    private GradientComposites() {
    }

    static final String INCEPTION_A = "inceptionA";
    static final String STEM = "stem";
    static final float BN_EPS = 1e-3f;
    static final float BN_MOMENTUM = 0.1f;
    static final float LABEL_SMOOTHING = 0.1f;
    static final int CLASSES = 4;
    /** The least distance of a ReLU input from 0, and of a max-pool winner from its runner-up. */
    static final double KINK_MARGIN = 1e-3;

    /** The ops the networks are made of. */
    interface Net<T> {
        T conv(T x, T w, Conv2dSpec spec);

        /** Training-mode batch norm with fresh running statistics. */
        T batchNorm(T x, T gamma, T beta);

        T relu(T x);

        T maxPool(T x, Pool2dSpec spec);

        T avgPool(T x, Pool2dSpec spec);

        /** Concatenation along channels. */
        T concat(List<T> parts);

        /** [N,C,H,W] → [N,C]: global average pool, then flatten. */
        T globalAvgPool(T x);

        T linear(T x, T w, T b);
    }

    // ================================================================ the networks

    /** BasicConv2d: conv (no bias) → batch norm → ReLU, parameters {@code name.conv.weight}, {@code name.bn.weight/bias}. */
    static <T> T basicConv2d(Net<T> f, Map<String, T> p, String name, T x, Conv2dSpec spec) {
        T conv = f.conv(x, p.get(name + ".conv.weight"), spec);
        return f.relu(f.batchNorm(conv, p.get(name + ".bn.weight"), p.get(name + ".bn.bias")));
    }

    /** The network's output: logits [2,4] ({@value #INCEPTION_A}) or y [2,4,2,2] ({@value #STEM}). */
    static <T> T forward(String network, Net<T> f, Map<String, T> p, T x) {
        switch (network) {
            case INCEPTION_A -> {
                Conv2dSpec one = Conv2dSpec.of(1, 0);
                T branch1x1 = basicConv2d(f, p, "branch1x1", x, one);                       // 2 x 2 x 5 x 5
                T branch5x5 = basicConv2d(f, p, "branch5x5_1", x, one);                     // 2 x 2 x 5 x 5
                branch5x5 = basicConv2d(f, p, "branch5x5_2", branch5x5, Conv2dSpec.of(1, 2)); // 2 x 3 x 5 x 5
                T branch3x3dbl = basicConv2d(f, p, "branch3x3dbl_1", x, one);               // 2 x 2 x 5 x 5
                branch3x3dbl = basicConv2d(f, p, "branch3x3dbl_2", branch3x3dbl, Conv2dSpec.of(1, 1));
                branch3x3dbl = basicConv2d(f, p, "branch3x3dbl_3", branch3x3dbl, Conv2dSpec.of(1, 1));
                T branchPool = f.avgPool(x, Pool2dSpec.of(3, 1, 1));                         // 2 x 3 x 5 x 5
                branchPool = basicConv2d(f, p, "branch_pool", branchPool, one);             // 2 x 2 x 5 x 5
                T mixed = f.concat(List.of(branch1x1, branch5x5, branch3x3dbl, branchPool)); // 2 x 10 x 5 x 5
                return f.linear(f.globalAvgPool(mixed), p.get("fc.weight"), p.get("fc.bias")); // 2 x 4
            }
            case STEM -> {
                T y = basicConv2d(f, p, "Conv2d_1a_3x3", x, Conv2dSpec.of(2, 0));            // 2 x 4 x 5 x 5
                y = basicConv2d(f, p, "Conv2d_2b_3x3", y, Conv2dSpec.of(1, 1));              // 2 x 4 x 5 x 5
                return f.maxPool(y, Pool2dSpec.of(3, 2, 0));                                 // 2 x 4 x 2 x 2
            }
            default -> throw new IllegalArgumentException("no network named " + network);
        }
    }

    /** Input shape and parameter shapes, in order. */
    static Map<String, Shape> shapes(String network) {
        Map<String, Shape> s = new LinkedHashMap<>();
        switch (network) {
            case INCEPTION_A -> {
                s.put("input", Shape.of(2, 3, 5, 5));
                basic(s, "branch1x1", 2, 3, 1);
                basic(s, "branch5x5_1", 2, 3, 1);
                basic(s, "branch5x5_2", 3, 2, 5);
                basic(s, "branch3x3dbl_1", 2, 3, 1);
                basic(s, "branch3x3dbl_2", 3, 2, 3);
                basic(s, "branch3x3dbl_3", 3, 3, 3);
                basic(s, "branch_pool", 2, 3, 1);
                s.put("fc.weight", Shape.of(CLASSES, 10));
                s.put("fc.bias", Shape.of(CLASSES));
            }
            case STEM -> {
                s.put("input", Shape.of(2, 3, 11, 11));
                basic(s, "Conv2d_1a_3x3", 4, 3, 3);
                basic(s, "Conv2d_2b_3x3", 4, 4, 3);
            }
            default -> throw new IllegalArgumentException("no network named " + network);
        }
        return s;
    }

    private static void basic(Map<String, Shape> s, String name, int out, int in, int k) {
        s.put(name + ".conv.weight", Shape.of(out, in, k, k));
        s.put(name + ".bn.weight", Shape.of(out));
        s.put(name + ".bn.bias", Shape.of(out));
    }

    // ================================================================ an instance: values and loss data

    /**
     * The input and parameters (all float values, "input" first), the labels and prior of
     * {@value #INCEPTION_A}'s loss, the weights c of {@value #STEM}'s.
     */
    record Instance(String network, Map<String, DTensor> tensors, int[] labels, DTensor prior, DTensor weights) {
    }

    /** The first draw from seed, seed + 1, ... whose kinks are all at least {@link #KINK_MARGIN} away. */
    static Instance instance(String network, long seed) {
        for (int attempt = 0; attempt < 200; attempt++) {
            Instance in = draw(network, seed + attempt);
            DoubleNet f = new DoubleNet();
            forward(network, f, in.tensors(), in.tensors().get("input"));
            if (f.margin >= KINK_MARGIN) {
                return in;
            }
        }
        throw new IllegalStateException(network + ": no parameters with all kinks " + KINK_MARGIN
                + " away found from seed " + seed);
    }

    private static Instance draw(String network, long seed) {
        Map<String, DTensor> t = new LinkedHashMap<>();
        int k = 0;
        for (Map.Entry<String, Shape> e : shapes(network).entrySet()) {
            String name = e.getKey();
            long s = seed * 1000 + k++;
            t.put(name, name.endsWith(".bn.weight") ? Values.uniform(e.getValue(), s, 0.5, 1.5)
                    : name.endsWith(".bn.bias") || name.equals("fc.bias") ? Values.uniform(e.getValue(), s, -0.5, 0.5)
                    : Values.uniform(e.getValue(), s, -1, 1));
        }
        int n = t.get("input").shape().dim(0);
        return new Instance(network, t, GradientGenerators.labels(n, CLASSES, seed),
                GradientGenerators.prior(CLASSES, seed + 1), Values.uniform(Shape.of(2, 4, 2, 2), seed + 2, -1, 1));
    }

    /** The loss in double precision, and the sign and winner pattern of the kinks on the way. */
    record Evaluation(double loss, long pattern) {
    }

    static Evaluation loss(Instance in) {
        DoubleNet f = new DoubleNet();
        DTensor out = forward(in.network(), f, in.tensors(), in.tensors().get("input"));
        double loss;
        if (in.network().equals(INCEPTION_A)) {
            loss = CrossEntropyReference.forward(out, in.labels(), LABEL_SMOOTHING, in.prior()).loss().data()[0];
        } else {
            loss = 0;
            for (int i = 0; i < out.size(); i++) {
                loss += in.weights().data()[i] * out.data()[i];
            }
        }
        return new Evaluation(loss, f.pattern);
    }

    /** Runs the network on the tape (inputs already uploaded and watched) and its backward pass from the loss. */
    static void backward(Instance in, Tape tape, Map<String, Tensor> tensors) {
        Backend be = tensors.get("input").backend();
        Tensor out = forward(in.network(), new TapeNet(tape), tensors, tensors.get("input"));
        if (in.network().equals(INCEPTION_A)) {
            Tensor prior = Ops.fromArray(be, in.prior().shape(), in.prior().toFloats());
            tape.backward(tape.crossEntropy(out, in.labels(), LABEL_SMOOTHING, prior));
        } else {
            tape.backward(out, Ops.fromArray(be, in.weights().shape(), in.weights().toFloats()));
        }
    }

    // ================================================================ the two interpreters

    /** The double references; tracks how close the ReLU inputs and max-pool runners-up come to a kink. */
    static final class DoubleNet implements Net<DTensor> {
        double margin = Double.POSITIVE_INFINITY;
        long pattern = 17;

        @Override
        public DTensor conv(DTensor x, DTensor w, Conv2dSpec spec) {
            return Conv2dReference.forward(x, w, null, spec);
        }

        @Override
        public DTensor batchNorm(DTensor x, DTensor gamma, DTensor beta) {
            Shape c = gamma.shape();
            return BatchNormReference.training(x, gamma, beta, DTensor.zeros(c), DTensor.full(c, 1), BN_EPS,
                    BN_MOMENTUM).out();
        }

        @Override
        public DTensor relu(DTensor x) {
            for (double v : x.data()) {
                margin = Math.min(margin, Math.abs(v));
                pattern = pattern * 31 + (v > 0 ? 1 : 0);
            }
            return ElementwiseReference.unary(UnaryOp.RELU, x);
        }

        /** Also: the gap between each window's winner and runner-up (windows of ReLU zeros only excepted: constant). */
        @Override
        public DTensor maxPool(DTensor x, Pool2dSpec s) {
            DTensor y = PoolingReference.max(x, s);
            int h = x.shape().dim(2), w = x.shape().dim(3);
            for (int flat = 0; flat < y.size(); flat++) {
                int[] o = DTensor.unravel(y.shape(), flat);
                double best = Double.NEGATIVE_INFINITY, second = Double.NEGATIVE_INFINITY;
                int winner = -1;
                for (int i = 0; i < s.kernelH(); i++) {
                    int ih = o[2] * s.strideH() - s.padTop() + i * s.dilationH();
                    for (int j = 0; j < s.kernelW(); j++) {
                        int iw = o[3] * s.strideW() - s.padLeft() + j * s.dilationW();
                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                            double v = x.get(o[0], o[1], ih, iw);
                            if (v > best) {
                                second = best;
                                best = v;
                                winner = i * s.kernelW() + j;
                            } else {
                                second = Math.max(second, v);
                            }
                        }
                    }
                }
                if (best != 0) {
                    margin = Math.min(margin, best - second);
                }
                pattern = pattern * 31 + winner;
            }
            return y;
        }

        @Override
        public DTensor avgPool(DTensor x, Pool2dSpec spec) {
            return PoolingReference.average(x, spec);
        }

        @Override
        public DTensor concat(List<DTensor> parts) {
            return LayoutReference.concat(parts.toArray(DTensor[]::new), 1);
        }

        @Override
        public DTensor globalAvgPool(DTensor x) {
            DTensor m = ReduceReference.reduce(ReduceOp.MEAN, x, new boolean[] {false, false, true, true}, true);
            return m.reshape(Shape.of(x.shape().dim(0), x.shape().dim(1)));
        }

        @Override
        public DTensor linear(DTensor x, DTensor w, DTensor b) {
            return LinearReference.forward(x, w, b);
        }
    }

    /** The backend, through the tape; batch norm's running statistics are fresh tensors of the current scope. */
    static final class TapeNet implements Net<Tensor> {
        private final Tape tape;

        TapeNet(Tape tape) {
            this.tape = tape;
        }

        @Override
        public Tensor conv(Tensor x, Tensor w, Conv2dSpec spec) {
            return tape.conv2d(x, w, null, spec);
        }

        @Override
        public Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta) {
            Backend be = x.backend();
            Tensor runningMean = Ops.zeros(be, gamma.shape()), runningVar = Ops.full(be, gamma.shape(), 1f);
            return tape.batchNorm(x, gamma, beta, runningMean, runningVar, BN_EPS, BN_MOMENTUM, true);
        }

        @Override
        public Tensor relu(Tensor x) {
            return tape.relu(x);
        }

        @Override
        public Tensor maxPool(Tensor x, Pool2dSpec spec) {
            return tape.maxPool2d(x, spec);
        }

        @Override
        public Tensor avgPool(Tensor x, Pool2dSpec spec) {
            return tape.avgPool2d(x, spec);
        }

        @Override
        public Tensor concat(List<Tensor> parts) {
            return tape.concat(1, parts.toArray(Tensor[]::new));
        }

        @Override
        public Tensor globalAvgPool(Tensor x) {
            return tape.flatten(tape.globalAvgPool(x), 1);
        }

        @Override
        public Tensor linear(Tensor x, Tensor w, Tensor b) {
            return tape.linear(x, w, b);
        }
    }
}
