package org.inceptionj.bench.peers;

import java.util.Map;
import java.util.SplittableRandom;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;

/** What the side-by-side runner and the ONNX Runtime agreement test share: seeded data and a model whose batch norms do something. */
public final class Peers {
    private Peers() {
    }

    /** n values uniform on [−1, 1), the same for the same seed. */
    public static float[] uniform(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * r.nextDouble() - 1);
        }
        return a;
    }

    /**
     * A model with He's initialization and batch norms that are not the identity (γ, σ² in [0.5, 1.5),
     * β, μ normal with std 0.2), so that an exported file's folded batch norms are really checked and the
     * activations stay of order one.
     */
    public static InceptionV3 model(Backend backend, InceptionV3.Config config, long seed) {
        InceptionV3 m = new InceptionV3(backend, config, seed, InceptionV3.Init.HE);
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, Tensor> e : m.parameters().asMap().entrySet()) {
            String n = e.getKey();
            boolean centred = n.endsWith(".bn.running_mean") || n.endsWith(".bn.bias");
            boolean positive = n.endsWith(".bn.running_var") || n.endsWith(".bn.weight");
            if (!centred && !positive) {
                continue;
            }
            float[] v = new float[e.getValue().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = positive ? (float) (0.5 + r.nextDouble()) : (float) (0.2 * gaussian(r));
            }
            backend.write(e.getValue(), v, 0);
        }
        return m;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** ‖got − want‖₂ / ‖want‖₂, in double. */
    public static double relativeL2(float[] got, float[] want) {
        if (got.length != want.length) {
            throw new IllegalArgumentException("relativeL2: " + got.length + " values against " + want.length);
        }
        double d = 0, w = 0;
        for (int i = 0; i < want.length; i++) {
            double e = (double) got[i] - want[i];
            d += e * e;
            w += (double) want[i] * want[i];
        }
        return Math.sqrt(d / w);
    }
}
