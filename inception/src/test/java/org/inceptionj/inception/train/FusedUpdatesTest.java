package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.inceptionj.api.Backend;
import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.cpu.CpuConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The optimizers, the parameter average, weight decay and clipping are one fused backend call each;
 * before, each was composed of unary, affine and binary calls per parameter. The math is the same,
 * so the bits must be, but for the sign of a zero (the composition's affine α·x + 0 turned −0 into
 * +0): each update here runs both ways, three steps, on tensors with ±0 whose sizes hit the vector
 * loops, their tails and the thread split, on both paths of the CPU backend.
 */
class FusedUpdatesTest {
    private static final List<Backend> BACKENDS = new java.util.ArrayList<>();

    @BeforeAll
    static void start() {
        BACKENDS.add(new CpuBackend(new CpuConfig(2, true)));
        BACKENDS.add(new CpuBackend(new CpuConfig(2, false)));
    }

    @AfterAll
    static void stop() {
        BACKENDS.forEach(Backend::close);
    }

    /** 1, lanes ± 1, odd, and one over the backend's grain so that two threads split it. */
    static final int[] SIZES = {1, 7, 15, 17, 33, 1000, 70_001};
    static final float[] RATES = {0.1f, 0.05f, 0.2f};

    /** Weights (uniform, some ±0) and three steps of gradients (the same), named and shaped as weight decay picks them. */
    record Problem(Map<String, float[]> theta, List<Map<String, float[]>> grads) {
        static Problem random(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            Map<String, float[]> theta = new LinkedHashMap<>();
            List<Map<String, float[]>> grads = List.of(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
            for (int size : SIZES) {
                theta.put("p" + size + ".weight", values(r, size));
                for (Map<String, float[]> g : grads) {
                    g.put("p" + size + ".weight", values(r, size));
                }
            }
            return new Problem(theta, grads);
        }

        private static float[] values(SplittableRandom r, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                double u = r.nextDouble();
                v[i] = u < 0.05 ? 0f : u < 0.1 ? -0f : (float) r.nextDouble(-2, 2);
            }
            return v;
        }
    }

    static Map<String, Tensor> upload(Backend be, Map<String, float[]> values) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        values.forEach((n, v) -> t.put(n, Ops.fromArray(be, Shape.of(1, v.length), v))); // rank 2: weight decay applies
        return t;
    }

    static void assertSameBits(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
        expected.forEach((n, e) -> {
            float[] a = actual.get(n).toArray(), b = e.toArray();
            for (int i = 0; i < a.length; i++) {
                int ia = i;
                boolean zeros = a[i] == 0f && b[i] == 0f;
                assertEquals(Float.floatToIntBits(b[i]), zeros ? Float.floatToIntBits(b[i]) : Float.floatToIntBits(a[i]),
                        () -> what + ": " + n + "[" + ia + "] is " + a[ia] + ", composed " + b[ia]);
            }
        });
    }

    // ---------------------------------------------------------------- the compositions they replace

    /** The update as RMSProp composed it, per parameter. */
    static void rmsPropComposed(Backend b, Tensor theta, Tensor g, Tensor ms, Tensor m, float lr, float decay,
                                float momentum, float epsilon) {
        try (TensorScope s = TensorScope.open()) {
            Tensor t = b.allocate(g.shape());
            b.unary(UnaryOp.SQUARE, t, g);
            b.affine(t, t, 1f - decay, 0f);
            b.affine(ms, ms, decay, 0f);
            b.binary(BinaryOp.ADD, ms, ms, t);
            b.affine(t, ms, 1f, epsilon);
            b.unary(UnaryOp.SQRT, t, t);
            b.binary(BinaryOp.DIV, t, g, t);
            b.affine(t, t, lr, 0f);
            b.affine(m, m, momentum, 0f);
            b.binary(BinaryOp.ADD, m, m, t);
            b.binary(BinaryOp.SUB, theta, theta, m);
        }
    }

    static void momentumComposed(Backend b, Tensor theta, Tensor g, Tensor a, float lr, float momentum,
                                 boolean nesterov) {
        b.affine(a, a, momentum, 0f);
        b.binary(BinaryOp.ADD, a, a, g);
        try (TensorScope s = TensorScope.open()) {
            Tensor t = b.allocate(g.shape());
            if (nesterov) {
                b.affine(t, a, momentum, 0f);
                b.binary(BinaryOp.ADD, t, t, g);
                b.affine(t, t, lr, 0f);
            } else {
                b.affine(t, a, lr, 0f);
            }
            b.binary(BinaryOp.SUB, theta, theta, t);
        }
    }

    static void adamComposed(Backend b, Tensor theta, Tensor g, Tensor mt, Tensor vt, float alpha, float beta1,
                             float beta2, float epsilon) {
        try (TensorScope s = TensorScope.open()) {
            Tensor t = b.allocate(g.shape());
            b.affine(mt, mt, beta1, 0f);
            b.affine(t, g, 1f - beta1, 0f);
            b.binary(BinaryOp.ADD, mt, mt, t);
            b.unary(UnaryOp.SQUARE, t, g);
            b.affine(t, t, 1f - beta2, 0f);
            b.affine(vt, vt, beta2, 0f);
            b.binary(BinaryOp.ADD, vt, vt, t);
            b.unary(UnaryOp.SQRT, t, vt);
            b.affine(t, t, 1f, epsilon);
            b.binary(BinaryOp.DIV, t, mt, t);
            b.affine(t, t, alpha, 0f);
            b.binary(BinaryOp.SUB, theta, theta, t);
        }
    }

    // ---------------------------------------------------------------- fused = composed

    @Test
    void rmsPropWithWeightDecayAndClipping() {
        for (Backend b : BACKENDS) {
            Problem p = Problem.random(1);
            try (TensorScope s = TensorScope.open()) {
                Map<String, Tensor> fused = upload(b, p.theta()), composed = upload(b, p.theta());
                Map<String, Tensor> ms = new LinkedHashMap<>(), mom = new LinkedHashMap<>();
                composed.forEach((n, t) -> {
                    ms.put(n, Ops.full(b, t.shape(), 1f));
                    mom.put(n, Ops.zeros(b, t.shape()));
                });
                try (RMSProp opt = new RMSProp(fused, 0.9f, 0.9f, 1f)) {
                    for (int k = 0; k < 3; k++) {
                        // step 0 unclipped (scale 1: the bits of no clipping), then a clip factor
                        float factor = k == 0 ? 1f : 0.37f;
                        Map<String, Tensor> g1 = upload(b, p.grads().get(k)), g2 = upload(b, p.grads().get(k));
                        new WeightDecay(4e-5f, fused).addGradient(g1);
                        opt.step(g1, RATES[k], Ops.full(b, Shape.of(1), factor));
                        for (String n : composed.keySet()) {
                            Tensor g = g2.get(n), w = composed.get(n), t = b.allocate(w.shape());
                            b.affine(t, w, 4e-5f, 0f);              // WeightDecay.addGradient before
                            b.binary(BinaryOp.ADD, g, g, t);
                            if (factor != 1f) {
                                b.affine(g, g, factor, 0f);       // GradientClipping before
                            }
                            rmsPropComposed(b, w, g, ms.get(n), mom.get(n), RATES[k], 0.9f, 0.9f, 1f);
                        }
                    }
                    assertSameBits(composed, fused, b + " θ");
                    assertSameBits(prefixed(ms, ".rms"), opt.slots(), b + " rms");
                    assertSameBits(prefixed(mom, ".momentum"), opt.slots(), b + " momentum");
                }
            }
        }
    }

    @Test
    void momentumHeavyBallAndNesterov() {
        for (Backend b : BACKENDS) {
            for (boolean nesterov : new boolean[] {false, true}) {
                Problem p = Problem.random(2);
                try (TensorScope s = TensorScope.open()) {
                    Map<String, Tensor> fused = upload(b, p.theta()), composed = upload(b, p.theta());
                    Map<String, Tensor> acc = new LinkedHashMap<>();
                    composed.forEach((n, t) -> acc.put(n, Ops.zeros(b, t.shape())));
                    try (Momentum opt = new Momentum(fused, 0.9f, nesterov)) {
                        for (int k = 0; k < 3; k++) {
                            opt.step(upload(b, p.grads().get(k)), RATES[k]);
                            Map<String, Tensor> g = upload(b, p.grads().get(k));
                            for (String n : composed.keySet()) {
                                momentumComposed(b, composed.get(n), g.get(n), acc.get(n), RATES[k], 0.9f, nesterov);
                            }
                        }
                        assertSameBits(composed, fused, b + " nesterov " + nesterov + " θ");
                        assertSameBits(prefixed(acc, ".momentum"), opt.slots(), b + " nesterov " + nesterov + " acc");
                    }
                }
            }
        }
    }

    @Test
    void adamWithTheRateFromItsPowers() {
        for (Backend b : BACKENDS) {
            Problem p = Problem.random(3);
            try (TensorScope s = TensorScope.open()) {
                Map<String, Tensor> fused = upload(b, p.theta()), composed = upload(b, p.theta());
                Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
                composed.forEach((n, t) -> {
                    m.put(n, Ops.zeros(b, t.shape()));
                    v.put(n, Ops.zeros(b, t.shape()));
                });
                float p1 = 1f, p2 = 1f;
                try (Adam opt = new Adam(fused, 0.9f, 0.999f, 1e-8f)) {
                    for (int k = 0; k < 3; k++) {
                        opt.step(upload(b, p.grads().get(k)), RATES[k]);
                        // the host computed the rate from the two powers it read back
                        p1 = 0.9f * p1;
                        p2 = 0.999f * p2;
                        float alpha = (float) (RATES[k] * Math.sqrt(1 - (double) p2) / (1 - (double) p1));
                        Map<String, Tensor> g = upload(b, p.grads().get(k));
                        for (String n : composed.keySet()) {
                            adamComposed(b, composed.get(n), g.get(n), m.get(n), v.get(n), alpha, 0.9f, 0.999f, 1e-8f);
                        }
                    }
                    assertSameBits(composed, fused, b + " θ");
                    assertSameBits(prefixed(m, ".m"), opt.slots(), b + " m");
                    assertSameBits(prefixed(v, ".v"), opt.slots(), b + " v");
                    assertEquals(Float.floatToIntBits(p1), Float.floatToIntBits(opt.slots().get("adam.beta1_power").item()));
                    assertEquals(Float.floatToIntBits(p2), Float.floatToIntBits(opt.slots().get("adam.beta2_power").item()));
                }
            }
        }
    }

    @Test
    void parameterAverage() {
        for (Backend b : BACKENDS) {
            Problem p = Problem.random(4);
            try (TensorScope s = TensorScope.open()) {
                Map<String, Tensor> theta = upload(b, p.theta());
                Map<String, Tensor> composed = new LinkedHashMap<>();
                theta.forEach((n, t) -> composed.put(n, Ops.copy(t)));
                try (ExponentialMovingAverage ema = new ExponentialMovingAverage(theta, 0.9999f)) {
                    for (int k = 0; k < 3; k++) {
                        Map<String, Tensor> next = upload(b, p.grads().get(k)); // new parameter values
                        theta.forEach((n, t) -> b.copy(t, next.get(n)));
                        ema.update(k);
                        float d = ema.effectiveDecay(k);
                        for (String n : composed.keySet()) {
                            Tensor shadow = composed.get(n), t = b.allocate(shadow.shape());
                            b.binary(BinaryOp.SUB, t, shadow, theta.get(n));
                            b.affine(t, t, 1f - d, 0f);
                            b.binary(BinaryOp.SUB, shadow, shadow, t);
                        }
                    }
                    assertSameBits(composed, ema.shadows(), b + " shadows");
                }
            }
        }
    }

    private static Map<String, Tensor> prefixed(Map<String, Tensor> ts, String suffix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        ts.forEach((n, t) -> out.put(n + suffix, t));
        return out;
    }
}
