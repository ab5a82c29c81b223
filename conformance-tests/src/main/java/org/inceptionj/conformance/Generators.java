package org.inceptionj.conformance;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import org.inceptionj.api.BinaryOp;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Pool2dSpec;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.reference.PoolingReference;

/**
 * The named input generators of the conformance suite, all in one place. Shapes stay small (a few
 * thousand elements) so that a property's tries run in milliseconds, but every innermost length
 * is drawn from {@link #LENGTHS}: 1, and one less, equal and one more than 8, 16, 32 and 64
 * floats, the vector widths of AVX2 / AVX-512 / NEON kernels and their unrolled multiples, so
 * that every main loop and every scalar tail is hit. Spatial sizes are odd and even.
 */
public final class Generators {
    private Generators() {
    }

    /** Innermost lengths: around the vector widths (lanes − 1, lanes, lanes + 1) and tiny ones. */
    public static final List<Integer> LENGTHS = List.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65);

    /**
     * Kernel sizes (kh, kw) of the conv and pool generators: Inception-v3's 1×1, 3×3, 5×5 and the
     * factorized 1×3, 3×1, 1×7, 7×1, plus 2×2 and 2×3.
     */
    public static final List<List<Integer>> KERNELS = List.of(
            List.of(1, 1), List.of(3, 3), List.of(5, 5), List.of(1, 3), List.of(3, 1),
            List.of(1, 7), List.of(7, 1), List.of(2, 2), List.of(2, 3));

    // ================================================================ building blocks

    /** A length from {@link #LENGTHS}. */
    public static Arbitrary<Integer> lengths() {
        return Arbitraries.of(LENGTHS);
    }

    /** Seeds of tensor values. */
    public static Arbitrary<Long> seeds() {
        return Arbitraries.longs().withoutEdgeCases();
    }

    /** Every {@link Values.Kind}. */
    public static Arbitrary<Values.Kind> valueKinds() {
        return Arbitraries.of(Values.Kind.class);
    }

    /**
     * Shapes of rank in [minRank, maxRank]: the last dimension from {@link #LENGTHS}, the others
     * in [1, 5]; at most {@code maxSize} elements.
     */
    public static Arbitrary<Shape> shapes(int minRank, int maxRank, int maxSize) {
        return Arbitraries.integers().between(minRank, maxRank).flatMap(rank -> {
            if (rank == 0) {
                return Arbitraries.just(Shape.scalar());
            }
            Arbitrary<List<Integer>> lead = Arbitraries.integers().between(1, 5).list().ofSize(rank - 1);
            return Combinators.combine(lead, lengths()).as((l, last) -> {
                int[] d = new int[rank];
                for (int i = 0; i < rank - 1; i++) {
                    d[i] = l.get(i);
                }
                d[rank - 1] = last;
                return Shape.of(d);
            });
        }).filter(s -> s.size() <= maxSize);
    }

    /**
     * Large shapes, 40k to 140k elements, of rank in [minRank, 4] (at least 1): enough for a
     * multi-threaded backend to split the work into several chunks (the CPU backend's grains are
     * 4k to 64k elements), so that chunk boundaries fall inside rows and vectors.
     */
    public static Arbitrary<Shape> largeShapes(int minRank) {
        Arbitrary<List<Integer>> middle = Arbitraries.integers().between(2, 9).list().ofMaxSize(2);
        return Combinators.combine(Arbitraries.integers().between(40_000, 140_000), lengths(), middle,
                Arbitraries.integers().between(Math.max(1, minRank), 4)).as((total, last, mid, rank) -> {
            List<Integer> inner = mid.subList(0, Math.min(mid.size(), Math.max(0, rank - 2)));
            int product = last;
            for (int d : inner) {
                product *= d;
            }
            int[] dims = new int[inner.size() + (rank == 1 ? 0 : 1) + 1];
            int k = 0;
            if (rank > 1) {
                dims[k++] = Math.max(1, total / product);
            }
            for (int d : inner) {
                dims[k++] = d;
            }
            dims[k] = rank == 1 ? total : last;
            return Shape.of(dims);
        });
    }

    /** Mostly small shapes of rank [minRank, 4] (at most 4096 elements), one in eight large (see {@link #largeShapes}). */
    public static Arbitrary<Shape> shapes(int minRank) {
        return Arbitraries.frequencyOf(Tuple.of(7, shapes(minRank, 4, 4096)), Tuple.of(1, largeShapes(minRank)));
    }

    /** Shapes of rank 0 to 4: mostly small, one in eight large. */
    public static Arbitrary<Shape> shapes() {
        return shapes(0);
    }

    // ================================================================ elementwise

    /** Any unary op on any shape and values. */
    public static Arbitrary<Cases.Unary> unaryCases() {
        return Combinators.combine(Arbitraries.of(UnaryOp.class), shapes(), valueKinds(), seeds()).as(Cases.Unary::new);
    }

    /**
     * Broadcast pairs: a common shape s; a and b are s with a random set of axes (a bitmask, none
     * half the time) set to 1 and a random number of leading axes dropped (none most of the time),
     * so same shapes, row and column vectors, scalars and two-sided broadcasts all occur.
     */
    public static Arbitrary<Cases.Binary> binaryCases() {
        Arbitrary<Integer> masks = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(0, 15)));
        Arbitrary<Integer> drops = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(0, 4)));
        return Combinators.combine(Arbitraries.of(BinaryOp.class), shapes(), masks, masks, drops, drops, valueKinds(),
                seeds()).as((op, s, maskA, maskB, dropA, dropB, kind, seed) ->
                new Cases.Binary(op, squeeze(s, maskA, dropA), squeeze(s, maskB, dropB), kind, seed));
    }

    /** s with the axes flagged in {@code mask} set to 1 and the first {@code drop} axes removed. */
    private static Shape squeeze(Shape s, int mask, int drop) {
        int r = s.rank(), d = Math.min(drop, r);
        int[] dims = new int[r - d];
        for (int i = d; i < r; i++) {
            dims[i - d] = (mask >> i & 1) != 0 ? 1 : s.dim(i);
        }
        return Shape.of(dims);
    }

    /** Scales and shifts: 0, ±1, 0.5 and random ones in (−10, 10). */
    public static Arbitrary<Float> coefficients() {
        return Arbitraries.oneOf(Arbitraries.of(0f, 1f, -1f, 0.5f), Arbitraries.floats().between(-10f, 10f));
    }

    public static Arbitrary<Cases.Affine> affineCases() {
        return Combinators.combine(shapes(), coefficients(), coefficients(), valueKinds(), seeds())
                .as(Cases.Affine::new);
    }

    /** Clip bounds, one-sided (±∞) included, and now and then lo &gt; hi (the formula gives hi). */
    public static Arbitrary<Cases.Clip> clipCases() {
        Arbitrary<Float> bounds = Arbitraries.oneOf(
                Arbitraries.of(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0.5f, 0.25f, 6f),
                Arbitraries.floats().between(-2f, 2f));
        return Combinators.combine(shapes(), bounds, bounds, valueKinds(), seeds()).as((s, a, b, kind, seed) ->
                seed % 8 == 0 ? new Cases.Clip(s, a, b, kind, seed)              // any order, lo > hi included
                        : new Cases.Clip(s, Math.min(a, b), Math.max(a, b), kind, seed));
    }

    // ================================================================ reductions

    /**
     * Reductions of rank-1 to rank-4 shapes over a random subset of axes (the empty subset means
     * all axes), each axis given as a non-negative or as a negative index.
     */
    public static Arbitrary<Cases.Reduce> reduceCases() {
        return Combinators.combine(Arbitraries.of(ReduceOp.class), shapes(1),
                        Arbitraries.integers().between(0, 15), Arbitraries.integers().between(0, 15),
                        Arbitraries.of(true, false), valueKinds(), seeds())
                .as((op, s, mask, negative, keep, kind, seed) -> {
                    List<Integer> axes = new ArrayList<>();
                    for (int a = 0; a < s.rank(); a++) {
                        if ((mask >> a & 1) != 0) {
                            axes.add((negative >> a & 1) != 0 ? a - s.rank() : a);
                        }
                    }
                    return new Cases.Reduce(op, s, List.copyOf(axes), keep, kind, seed);
                });
    }

    // ================================================================ layout

    /**
     * One to four parts that agree except on the concat axis, whose sizes include 0 now and then;
     * at most 200k elements in all.
     */
    public static Arbitrary<Cases.Concat> concatCases() {
        Arbitrary<Integer> axisSizes = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0)), Tuple.of(8, Arbitraries.of(1, 2, 3, 7, 8, 9, 17)));
        return Combinators.combine(shapes(1), Arbitraries.integers().between(0, 3),
                        axisSizes.list().ofMinSize(1).ofMaxSize(4), Arbitraries.of(true, false), valueKinds(), seeds())
                .as((s, axisPick, sizes, negative, kind, seed) -> {
                    int axis = axisPick % s.rank();
                    List<Shape> parts = new ArrayList<>();
                    for (int n : sizes) {
                        parts.add(s.with(axis, n));
                    }
                    return new Cases.Concat(List.copyOf(parts), negative ? axis - s.rank() : axis, kind, seed);
                })
                .filter(c -> c.parts().stream().mapToLong(Shape::size).sum() <= 200_000);
    }

    /** A slice [start, start + length) of one axis, length 0 and the whole axis included. */
    public static Arbitrary<Cases.Slice> sliceCases() {
        return Combinators.combine(shapes(1), Arbitraries.integers().between(0, 3), valueKinds(), seeds())
                .flatAs((s, axisPick, kind, seed) -> {
                    int axis = axisPick % s.rank(), n = s.dim(axis);
                    return Arbitraries.integers().between(0, n).flatMap(start ->
                            Arbitraries.integers().between(0, n - start).map(length ->
                                    new Cases.Slice(s, axis, start, length, kind, seed)));
                });
    }

    /** A shape and another of the same size: flat, [1, n], [d, n/d] for divisors d, reversed. */
    public static Arbitrary<Cases.Copy> copyCases() {
        return Combinators.combine(shapes(0), valueKinds(), seeds()).flatAs((s, kind, seed) -> {
            int n = s.size();
            Set<Shape> targets = new LinkedHashSet<>();
            targets.add(s);
            targets.add(Shape.of(n));
            targets.add(Shape.of(1, n));
            for (int d = 2; d <= n; d++) {
                if (n % d == 0) {
                    targets.add(Shape.of(d, n / d));
                }
            }
            int[] rev = s.dims();
            for (int i = 0; i < rev.length / 2; i++) {
                int t = rev[i];
                rev[i] = rev[rev.length - 1 - i];
                rev[rev.length - 1 - i] = t;
            }
            targets.add(Shape.of(rev));
            return Arbitraries.of(List.copyOf(targets)).map(to -> new Cases.Copy(s, to, kind, seed));
        });
    }

    // ================================================================ linear algebra

    /** m, k, n from {@link #LENGTHS} (so up to 65), every combination of transposes. */
    public static Arbitrary<Cases.MatMul> matmulCases() {
        return Combinators.combine(lengths(), lengths(), lengths(), Arbitraries.of(true, false),
                Arbitraries.of(true, false), valueKinds(), seeds()).as(Cases.MatMul::new);
    }

    /**
     * Random geometry: a kernel from {@link #KERNELS}, strides 1–3, dilations 1–3 (mostly 1),
     * each of the four paddings in [0, dilated extent − 1] (the most {@link org.inceptionj.api.Ops}
     * accepts), input H and W from the smallest that fits to 12 more; N in {1, 2}, channels
     * around the vector width. One try in five is instead a layer of Inception-v3 scaled down to
     * a small input (see {@link #inceptionConvs()}).
     */
    public static Arbitrary<Cases.Conv2d> conv2dCases() {
        Arbitrary<Integer> strides = Arbitraries.integers().between(1, 3);
        Arbitrary<Integer> dilations = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(1)), Tuple.of(1, Arbitraries.integers().between(2, 3)));
        Arbitrary<Integer> inChannels = Arbitraries.of(1, 2, 3, 5, 8, 9);
        Arbitrary<Integer> outChannels = Arbitraries.of(1, 2, 7, 8, 9, 16, 17);
        Arbitrary<Cases.Conv2d> random = Combinators.combine(Arbitraries.of(KERNELS), strides, strides, dilations,
                dilations, Arbitraries.integers().between(1, 2), inChannels, outChannels)
                .flatAs((k, sh, sw, dh, dw, n, cin, cout) -> {
                    int kh = k.get(0), kw = k.get(1), eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
                    Arbitrary<Integer> padH = Arbitraries.integers().between(0, eh - 1);
                    Arbitrary<Integer> padW = Arbitraries.integers().between(0, ew - 1);
                    Arbitrary<Integer> extra = Arbitraries.integers().between(0, 12);
                    return Combinators.combine(padH, padH, padW, padW, extra, extra, Arbitraries.of(true, false),
                            Combinators.combine(valueKinds(), seeds()).as(Tuple::of)).as(
                            (pt, pb, pl, pr, xh, xw, bias, ks) -> {
                                int h = Math.max(1, eh - pt - pb) + xh, w = Math.max(1, ew - pl - pr) + xw;
                                return new Cases.Conv2d(Shape.of(n, cin, h, w), Shape.of(cout, cin, kh, kw), bias,
                                        new Conv2dSpec(sh, sw, pt, pl, pb, pr, dh, dw), ks.get1(), ks.get2());
                            });
                });
        return Arbitraries.frequencyOf(Tuple.of(4, random), Tuple.of(1, inceptionConvs()));
    }

    /**
     * Inception-v3's conv geometries on small inputs: 3×3/2 valid, 3×3/1 same, 1×1, 5×5 pad 2,
     * the factorized 1×7 pad (0,3), 7×1 pad (3,0), 1×3 pad (0,1), 3×1 pad (1,0), all with bias
     * off (batch norm follows) and on; 3 to 64 input and 8 to 40 output channels.
     */
    public static Arbitrary<Cases.Conv2d> inceptionConvs() {
        List<Object[]> layers = List.of(
                new Object[] {3, 3, Conv2dSpec.of(2, 0)}, new Object[] {3, 3, Conv2dSpec.of(1, 1)},
                new Object[] {1, 1, Conv2dSpec.of(1, 0)}, new Object[] {5, 5, Conv2dSpec.of(1, 2)},
                new Object[] {1, 7, Conv2dSpec.of(1, 0, 3)}, new Object[] {7, 1, Conv2dSpec.of(1, 3, 0)},
                new Object[] {1, 3, Conv2dSpec.of(1, 0, 1)}, new Object[] {3, 1, Conv2dSpec.of(1, 1, 0)});
        // 40 and 64 channels: past the channel counts below which a backend's fast paths may step aside (the
        // CPU's Winograd convolutions need 32 on both sides, and 64 input channels for the 1×n and n×1 kernels).
        return Combinators.combine(Arbitraries.of(layers), Arbitraries.of(7, 8, 9, 17), Arbitraries.of(3, 8, 16, 40, 64),
                Arbitraries.of(8, 17, 40), Arbitraries.of(true, false), valueKinds(), seeds()).as(
                (l, hw, cin, cout, bias, kind, seed) -> new Cases.Conv2d(Shape.of(1, cin, hw, hw),
                        Shape.of(cout, cin, (Integer) l[0], (Integer) l[1]), bias, (Conv2dSpec) l[2], kind, seed));
    }

    // ================================================================ pooling

    /**
     * Random pool geometry with every {@link Pool2dSpec} option: a kernel from {@link #KERNELS}
     * or 8×8, strides 1–3, dilations (mostly 1), each padding in [0, extent − 1], ceil mode and
     * count-include-pad both ways; input from the smallest that fits to 14 more. Geometries where
     * some dilated window misses the input altogether are left out (see
     * {@link PoolingReference#everyWindowTouchesInput}). One try in five is an Inception-v3 pool.
     */
    public static Arbitrary<Cases.Pool> poolCases() {
        Arbitrary<Integer> strides = Arbitraries.integers().between(1, 3);
        Arbitrary<Integer> dilations = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(1)), Tuple.of(1, Arbitraries.integers().between(2, 3)));
        Arbitrary<List<Integer>> kernels = Arbitraries.frequencyOf(
                Tuple.of(9, Arbitraries.of(KERNELS)), Tuple.of(1, Arbitraries.just(List.of(8, 8))));
        Arbitrary<Cases.Pool> random = Combinators.combine(kernels, strides, strides, dilations, dilations,
                        Arbitraries.integers().between(1, 2), Arbitraries.of(1, 2, 3, 8, 9, 17))
                .flatAs((k, sh, sw, dh, dw, n, c) -> {
                    int kh = k.get(0), kw = k.get(1), eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
                    Arbitrary<Integer> padH = Arbitraries.integers().between(0, eh - 1);
                    Arbitrary<Integer> padW = Arbitraries.integers().between(0, ew - 1);
                    Arbitrary<Integer> extra = Arbitraries.integers().between(0, 14);
                    Arbitrary<Boolean> flag = Arbitraries.of(true, false);
                    return Combinators.combine(padH, padH, padW, padW, extra, extra,
                            Combinators.combine(flag, flag).as(Tuple::of),
                            Combinators.combine(valueKinds(), seeds()).as(Tuple::of)).as(
                            (pt, pb, pl, pr, xh, xw, modes, ks) -> {
                                int h = Math.max(1, eh - pt - pb) + xh, w = Math.max(1, ew - pl - pr) + xw;
                                return new Cases.Pool(Shape.of(n, c, h, w), new Pool2dSpec(kh, kw, sh, sw, pt, pl, pb,
                                        pr, dh, dw, modes.get1(), modes.get2()), ks.get1(), ks.get2());
                            });
                })
                .filter(p -> PoolingReference.everyWindowTouchesInput(p.x(), p.spec()));
        return Arbitraries.frequencyOf(Tuple.of(4, random), Tuple.of(1, inceptionPools()));
    }

    /**
     * Inception-v3's pools on small inputs: 3×3/2 valid (the grid reductions), 3×3/1 pad 1 with
     * and without counting the padding (torchvision vs TF-slim, spec §9.1), 3×3/2 ceil, 8×8
     * global average.
     */
    public static Arbitrary<Cases.Pool> inceptionPools() {
        List<Pool2dSpec> specs = List.of(Pool2dSpec.of(3, 2, 0), Pool2dSpec.of(3, 1, 1),
                Pool2dSpec.of(3, 1, 1).withCountIncludePad(false),
                new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, true), Pool2dSpec.of(8, 1, 0));
        return Combinators.combine(Arbitraries.of(specs), Arbitraries.of(8, 9, 17), Arbitraries.of(3, 16),
                valueKinds(), seeds()).as((spec, hw, c, kind, seed) ->
                new Cases.Pool(Shape.of(1, c, hw, hw), spec, kind, seed));
    }

    // ================================================================ normalization

    /**
     * x of rank 2 ([N,C]), 3 or 4 ([N,C,H,W]) with N in 1–3 and C around the vector width;
     * one value per channel (M = 1) occurs. eps in {1e−5, 1e−3, 0.1}, momentum in {0, 0.1, 0.5, 1}
     * or random. One try in eight is large (up to 4×32×35×35) so that a parallel backend splits it.
     */
    public static Arbitrary<Cases.BatchNorm> batchNormCases() {
        Arbitrary<Integer> spatial = Arbitraries.of(1, 2, 3, 5, 7, 8, 9);
        Arbitrary<Float> momenta = Arbitraries.oneOf(Arbitraries.of(0f, 0.1f, 0.5f, 1f),
                Arbitraries.floats().between(0f, 1f));
        Arbitrary<Cases.BatchNorm> large = Combinators.combine(Arbitraries.integers().between(2, 4),
                Arbitraries.of(8, 9, 17, 32), Arbitraries.of(17, 19, 23, 35), Arbitraries.of(1e-5f, 1e-3f), momenta,
                seeds()).as((n, c, hw, eps, momentum, seed) ->
                new Cases.BatchNorm(Shape.of(n, c, hw, hw), eps, momentum, seed));
        return Arbitraries.frequencyOf(Tuple.of(7, smallBatchNormCases(spatial, momenta)), Tuple.of(1, large));
    }

    private static Arbitrary<Cases.BatchNorm> smallBatchNormCases(Arbitrary<Integer> spatial, Arbitrary<Float> momenta) {
        return Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.of(1, 2, 3, 7, 8, 9, 17),
                Arbitraries.integers().between(2, 4), spatial, spatial, Arbitraries.of(1e-5f, 1e-3f, 0.1f), momenta,
                seeds()).as((n, c, rank, h, w, eps, momentum, seed) -> {
            Shape x = switch (rank) {
                case 2 -> Shape.of(n, c);
                case 3 -> Shape.of(n, c, h * w);
                default -> Shape.of(n, c, h, w);
            };
            return new Cases.BatchNorm(x, eps, momentum, seed);
        });
    }

    // ================================================================ softmax

    /** Shapes of rank 1–4, any axis (also negative), softmax and log-softmax. */
    public static Arbitrary<Cases.Softmax> softmaxCases() {
        return Combinators.combine(shapes(1), Arbitraries.integers().between(0, 3),
                        Arbitraries.of(true, false), Arbitraries.of(true, false), valueKinds(), seeds())
                .as((s, axisPick, negative, log, kind, seed) -> {
                    int axis = axisPick % s.rank();
                    return new Cases.Softmax(s, negative ? axis - s.rank() : axis, log, kind, seed);
                });
    }

    // ================================================================ fills and randomness

    /** Constant fills, special values (−0, ±∞, NaN, the largest float) included. */
    public static Arbitrary<Cases.Fill> fillCases() {
        Arbitrary<Float> values = Arbitraries.oneOf(
                Arbitraries.of(0f, -0f, 1f, -2.5f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN,
                        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY),
                Arbitraries.floats());
        return Combinators.combine(shapes(), values).as(Cases.Fill::new);
    }

    /** Every distribution with valid parameters: lo ≤ hi for uniform, std ≥ 0 otherwise. */
    public static Arbitrary<Cases.RandomFill> randomCases() {
        Arbitrary<Float> params = Arbitraries.oneOf(Arbitraries.of(0f, 1f, -1f, 0.02f),
                Arbitraries.floats().between(-5f, 5f));
        return Combinators.combine(shapes(), Arbitraries.of(RandomStream.Distribution.class), seeds(), params, params)
                .as((s, d, seed, a, b) -> d == RandomStream.Distribution.UNIFORM
                        ? new Cases.RandomFill(s, d, seed, Math.min(a, b), Math.max(a, b))
                        : new Cases.RandomFill(s, d, seed, a, Math.abs(b)));
    }

    /** Drop probabilities 0, 0.1, 0.2 (Inception-v3's), 0.5, 0.8, 0.99 and random ones in [0, 1). */
    public static Arbitrary<Cases.Dropout> dropoutCases() {
        Arbitrary<Float> ps = Arbitraries.oneOf(Arbitraries.of(0f, 0.1f, 0.2f, 0.5f, 0.8f, 0.99f),
                Arbitraries.floats().between(0f, true, 1f, false));
        return Combinators.combine(shapes(), ps, valueKinds(), seeds()).as(Cases.Dropout::new);
    }

    // ================================================================ optimizer primitives

    /** One to four tensors of rank 0 to 4 (mostly small, one in eight large: several parallel chunks). */
    public static Arbitrary<List<Shape>> shapeLists() {
        return shapes(0).list().ofMinSize(1).ofMaxSize(4);
    }

    /** Learning rates: 0, the paper's 0.045, 1 and random ones in [0, 2]. */
    public static Arbitrary<Float> learningRates() {
        return Arbitraries.oneOf(Arbitraries.of(0f, 0.01f, 0.045f, 1f), Arbitraries.floats().between(0f, 2f));
    }

    /** Decays and momenta in [0, 1): 0, 0.5, 0.9, 0.999 and random ones. */
    public static Arbitrary<Float> decays() {
        return Arbitraries.oneOf(Arbitraries.of(0f, 0.5f, 0.9f, 0.999f),
                Arbitraries.floats().between(0f, 0.999f).ofScale(4));
    }

    public static Arbitrary<Cases.SumOfSquares> sumOfSquaresCases() {
        return Combinators.combine(shapeLists(), Arbitraries.of(true, false), valueKinds(), seeds())
                .as(Cases.SumOfSquares::new);
    }

    public static Arbitrary<Cases.Axpy> axpyCases() {
        return Combinators.combine(shapeLists(), coefficients(), Arbitraries.of(true, false), valueKinds(), seeds())
                .as(Cases.Axpy::new);
    }

    public static Arbitrary<Cases.MomentumUpdate> momentumCases() {
        return Combinators.combine(shapeLists(), learningRates(), decays(), Arbitraries.of(true, false),
                Arbitraries.of(Cases.GradScale.class), valueKinds(), seeds()).as(Cases.MomentumUpdate::new);
    }

    /** ε of RMSProp from the paper's 1.0 down to 1e-8. */
    public static Arbitrary<Cases.RmsPropUpdate> rmsPropCases() {
        return Combinators.combine(shapeLists(), learningRates(), decays(), decays(),
                Arbitraries.of(1f, 0.1f, 1e-3f, 1e-8f), Arbitraries.of(Cases.GradScale.class), valueKinds(), seeds())
                .as(Cases.RmsPropUpdate::new);
    }

    /** β₁, β₂ from {@link #decays()}, ε̂ from 1e-8 to 1, and 0 to 30 earlier steps. */
    public static Arbitrary<Cases.AdamUpdate> adamCases() {
        return Combinators.combine(shapeLists(), learningRates(), Combinators.combine(decays(), decays()).as(Tuple::of),
                        Arbitraries.of(1e-8f, 1e-3f, 1f), Arbitraries.integers().between(0, 30),
                        Arbitraries.of(Cases.GradScale.class), valueKinds(), seeds())
                .as((shapes, lr, betas, eps, t, scale, kind, seed) ->
                        new Cases.AdamUpdate(shapes, lr, betas.get1(), betas.get2(), eps, t, scale, kind, seed));
    }

    /** Decays 0, 0.1, 0.9999, 1 and random ones in [0, 1]; one in eight skipped. */
    public static Arbitrary<Cases.EmaUpdate> emaCases() {
        Arbitrary<Float> d = Arbitraries.oneOf(Arbitraries.of(0f, 0.1f, 0.9999f, 1f),
                Arbitraries.floats().between(0f, 1f).ofScale(4));
        Arbitrary<Boolean> skip = Arbitraries.frequencyOf(Tuple.of(7, Arbitraries.just(false)),
                Tuple.of(1, Arbitraries.just(true)));
        return Combinators.combine(shapeLists(), d, skip, valueKinds(), seeds()).as(Cases.EmaUpdate::new);
    }
}
