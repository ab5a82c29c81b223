package org.inceptionj.conformance;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.ReduceOp;
import org.inceptionj.api.Shape;
import org.inceptionj.api.UnaryOp;
import org.inceptionj.conformance.reference.BatchNormBackwardReference;
import org.inceptionj.conformance.reference.BatchNormReference;
import org.inceptionj.conformance.reference.Conv2dBackwardReference;
import org.inceptionj.conformance.reference.Conv2dReference;
import org.inceptionj.conformance.reference.CrossEntropyReference;
import org.inceptionj.conformance.reference.DTensor;
import org.inceptionj.conformance.reference.ElementwiseBackwardReference;
import org.inceptionj.conformance.reference.ElementwiseReference;
import org.inceptionj.conformance.reference.LayoutBackwardReference;
import org.inceptionj.conformance.reference.LayoutReference;
import org.inceptionj.conformance.reference.LinearReference;
import org.inceptionj.conformance.reference.PoolingBackwardReference;
import org.inceptionj.conformance.reference.PoolingReference;
import org.inceptionj.conformance.reference.RandomReference;
import org.inceptionj.conformance.reference.ReduceReference;
import org.inceptionj.conformance.reference.SoftmaxBackwardReference;
import org.inceptionj.conformance.reference.SoftmaxReference;

/**
 * The references that {@link GradientConformance} trusts, each backward against central finite
 * differences of its forward, in double precision ({@link FiniteDifferences}), at well-separated
 * values for max pool and away from ReLU's kink. These touch no backend, so they run once, in the
 * kit's own build, and not in every backend's gradient suite (whose every property exercises the
 * backend under test).
 */
class ReferenceBackwardTest {
    private static final String SUITE = "ReferenceBackwardTest";

    /** Prints the table of worst errors once the properties have run. */
    @AfterContainer
    static void printWorstErrors() {
        String table = GradientReport.drain();
        if (!table.isEmpty()) {
            System.out.print(table);
        }
    }

    @Provide
    Arbitrary<Cases.Conv2d> smallConv2dCases() {
        return GradientGenerators.smallConv2dCases();
    }

    @Provide
    Arbitrary<Cases.Pool> smallPoolCases() {
        return GradientGenerators.smallPoolCases();
    }

    @Provide
    Arbitrary<Cases.BatchNorm> smallBatchNormCases() {
        return GradientGenerators.smallBatchNormCases();
    }

    @Provide
    Arbitrary<Cases.Softmax> smallSoftmaxCases() {
        return GradientGenerators.smallSoftmaxCases();
    }

    @Provide
    Arbitrary<GradientCases.CrossEntropy> smallCrossEntropyCases() {
        return GradientGenerators.smallCrossEntropyCases();
    }

    @Provide
    Arbitrary<GradientCases.Linear> smallLinearCases() {
        return GradientGenerators.smallLinearCases();
    }

    @Provide
    Arbitrary<GradientCases.Pointwise> smallPointwiseCases() {
        return GradientGenerators.smallPointwiseCases();
    }

    @Provide
    Arbitrary<GradientCases.Pointwise> smallImageCases() {
        return GradientGenerators.smallImageCases();
    }

    @Provide
    Arbitrary<Cases.Concat> smallConcatCases() {
        return GradientGenerators.smallConcatCases();
    }

    @Provide
    Arbitrary<Cases.Slice> smallSliceCases() {
        return GradientGenerators.smallSliceCases();
    }

    @Provide
    Arbitrary<GradientCases.Binary> smallBinaryCases() {
        return GradientGenerators.smallBinaryCases();
    }


    /** conv2d: dx, dw, dbias of the reference against finite differences of {@link Conv2dReference#forward}. */
    @Property(tries = 25)
    public void conv2dReferenceBackwardMatchesFiniteDifferences(@ForAll("smallConv2dCases") Cases.Conv2d c) {
        Conv2dSpec s = c.spec();
        DTensor x = Values.uniform(c.x(), c.seed(), -1, 1), w = Values.uniform(c.w(), c.seed() + 1, -1, 1);
        DTensor bias = c.bias() ? Values.uniform(Shape.of(c.w().dim(0)), c.seed() + 2, -1, 1) : null;
        DTensor dy = Values.uniform(Conv2dReference.forward(x, w, bias, s).shape(), c.seed() + 3, -1, 1);
        GradientConformance.finiteDifferences(SUITE, "conv2d", c, () -> Conv2dReference.forward(x, w, bias, s), dy,
                new String[] {"dx", "dw", "dbias"}, new DTensor[] {x, w, bias},
                new DTensor[] {Conv2dBackwardReference.data(dy, w, c.x(), s), Conv2dBackwardReference.weight(dy, x, c.w(), s),
                        c.bias() ? Conv2dBackwardReference.bias(dy) : null}, c.seed());
    }

    /** Batch norm, training (from the double statistics) and evaluation, against finite differences in x, γ and β. */
    @Property(tries = 25)
    public void batchNormReferenceBackwardMatchesFiniteDifferences(@ForAll("smallBatchNormCases") Cases.BatchNorm c) {
        Shape cs = Shape.of(c.x().dim(1));
        DTensor x = Values.channels(c.x(), c.seed());
        DTensor gamma = Values.uniform(cs, c.seed() + 1, -2, 2), beta = Values.uniform(cs, c.seed() + 2, -1, 1);
        DTensor rm = Values.uniform(cs, c.seed() + 3, -1, 1), rv = Values.uniform(cs, c.seed() + 4, 0.5, 2);
        DTensor dy = Values.uniform(c.x(), c.seed() + 5, -1, 1);
        BatchNormReference.Training fwd = BatchNormReference.training(x, gamma, beta, rm, rv, c.eps(), c.momentum());
        BatchNormBackwardReference.Grads train = BatchNormBackwardReference.training(dy, x, gamma, fwd.mean(), fwd.invStd());
        GradientConformance.finiteDifferences(SUITE, "batchNorm training", c,
                () -> BatchNormReference.training(x, gamma, beta, rm, rv, c.eps(), c.momentum()).out(), dy,
                new String[] {"dx", "dgamma", "dbeta"}, new DTensor[] {x, gamma, beta},
                new DTensor[] {train.dx(), train.dgamma(), train.dbeta()}, c.seed());
        BatchNormBackwardReference.Grads eval = BatchNormBackwardReference.inference(dy, x, gamma, rm, rv, c.eps());
        GradientConformance.finiteDifferences(SUITE, "batchNorm eval", c, () -> BatchNormReference.inference(x, gamma, beta, rm, rv, c.eps()), dy,
                new String[] {"dx", "dgamma", "dbeta"}, new DTensor[] {x, gamma, beta},
                new DTensor[] {eval.dx(), eval.dgamma(), eval.dbeta()}, c.seed());
    }

    /** ReLU (inputs at least 1/16 from 0) and dropout (a fixed mask: linear) against finite differences. */
    @Property(tries = 20)
    public void reluAndDropoutReferenceBackwardMatchFiniteDifferences(@ForAll("smallPointwiseCases") GradientCases.Pointwise c) {
        DTensor x = GradientGenerators.awayFromZero(c.shape(), c.seed()), dy = Values.uniform(c.shape(), c.seed() + 1, -1, 1);
        DTensor y = ElementwiseReference.unary(UnaryOp.RELU, x);
        GradientConformance.finiteDifferences(SUITE, "relu", c, () -> ElementwiseReference.unary(UnaryOp.RELU, x), dy, new String[] {"dx"},
                new DTensor[] {x}, new DTensor[] {ElementwiseBackwardReference.relu(dy, y)}, c.seed());
        float p = (float) Math.floorMod(c.seed(), 10) / 10;
        DTensor mask = RandomReference.dropout(x, p, c.seed()).mask();
        GradientConformance.finiteDifferences(SUITE, "dropout", c, () -> RandomReference.dropout(x, p, c.seed()).out(), dy, new String[] {"dx"},
                new DTensor[] {x}, new DTensor[] {ElementwiseBackwardReference.dropout(dy, mask)}, c.seed());
    }

    /** Max pool (distinct values: one clear winner per window) and average pool against finite differences. */
    @Property(tries = 25)
    public void poolingReferenceBackwardMatchesFiniteDifferences(@ForAll("smallPoolCases") Cases.Pool c) {
        DTensor x = GradientGenerators.distinct(c.x(), c.seed());
        DTensor dy = Values.uniform(PoolingReference.outShape(c.x(), c.spec()), c.seed() + 1, -1, 1);
        GradientConformance.finiteDifferences(SUITE, "maxPool2d", c, () -> PoolingReference.max(x, c.spec()), dy, new String[] {"dx"},
                new DTensor[] {x}, new DTensor[] {PoolingBackwardReference.max(dy, x, c.spec())}, c.seed());
        GradientConformance.finiteDifferences(SUITE, "avgPool2d", c, () -> PoolingReference.average(x, c.spec()), dy, new String[] {"dx"},
                new DTensor[] {x}, new DTensor[] {PoolingBackwardReference.average(dy, c.x(), c.spec())}, c.seed());
    }

    /** Softmax and log-softmax (the Jacobian–vector product) against finite differences. */
    @Property(tries = 25)
    public void softmaxReferenceBackwardMatchesFiniteDifferences(@ForAll("smallSoftmaxCases") Cases.Softmax c) {
        DTensor x = Values.uniform(c.shape(), c.seed(), -1, 1), dy = Values.uniform(c.shape(), c.seed() + 1, -1, 1);
        DTensor y = SoftmaxReference.softmax(x, c.axis(), c.log());
        GradientConformance.finiteDifferences(SUITE, c.log() ? "logSoftmax" : "softmax", c, () -> SoftmaxReference.softmax(x, c.axis(), c.log()), dy,
                new String[] {"dx"}, new DTensor[] {x},
                new DTensor[] {SoftmaxBackwardReference.backward(dy, y, c.axis(), c.log())}, c.seed());
    }

    /** Cross-entropy: p − q' over N against finite differences of the loss, with and without a prior. */
    @Property(tries = 25)
    public void crossEntropyReferenceGradientMatchesFiniteDifferences(
            @ForAll("smallCrossEntropyCases") GradientCases.CrossEntropy c) {
        DTensor logits = Values.uniform(Shape.of(c.n(), c.k()), c.seed(), -2, 2);
        int[] labels = GradientGenerators.labels(c.n(), c.k(), c.seed());
        DTensor prior = c.prior() ? GradientGenerators.prior(c.k(), c.seed() + 1) : null;
        GradientConformance.finiteDifferences(SUITE, "crossEntropy", c, () -> CrossEntropyReference.forward(logits, labels, c.epsilon(), prior).loss(),
                DTensor.full(Shape.scalar(), 1), new String[] {"dlogits"}, new DTensor[] {logits},
                new DTensor[] {CrossEntropyReference.forward(logits, labels, c.epsilon(), prior).dlogits()}, c.seed());
    }

    /** linear: dx, dw, db against finite differences of {@link LinearReference#forward}. */
    @Property(tries = 20)
    public void linearReferenceBackwardMatchesFiniteDifferences(@ForAll("smallLinearCases") GradientCases.Linear c) {
        DTensor x = Values.uniform(Shape.of(c.n(), c.in()), c.seed(), -1, 1);
        DTensor w = Values.uniform(Shape.of(c.out(), c.in()), c.seed() + 1, -1, 1);
        DTensor b = c.bias() ? Values.uniform(Shape.of(c.out()), c.seed() + 2, -1, 1) : null;
        DTensor dy = Values.uniform(Shape.of(c.n(), c.out()), c.seed() + 3, -1, 1);
        LinearReference.Grads g = LinearReference.backward(dy, x, w, c.bias());
        GradientConformance.finiteDifferences(SUITE, "linear", c, () -> LinearReference.forward(x, w, b), dy, new String[] {"dx", "dw", "db"},
                new DTensor[] {x, w, b}, new DTensor[] {g.dx(), g.dw(), g.db()}, c.seed());
    }

    /** concat and slice against finite differences of {@link LayoutReference}. */
    @Property(tries = 15)
    public void concatAndSliceReferenceBackwardMatchFiniteDifferences(@ForAll("smallConcatCases") Cases.Concat c,
                                                                       @ForAll("smallSliceCases") Cases.Slice s) {
        DTensor[] parts = new DTensor[c.parts().size()];
        String[] names = new String[parts.length];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = Values.uniform(c.parts().get(p), c.seed() + p, -1, 1);
            names[p] = "dpart" + p;
        }
        int axis = c.axis() < 0 ? c.axis() + parts[0].shape().rank() : c.axis();
        DTensor dy = Values.uniform(LayoutReference.concat(parts, axis).shape(), c.seed() - 1, -1, 1);
        GradientConformance.finiteDifferences(SUITE, "concat", c, () -> LayoutReference.concat(parts, axis), dy, names, parts,
                LayoutBackwardReference.concat(dy, c.parts().toArray(Shape[]::new), axis), c.seed());
        DTensor x = Values.uniform(s.shape(), s.seed(), -1, 1);
        DTensor ds = Values.uniform(s.shape().with(s.axis(), s.length()), s.seed() + 1, -1, 1);
        GradientConformance.finiteDifferences(SUITE, "slice", s, () -> LayoutReference.slice(x, s.axis(), s.start(), s.length()), ds,
                new String[] {"dx"}, new DTensor[] {x},
                new DTensor[] {LayoutBackwardReference.slice(ds, s.shape(), s.axis(), s.start())}, s.seed());
    }

    /** add, sub, mul with broadcasting, the mean and the global average pool against finite differences. */
    @Property(tries = 20)
    public void elementwiseReferenceBackwardMatchesFiniteDifferences(@ForAll("smallBinaryCases") GradientCases.Binary c,
                                                                     @ForAll("smallImageCases") GradientCases.Pointwise img) {
        DTensor a = Values.uniform(c.a(), c.seed(), -1, 1), b = Values.uniform(c.b(), c.seed() + 1, -1, 1);
        DTensor dz = Values.uniform(ElementwiseReference.broadcastShape(c.a(), c.b()), c.seed() + 2, -1, 1);
        GradientConformance.finiteDifferences(SUITE, c.op().name().toLowerCase(), c, () -> ElementwiseReference.binary(c.op(), a, b), dz,
                new String[] {"da", "db"}, new DTensor[] {a, b}, ElementwiseBackwardReference.binary(c.op(), a, b, dz), c.seed());
        Shape xs = img.shape();
        DTensor x = Values.uniform(xs, img.seed(), -1, 1);
        DTensor dPooled = Values.uniform(Shape.of(xs.dim(0), xs.dim(1), 1, 1), img.seed() + 1, -1, 1);
        boolean[] hw = {false, false, true, true}, all = {true, true, true, true};
        GradientConformance.finiteDifferences(SUITE, "globalAvgPool", img, () -> ReduceReference.reduce(ReduceOp.MEAN, x, hw, true), dPooled,
                new String[] {"dx"}, new DTensor[] {x},
                new DTensor[] {ElementwiseBackwardReference.globalAvgPool(dPooled, xs)}, img.seed());
        GradientConformance.finiteDifferences(SUITE, "mean", img, () -> ReduceReference.reduce(ReduceOp.MEAN, x, all, false),
                DTensor.full(Shape.scalar(), 0.75), new String[] {"dx"}, new DTensor[] {x},
                new DTensor[] {ElementwiseBackwardReference.mean(0.75, xs)}, img.seed());
    }
}
