package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The paper's schedule, 0.045 · 0.94^⌊epoch/2⌋, and its continuous form. */
class LearningRateTest {
    final LearningRate paper = LearningRate.paper();

    @Test
    void staircaseHoldsForTwoEpochsThenDecaysBy094() {
        assertEquals(0.045, paper.at(0), 1e-15);
        assertEquals(0.045, paper.at(1.0), 1e-15);
        assertEquals(0.045, paper.at(1.99), 1e-15);
        assertEquals(0.045 * 0.94, paper.at(2.0), 1e-15);
        assertEquals(0.045 * 0.94, paper.at(3.999), 1e-15);
        assertEquals(0.045 * 0.94 * 0.94, paper.at(4.0), 1e-15);
        // after the paper's 100 epochs: 50 decays
        assertEquals(0.045 * Math.pow(0.94, 50), paper.at(100.0), 1e-15);
    }

    @Test
    void continuousFormInterpolates() {
        LearningRate c = paper.withStaircase(false);
        assertEquals(0.045, c.at(0), 1e-15);
        assertEquals(0.045 * Math.sqrt(0.94), c.at(1.0), 1e-15);
        assertEquals(0.045 * 0.94, c.at(2.0), 1e-15);
        assertEquals(0.045 * Math.pow(0.94, 1.5), c.at(3.0), 1e-15);
        assertTrue(c.at(1.0) < paper.at(1.0));
    }

    @Test
    void epochsCountExamplesSeen() {
        // 1000 examples per epoch, batch 32: step 62 has seen 1984 (epoch 1.984), step 63 2016 (epoch 2.016).
        assertEquals(1.984, LearningRate.epoch(62, 32, 1000), 1e-12);
        assertEquals(0.045, paper.atStep(62, 32, 1000), 1e-15);
        assertEquals(0.045 * 0.94, paper.atStep(63, 32, 1000), 1e-15);
        // exactly two epochs: step 2·1000/40 = 50 decays
        assertEquals(0.045, paper.atStep(49, 40, 1000), 1e-15);
        assertEquals(0.045 * 0.94, paper.atStep(50, 40, 1000), 1e-15);
    }

    @Test
    void constantAndValidation() {
        assertEquals(0.01, LearningRate.constant(0.01).at(57.3), 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LearningRate(-1, 0.94, 2, true))
                .getMessage().contains("-1.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LearningRate(0.045, 1.5, 2, true))
                .getMessage().contains("1.5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LearningRate(0.045, 0.94, 0, true))
                .getMessage().contains("0.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> paper.at(-0.5)).getMessage().contains("-0.5"));
        assertThrows(IllegalArgumentException.class, () -> LearningRate.epoch(1, 0, 1000));
    }

    @Test
    void warmupRisesLinearlyFromZeroThenCosineReachesZeroAtTheEnd() {
        LearningRate c = LearningRate.cosine(0.2, 0.5, 4.5);
        assertEquals(0, c.at(0), 1e-15);
        assertEquals(0.1, c.at(0.25), 1e-15);                 // half-way through the warm-up
        assertEquals(0.2, c.at(0.5), 1e-15);                  // peak at the end of the warm-up
        assertEquals(0.1, c.at(2.5), 1e-12);                  // cos(π/2): half-way through the decay
        assertEquals(0.2 * 0.5 * (1 + Math.cos(Math.PI / 4)), c.at(1.5), 1e-12);
        assertEquals(0, c.at(4.5), 1e-15);
        assertEquals(0, c.at(7), 1e-15);                      // past the end it stays 0
    }

    @Test
    void linearDecayAndWarmupOnTheExponentialSchedule() {
        LearningRate l = LearningRate.linear(1.0, 0, 4);
        assertEquals(1.0, l.at(0), 1e-15);
        assertEquals(0.75, l.at(1), 1e-15);
        assertEquals(0.0, l.at(4), 1e-15);
        LearningRate p = LearningRate.paper().withWarmup(1);
        assertEquals(0.0225, p.at(0.5), 1e-15);               // warm-up towards 0.045
        assertEquals(0.045 * 0.94, p.at(2), 1e-15);           // the decay still counts epochs from 0
    }

    @Test
    void endedSchedulesRejectSettingsThatWouldBeIgnored() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRate.cosine(0.1, 2, 2))
                .getMessage().contains("total epochs > warm-up epochs (2.0), got 2.0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new LearningRate(LearningRate.Decay.COSINE, 0.1, 0.94, 2, true, 0, 4)).getMessage()
                .contains("belong to the exponential decay"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRate.paper().withTotalEpochs(10))
                .getMessage().contains("has no end"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRate.cosine(0.1, -1, 2))
                .getMessage().contains("-1.0"));
    }

    @Test
    void recipesStretchTheirScheduleToTheRun() {
        TrainConfig ten = Recipe.small().config(10);
        assertEquals(10, ten.learningRate().totalEpochs());
        assertEquals(Recipe.SMALL_WARMUP, ten.learningRate().warmupEpochs());
        Recipe longWarmup = new Recipe("w", Recipe.small().config().withLearningRate(LearningRate.cosine(0.1, 2, 8)), 64, 8, null,
                org.inceptionj.inception.InceptionV3.Init.TORCHVISION);
        assertEquals(0.5, longWarmup.config(1).learningRate().warmupEpochs(), 1e-15); // capped at half the run
        assertEquals(2, longWarmup.config(5).learningRate().warmupEpochs(), 1e-15);
        assertEquals(LearningRate.paper(), Recipe.paper().config(3).learningRate());
        assertEquals(Optimizer.Kind.MOMENTUM, Recipe.named("SMALL").config().optimizer());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Recipe.named("fast")).getMessage()
                .contains("'fast' is not one of [small, paper]"));
    }
}
