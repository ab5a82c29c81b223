package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.inceptionj.api.Tensor;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.Dataset;
import org.inceptionj.inception.data.Transform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop: order of events, stops, a diverging step, option checks. */
class TrainerTest extends BackendTest {
    static final int SIZE = 75;

    @TempDir
    Path tmp;

    /** K classes of flat images whose gray level is the class: learnable, tiny, in memory. */
    static Dataset flat(int classes, int perClass) {
        return new Dataset() {
            public String source() {
                return "flat test data";
            }

            public int size() {
                return classes * perClass;
            }

            public List<String> classes() {
                List<String> names = new ArrayList<>();
                for (int k = 0; k < classes; k++) {
                    names.add("c" + k);
                }
                return names;
            }

            public int label(int i) {
                return i % classes;
            }

            public BufferedImage image(int i) {
                BufferedImage b = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                int v = 40 + 170 * label(i) / Math.max(1, classes - 1);
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        b.setRGB(x, y, v << 16 | v << 8 | v);
                    }
                }
                return b;
            }

            public String describe(int i) {
                return "flat #" + i;
            }
        };
    }

    /** The gray level scaled to [-1, 1] and spread over SIZE×SIZE; NaN everywhere for {@code poisoned} in epoch {@code badEpoch}. */
    static Transform view(int badEpoch, int poisoned) {
        return (img, epoch, index) -> {
            float[] out = new float[3 * SIZE * SIZE];
            float v = epoch == badEpoch && index == poisoned ? Float.NaN : (img.getRGB(0, 0) & 0xFF) / 127.5f - 1f;
            Arrays.fill(out, v);
            return out;
        };
    }

    static InceptionV3 model(int classes) {
        return new InceptionV3(backend, Presets.named("inception-v3").withNumClasses(classes).withWidthMultiplier(0.25)
                .withAuxLogits(false), 3);
    }

    static TrainConfig sgd() {
        return Recipe.small().config(2);
    }

    @Test
    void aNonFiniteLossStopsNamingTheStepAndTheCheckpointKeepsTheLastGoodState() throws Exception {
        Path ckpt = tmp.resolve("run.ckpt");
        Dataset data = flat(2, 6);  // 12 examples, batches of 4: 3 steps per epoch
        try (InceptionV3 net = model(2);
             Trainer t = Trainer.builder(net, data).config(sgd()).epochs(2).batchSize(4).imageSize(SIZE)
                     .transforms(view(1, 5), view(-1, -1)).workers(1).checkpoint(ckpt, 1).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, t::fit);
            // Example 5 sits in one of epoch 1's batches (steps 3, 4, 5), whichever the shuffle put it in.
            long bad = t.step().steps();
            assertTrue(bad >= 3 && bad <= 5, "stopped at step " + bad);
            assertTrue(e.getMessage().contains("training diverged at step " + bad), e.getMessage());
            assertTrue(e.getMessage().contains(ckpt + " keeps the state after step " + bad), e.getMessage());
            assertEquals(bad, Checkpoint.steps(ckpt), "the file holds the last good step");
            // Nothing non-finite reached the parameters or the file.
            for (Tensor p : net.parameters().trainable().values()) {
                for (float v : p.toArray()) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
        // And it resumes.
        try (InceptionV3 net = model(2);
             TrainStep step = new TrainStep(net, Checkpoint.trainConfig(ckpt))) {
            Checkpoint.load(step, ckpt);
            assertTrue(step.steps() >= 3);
            for (Tensor p : net.parameters().asMap().values()) {
                for (float v : p.toArray()) {
                    assertTrue(Float.isFinite(v), "the saved state is finite");
                }
            }
        }
    }

    @Test
    void listenersSeeEpochsStepsEvaluationsAndSavesInOrderAndMaxStepsStops() {
        Path ckpt = tmp.resolve("slices.ckpt");
        List<String> events = new ArrayList<>();
        TrainingListener log = new TrainingListener() {
            public void onStart(Trainer.Run run) {
                events.add("start " + run.batchesPerEpoch());
            }

            public void onEpochStart(int epoch, int batches, int fromBatch) {
                events.add("epoch " + epoch + " from " + fromBatch);
            }

            public void onStep(TrainStep.Result r, double ips) {
                events.add("step " + r.step());
                assertEquals(4, r.examples());
                assertTrue(r.correct() >= 0 && r.correct() <= 4);
            }

            public void onEvaluation(Trainer.Evaluated e) {
                events.add("eval " + e.epoch() + " " + e.result().examples() + (e.complete() ? " all" : " part"));
            }

            public void onCheckpoint(Path file, long steps) {
                events.add("saved " + steps);
            }

            public void onEnd(Trainer.Outcome o) {
                events.add("end " + o.steps() + (o.stopped() ? " stopped" : ""));
            }
        };
        Dataset data = flat(2, 4);
        try (InceptionV3 net = model(2);
             Trainer t = Trainer.builder(net, data).test(flat(2, 3)).config(sgd()).epochs(2).batchSize(4).imageSize(SIZE)
                     .transforms(view(-1, -1), view(-1, -1)).workers(1).checkpoint(ckpt, 0).evaluation(1, 4)
                     .maxSteps(3).listener(log).build()) {
            Trainer.Outcome o = t.fit();
            assertTrue(o.stopped());
        }
        assertEquals(List.of("start 2", "epoch 0 from 0", "step 0", "step 1", "saved 2", "eval 0 4 part",
                "epoch 1 from 0", "step 2", "saved 3", "end 3 stopped"), events);
        events.clear();
        try (InceptionV3 net = model(2);
             Trainer t = Trainer.builder(net, data).test(flat(2, 3)).config(sgd()).epochs(2).batchSize(4).imageSize(SIZE)
                     .transforms(view(-1, -1), view(-1, -1)).workers(1).checkpoint(ckpt, 0).resume(ckpt)
                     .listener(log).build()) {
            assertFalse(t.fit().stopped());
        }
        assertEquals(List.of("start 2", "epoch 1 from 1", "step 3", "saved 4", "eval 1 6 all", "end 4"), events);
    }

    @Test
    void optionsAreCheckedTogetherNamingTheValues() {
        try (InceptionV3 net = model(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder(net, flat(1, 8))
                    .config(sgd()).batchSize(16).imageSize(60).transforms(view(-1, -1), view(-1, -1)).build());
            String m = e.getMessage();
            assertTrue(m.contains("image size 60 is below the model's minimum input 75"), m);
            assertTrue(m.contains("has 8 examples, fewer than one batch of 16"), m);
            assertTrue(m.contains("has 1 class(es); classification needs at least 2"), m);
            assertTrue(m.contains("has 1 classes, the model 2"), m);
            e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder(net, flat(2, 8)).test(flat(3, 2))
                    .config(sgd()).batchSize(4).transforms(view(-1, -1), view(-1, -1)).resume(tmp.resolve("none.ckpt"))
                    .build());
            assertTrue(e.getMessage().contains("test data flat test data has classes [c0, c1, c2]"), e.getMessage());
            assertTrue(e.getMessage().contains("none.ckpt does not exist"), e.getMessage());
        }
    }

    /** A resume whose data facts differ from those the checkpoint recorded is refused before anything is restored. */
    @Test
    void aResumeOnOtherDataIsRefusedNamingTheFacts() {
        Path ckpt = tmp.resolve("facts.ckpt");
        Dataset data = flat(2, 4);
        try (InceptionV3 net = model(2);
             Trainer t = Trainer.builder(net, data).config(sgd()).epochs(1).batchSize(4).imageSize(SIZE)
                     .transforms(view(-1, -1), view(-1, -1)).workers(1).checkpoint(ckpt, 0)
                     .runInfo(java.util.Map.of("data", "a", "seed", "1")).build()) {
            t.fit();
        }
        try (InceptionV3 net = model(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder(net, data)
                    .config(sgd()).epochs(2).batchSize(4).imageSize(SIZE).transforms(view(-1, -1), view(-1, -1))
                    .workers(1).resume(ckpt).runInfo(java.util.Map.of("data", "b", "seed", "1", "size", "75")).build());
            assertTrue(e.getMessage().contains(ckpt + " cannot be resumed exactly: ")
                    && e.getMessage().contains("data is b here, a in the checkpoint")
                    && e.getMessage().contains("size is 75 here, not recorded in the checkpoint")
                    && !e.getMessage().contains("seed"), e.getMessage());
        }
    }
}
