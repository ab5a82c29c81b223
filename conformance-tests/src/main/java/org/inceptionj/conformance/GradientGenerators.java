package org.inceptionj.conformance;

import java.util.List;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.Shape;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.PoolingReference;

/**
 * The input generators of the gradient suite. The checks of a backend's backward primitives reuse
 * {@link Generators}' forward geometry (every conv and pool option, sizes around the vector width,
 * large shapes now and then); the finite-difference checks of the references use the small
 * versions here, since they run the forward twice per checked element. Also the values those
 * need: distinct values for max pool and values away from ReLU's kink, so that the difference
 * quotients are taken where the function is smooth.
 */
public final class GradientGenerators {
    private GradientGenerators() {
    }

    // ================================================================ backend checks

    /** Softmax cases of {@link Generators#softmaxCases()} whose lines are at most 128 long (the reference is quadratic in it). */
    public static Arbitrary<Cases.Softmax> softmaxCases() {
        return Generators.softmaxCases().filter(c -> c.shape().dim(c.axis()) <= 128);
    }

    /** Logits [N,K] with N in 1–9 and K from {@link Generators#LENGTHS}; ε 0, 0.1 or random in [0, 1); a prior or none. */
    public static Arbitrary<GradientCases.CrossEntropy> crossEntropyCases() {
        return crossEntropyCases(Arbitraries.integers().between(1, 9), Generators.lengths(), Generators.valueKinds());
    }

    /** y = x·wᵀ + b with n in 1–9, in and out from {@link Generators#LENGTHS}, with and without bias. */
    public static Arbitrary<GradientCases.Linear> linearCases() {
        return Combinators.combine(Arbitraries.integers().between(1, 9), Generators.lengths(), Generators.lengths(),
                Arbitraries.of(true, false), Generators.valueKinds(), Generators.seeds()).as(GradientCases.Linear::new);
    }

    /** Broadcast pairs of {@link Generators#binaryCases()} for add, sub and mul (the ops the tape differentiates). */
    public static Arbitrary<GradientCases.Binary> binaryCases() {
        return Generators.binaryCases().filter(c -> c.op() == BinaryOp.ADD || c.op() == BinaryOp.SUB
                || c.op() == BinaryOp.MUL).map(c -> new GradientCases.Binary(c.op(), c.a(), c.b(), c.values(), c.seed()));
    }

    /** Any shape of rank 0–4 (one in eight large). */
    public static Arbitrary<GradientCases.Pointwise> pointwiseCases() {
        return Combinators.combine(Generators.shapes(), Generators.valueKinds(), Generators.seeds())
                .as(GradientCases.Pointwise::new);
    }

    /** [N,C,H,W] images: N 1–3, C around the vector width, H and W 1–9 or 17. */
    public static Arbitrary<GradientCases.Pointwise> imageCases() {
        Arbitrary<Integer> hw = Arbitraries.of(1, 2, 3, 5, 8, 9, 17);
        return Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.of(1, 2, 3, 8, 9, 17), hw, hw,
                Generators.valueKinds(), Generators.seeds()).as((n, c, h, w, kind, seed) ->
                new GradientCases.Pointwise(Shape.of(n, c, h, w), kind, seed));
    }

    // ================================================================ finite-difference checks (small)

    /**
     * Small convolutions: every kernel of {@link Generators#KERNELS}, strides and dilations 1–2,
     * each padding in [0, extent − 1], N 1–2, Cin and Cout 1–3, input from the smallest that fits
     * to 3 more; with and without bias.
     */
    public static Arbitrary<Cases.Conv2d> smallConv2dCases() {
        Arbitrary<Integer> oneOrTwo = Arbitraries.integers().between(1, 2);
        Arbitrary<Integer> dilations = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(1)), Tuple.of(1, Arbitraries.just(2)));
        return Combinators.combine(Arbitraries.of(Generators.KERNELS), oneOrTwo, oneOrTwo, dilations, dilations, oneOrTwo,
                        Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 3))
                .flatAs((k, sh, sw, dh, dw, n, cin, cout) -> {
                    int kh = k.get(0), kw = k.get(1), eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
                    Arbitrary<Integer> padH = Arbitraries.integers().between(0, eh - 1);
                    Arbitrary<Integer> padW = Arbitraries.integers().between(0, ew - 1);
                    Arbitrary<Integer> extra = Arbitraries.integers().between(0, 3);
                    return Combinators.combine(padH, padH, padW, padW, extra, extra, Arbitraries.of(true, false),
                            Generators.seeds()).as((pt, pb, pl, pr, xh, xw, bias, seed) -> {
                                int h = Math.max(1, eh - pt - pb) + xh, w = Math.max(1, ew - pl - pr) + xw;
                                return new Cases.Conv2d(Shape.of(n, cin, h, w), Shape.of(cout, cin, kh, kw), bias,
                                        new Conv2dSpec(sh, sw, pt, pl, pb, pr, dh, dw), Values.Kind.UNIT, seed);
                            });
                });
    }

    /**
     * Small pools with every {@link Pool2dSpec} option: kernels of {@link Generators#KERNELS},
     * strides 1–3, dilations 1–2, each padding in [0, extent − 1], ceil mode and count-include-pad
     * both ways; N 1–2, C 1–2, input from the smallest that fits to 4 more.
     */
    public static Arbitrary<Cases.Pool> smallPoolCases() {
        Arbitrary<Integer> dilations = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(1)), Tuple.of(1, Arbitraries.just(2)));
        Arbitrary<Integer> strides = Arbitraries.integers().between(1, 3);
        return Combinators.combine(Arbitraries.of(Generators.KERNELS), strides, strides, dilations, dilations,
                        Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 2))
                .flatAs((k, sh, sw, dh, dw, n, c) -> {
                    int kh = k.get(0), kw = k.get(1), eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
                    Arbitrary<Integer> padH = Arbitraries.integers().between(0, eh - 1);
                    Arbitrary<Integer> padW = Arbitraries.integers().between(0, ew - 1);
                    Arbitrary<Integer> extra = Arbitraries.integers().between(0, 4);
                    Arbitrary<Boolean> flag = Arbitraries.of(true, false);
                    return Combinators.combine(padH, padH, padW, padW, extra, extra,
                            Combinators.combine(flag, flag).as(Tuple::of), Generators.seeds()).as(
                            (pt, pb, pl, pr, xh, xw, modes, seed) -> {
                                int h = Math.max(1, eh - pt - pb) + xh, w = Math.max(1, ew - pl - pr) + xw;
                                return new Cases.Pool(Shape.of(n, c, h, w), new Pool2dSpec(kh, kw, sh, sw, pt, pl, pb,
                                        pr, dh, dw, modes.get1(), modes.get2()), Values.Kind.UNIT, seed);
                            });
                })
                .filter(p -> PoolingReference.everyWindowTouchesInput(p.x(), p.spec()));
    }

    /** x of rank 2–4 with N 1–3, C 1–3, spatial 1–3 (M = 1 occurs); eps 1e−5, 1e−3 or 0.1; momentum 0.1. */
    public static Arbitrary<Cases.BatchNorm> smallBatchNormCases() {
        Arbitrary<Integer> small = Arbitraries.integers().between(1, 3);
        return Combinators.combine(small, small, Arbitraries.integers().between(2, 4), small, small,
                Arbitraries.of(1e-5f, 1e-3f, 0.1f), Generators.seeds()).as((n, c, rank, h, w, eps, seed) -> {
            Shape x = switch (rank) {
                case 2 -> Shape.of(n, c);
                case 3 -> Shape.of(n, c, h * w);
                default -> Shape.of(n, c, h, w);
            };
            return new Cases.BatchNorm(x, eps, 0.1f, seed);
        });
    }

    /** Shapes of rank 1–3 and at most 120 elements, any axis, softmax and log-softmax; values in (−1, 1). */
    public static Arbitrary<Cases.Softmax> smallSoftmaxCases() {
        return Combinators.combine(Generators.shapes(1, 3, 120), Arbitraries.integers().between(0, 2),
                Arbitraries.of(true, false), Generators.seeds()).as((s, axisPick, log, seed) ->
                new Cases.Softmax(s, axisPick % s.rank(), log, Values.Kind.UNIT, seed));
    }

    /** Logits [N,K] with N 1–4 and K 1–9, values in (−1, 1). */
    public static Arbitrary<GradientCases.CrossEntropy> smallCrossEntropyCases() {
        return crossEntropyCases(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 9),
                Arbitraries.just(Values.Kind.UNIT));
    }

    /** y = x·wᵀ + b with n 1–4, in and out 1–9. */
    public static Arbitrary<GradientCases.Linear> smallLinearCases() {
        Arbitrary<Integer> dims = Arbitraries.integers().between(1, 9);
        return Combinators.combine(Arbitraries.integers().between(1, 4), dims, dims, Arbitraries.of(true, false),
                Generators.seeds()).as((n, in, out, bias, seed) ->
                new GradientCases.Linear(n, in, out, bias, Values.Kind.UNIT, seed));
    }

    /** Shapes of rank 0–3 with at most 200 elements. */
    public static Arbitrary<GradientCases.Pointwise> smallPointwiseCases() {
        return Combinators.combine(Generators.shapes(0, 3, 200), Generators.seeds())
                .as((s, seed) -> new GradientCases.Pointwise(s, Values.Kind.UNIT, seed));
    }

    /** [N,C,H,W] with N 1–2, C 1–3, H and W 1–5. */
    public static Arbitrary<GradientCases.Pointwise> smallImageCases() {
        Arbitrary<Integer> hw = Arbitraries.integers().between(1, 5);
        return Combinators.combine(Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 3), hw, hw,
                Generators.seeds()).as((n, c, h, w, seed) -> new GradientCases.Pointwise(Shape.of(n, c, h, w),
                Values.Kind.UNIT, seed));
    }

    /** Concatenations of {@link Generators#concatCases()} with at most 400 elements. */
    public static Arbitrary<Cases.Concat> smallConcatCases() {
        return Generators.concatCases().filter(c -> c.parts().stream().mapToLong(Shape::size).sum() <= 400);
    }

    /** Slices of {@link Generators#sliceCases()} of inputs with at most 400 elements. */
    public static Arbitrary<Cases.Slice> smallSliceCases() {
        return Generators.sliceCases().filter(c -> c.shape().size() <= 400);
    }

    /** Dropout of inputs with at most 400 elements. */
    public static Arbitrary<Cases.Dropout> smallDropoutCases() {
        return Generators.dropoutCases().filter(c -> c.shape().size() <= 400);
    }

    /** add, sub, mul broadcast pairs with at most 400 output elements. */
    public static Arbitrary<GradientCases.Binary> smallBinaryCases() {
        return binaryCases().filter(c -> outputSize(c) <= 400);
    }

    private static long outputSize(GradientCases.Binary c) {
        Shape s = ElementwiseReference.broadcastShape(c.a(), c.b());
        return s == null ? Long.MAX_VALUE : s.size();
    }

    private static Arbitrary<GradientCases.CrossEntropy> crossEntropyCases(Arbitrary<Integer> ns, Arbitrary<Integer> ks,
                                                                          Arbitrary<Values.Kind> kinds) {
        Arbitrary<Float> eps = Arbitraries.oneOf(Arbitraries.of(0f, 0.1f), Arbitraries.floats().between(0f, true, 1f, false));
        return Combinators.combine(ns, ks, eps, Arbitraries.of(true, false), kinds, Generators.seeds())
                .as(GradientCases.CrossEntropy::new);
    }

    /** The networks of {@link GradientComposites}, with seeds. */
    public static Arbitrary<GradientCases.Composite> composites(String network) {
        return Generators.seeds().map(seed -> new GradientCases.Composite(network, seed));
    }

    // ================================================================ values

    /** Labels in [0, k) for n rows, from the seed. */
    public static int[] labels(int n, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(k);
        }
        return labels;
    }

    /** A prior over k classes: positive float values that sum to 1 within float rounding. */
    public static DTensor prior(int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] u = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            u[i] = r.nextDouble(0.05, 1);
            sum += u[i];
        }
        for (int i = 0; i < k; i++) {
            u[i] = (float) (u[i] / sum);
        }
        return new DTensor(Shape.of(k), u);
    }

    /**
     * Distinct values, at least 2/size apart: a random permutation of −1 + (2j + 1)/size, j &lt; size,
     * as floats. Every max-pool window then has one clear winner, far further from the runner-up
     * than a finite-difference step.
     */
    public static DTensor distinct(Shape shape, long seed) {
        int n = shape.size();
        int[] perm = FiniteDifferences.coordinates(n, n, seed);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (-1 + (2.0 * perm[i] + 1) / n);
        }
        return new DTensor(shape, d);
    }

    /** Values of (−1, 1) moved away from 0: |v| in [1/16, 1), so ReLU is smooth around each. */
    public static DTensor awayFromZero(Shape shape, long seed) {
        DTensor t = Values.uniform(shape, seed, -1, 1);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) Math.copySign(1.0 / 16 + Math.abs(d[i]) * 15 / 16, d[i] == 0 ? 1 : d[i]);
        }
        return t;
    }

    /** The value kind of a case that carries only a seed (batch norm's upstream gradients). */
    public static Values.Kind kindOf(long seed) {
        List<Values.Kind> kinds = List.of(Values.Kind.values());
        return kinds.get((int) Math.floorMod(seed, (long) kinds.size()));
    }
}
