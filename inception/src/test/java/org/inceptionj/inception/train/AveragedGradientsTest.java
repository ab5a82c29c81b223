package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.distributed.Collective;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The averaged path of {@link TrainStep} without MPI: a {@link Collective} that stands for two
 * identical replicas (its all-reduce doubles the buffer, x + x = 2x exactly, and ½ of it is x again)
 * must take exactly the single-process step; and the start-of-run agreement check names what differs.
 */
class AveragedGradientsTest {
    static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.load();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** Rank 0 of two whose other rank has the same gradients: the sum is twice this rank's. */
    static final class Mirror implements Collective {
        int reductions;

        public int rank() {
            return 0;
        }

        public int size() {
            return 2;
        }

        public String describe() {
            return "mirror";
        }

        public void allReduceSum(MemorySegment floats) {
            reductions++;
            for (long i = 0; i < floats.byteSize() / 4; i++) {
                floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, 2 * floats.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        }

        public void broadcast(MemorySegment bytes, int root) {
        }

        public void barrier() {
        }

        public void abort(int code) {
            throw new IllegalStateException("abort " + code);
        }

        public void close() {
        }
    }

    @Test
    void twoIdenticalReplicasTakeExactlyTheSingleProcessStep() {
        InceptionV3.Config config = DistributedEquivalence.config();
        TrainConfig recipe = DistributedEquivalence.recipe().withExamplesPerEpoch(40);
        SplittableRandom rng = new SplittableRandom(3);
        float[] pixels = new float[2 * 3 * 75 * 75];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) rng.nextDouble(-1, 1);
        }
        int[] labels = {0, 2};
        Mirror mirror = new Mirror();
        try (InceptionV3 single = new InceptionV3(backend, config, 5, InceptionV3.Init.HE);
             InceptionV3 replica = new InceptionV3(backend, config, 5, InceptionV3.Init.HE);
             TrainStep one = new TrainStep(single, recipe);
             // Two ranks see twice the examples per step: twice the epoch keeps the schedule's epoch the same.
             TrainStep two = new TrainStep(replica, recipe.withExamplesPerEpoch(80), mirror);
             Tensor x = Ops.fromArray(backend, Shape.of(2, 3, 75, 75), pixels)) {
            for (int s = 0; s < 2; s++) {
                TrainStep.Result a = one.run(x, labels), b = two.run(x, labels);
                assertEquals(a.loss(), b.loss(), "step " + s + ": the mean loss of the two replicas");
                assertEquals(a.gradientNorm(), b.gradientNorm(), "step " + s);
                assertEquals(a.learningRate(), b.learningRate());
            }
            assertEquals(2, mirror.reductions, "one all-reduce per step");
            assertEquals(2 * one.examplesSeen(), two.examplesSeen(), "examples of both ranks are counted");
            for (var e : single.parameters().asMap().entrySet()) {
                assertArrayEquals(e.getValue().toArray(), replica.parameters().asMap().get(e.getKey()).toArray(), e.getKey());
            }
            TrainStep.AveragingTime t = two.averagingTime();
            assertEquals(2, t.steps());
            assertEquals(single.parameters().trainableCount() + 2, t.floatsPerStep());
            assertEquals(null, one.averagingTime(), "one process with one batch never goes through the host");
        }
    }

    /** Plays rank 0 (recording what it broadcasts) or rank 1 (receiving rank 0's recording) of two. */
    static final class Recorded implements Collective {
        final int rank;
        final List<byte[]> broadcasts;
        int next;
        float othersFlag;

        Recorded(int rank, List<byte[]> broadcasts, float othersFlag) {
            this.rank = rank;
            this.broadcasts = broadcasts;
            this.othersFlag = othersFlag;
        }

        public int rank() {
            return rank;
        }

        public int size() {
            return 2;
        }

        public String describe() {
            return "recorded";
        }

        public void allReduceSum(MemorySegment floats) {
            floats.setAtIndex(ValueLayout.JAVA_FLOAT, 0, floats.getAtIndex(ValueLayout.JAVA_FLOAT, 0) + othersFlag);
        }

        public void broadcast(MemorySegment bytes, int root) {
            if (rank == 0) {
                broadcasts.add(bytes.toArray(ValueLayout.JAVA_BYTE));
            } else {
                MemorySegment.copy(MemorySegment.ofArray(broadcasts.get(next++)), 0, bytes, 0, bytes.byteSize());
            }
        }

        public void barrier() {
        }

        public void abort(int code) {
        }

        public void close() {
        }
    }

    @Test
    void ranksThatDisagreeNameWhatDiffers() {
        Map<String, String> root = new LinkedHashMap<>(Map.of("batch", "16", "seed", "0"));
        Map<String, String> other = new LinkedHashMap<>(Map.of("batch", "8", "seed", "0"));
        List<byte[]> sent = new ArrayList<>();
        // Rank 0 agrees with itself, but is told that one other rank disagrees.
        IllegalArgumentException atRoot = assertThrows(IllegalArgumentException.class,
                () -> Replicas.checkAgreement(new Recorded(0, sent, 1f), root));
        assertTrue(atRoot.getMessage().contains("1 of 2 ranks disagree with rank 0"), atRoot.getMessage());
        IllegalArgumentException atOne = assertThrows(IllegalArgumentException.class,
                () -> Replicas.checkAgreement(new Recorded(1, sent, 0f), other));
        assertTrue(atOne.getMessage().contains("rank 1 disagrees with rank 0: batch is 8 here, 16 on rank 0"), atOne.getMessage());
        assertFalse(atOne.getMessage().contains("seed"), atOne.getMessage());
        // Agreement passes quietly.
        Replicas.checkAgreement(new Recorded(1, sent, 0f), root);
    }

    @Test
    void aFingerprintSeesALabelChange() {
        var data = DistributedEquivalence.data();
        String f = Replicas.fingerprint(data);
        assertEquals(f, Replicas.fingerprint(DistributedEquivalence.data()));
        var relabelled = new org.inceptionj.inception.data.Dataset() {
            public String source() {
                return data.source();
            }

            public int size() {
                return data.size();
            }

            public List<String> classes() {
                return data.classes();
            }

            public int label(int i) {
                return i == 7 ? (data.label(i) + 1) % 3 : data.label(i);
            }

            public java.awt.image.BufferedImage image(int i) {
                return data.image(i);
            }

            public String describe(int i) {
                return data.describe(i);
            }
        };
        assertFalse(f.equals(Replicas.fingerprint(relabelled)));
    }
}
