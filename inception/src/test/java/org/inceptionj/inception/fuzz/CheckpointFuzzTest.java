package org.inceptionj.inception.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.train.Checkpoint;
import org.inceptionj.inception.train.GradientClipping;
import org.inceptionj.inception.train.LearningRate;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training checkpoints, malformed every way {@link SafeTensorsMutations} knows plus the faults of a
 * checkpoint: tampered counters and configurations, NaN or infinities in parameters, BN statistics,
 * optimizer slots and averages (written with a correct checksum, so the checkpoint's own check is what
 * must catch them), renamed tensors and versions. The file mutated is a real checkpoint of a tiny model
 * after three steps; each case goes down the path {@code train --resume} takes: the configs and run
 * facts read from the file, a model and step built from them, then {@link Checkpoint#load}.
 */
class CheckpointFuzzTest {
    /** The smallest width at 75×75: 160 thousand parameters, so a checkpoint is a few MB. */
    static final InceptionV3.Config TINY = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.01);
    /** RMSProp (two slots) with the parameter average, 4-example epochs: every kind of tensor is there. */
    static final TrainConfig CFG = TrainConfig.paper().withLearningRate(LearningRate.paper().withInitial(0.01))
            .withExamplesPerEpoch(4).withClipping(GradientClipping.Mode.NONE, 2f);

    static Backend backend;
    static SafeTensorsBytes base;
    /** The model and step the unmodified configuration builds, reused across cases (a load overwrites all of it). */
    static InceptionV3 model;
    static TrainStep step;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws IOException {
        backend = Backends.load("cpu");
        model = new InceptionV3(backend, TINY, 1);
        step = new TrainStep(model, CFG);
        for (int k = 0; k < 3; k++) {
            try (TensorScope s = TensorScope.open()) {
                step.run(Ops.uniform(backend, Shape.of(4, 3, 75, 75), 10 + k, -1f, 1f), new int[] {k, 1, 2, 3});
            }
        }
        Path f = dir.resolve("base.safetensors");
        Checkpoint.save(step, f, Map.of("seed", "1", "batch", "4"));
        base = SafeTensorsBytes.of(Files.readAllBytes(f));
        resumePath(f); // the unmutated file resumes
    }

    @AfterAll
    static void stop() {
        step.close();
        model.close();
        backend.close();
    }

    /** What {@code train --resume f} does with the file before the first step. */
    static void resumePath(Path f) {
        InceptionV3.Config modelConfig = Checkpoint.modelConfig(f);
        // The trainer sets examples per epoch from the data (batches per epoch × batch), as here.
        TrainConfig trainConfig = Checkpoint.trainConfig(f).withExamplesPerEpoch(CFG.examplesPerEpoch());
        Checkpoint.runInfo(f);
        if (modelConfig.equals(TINY) && trainConfig.equals(CFG)) {
            Checkpoint.load(step, f);
            return;
        }
        try (InceptionV3 m = new InceptionV3(backend, modelConfig, 0); TrainStep s = new TrainStep(m, trainConfig)) {
            Checkpoint.load(s, f);
        }
    }

    static final List<String> CATEGORIES = new ArrayList<>(SafeTensorsMutations.CATEGORIES);

    static {
        CATEGORIES.addAll(List.of("tampered counters", "plausible counters", "tampered configuration",
                "plausible configuration", "NaN or infinity in data", "renamed tensor or version"));
    }

    @Test
    void everyMalformedCheckpointIsRefusedNamingIt() {
        new FuzzHarness("checkpoint", 10_000).run(FuzzHarness.cases(), (index, random) -> {
            String category = CATEGORIES.get(index % CATEGORIES.size());
            SafeTensorsMutations.Mutant m = switch (category) {
                case "tampered counters" -> pick(random, BAD_COUNTERS, false);
                case "plausible counters" -> plausibleCounters(random);
                case "tampered configuration" -> pick(random, BAD_CONFIG, false);
                case "plausible configuration" -> pick(random, PLAUSIBLE_CONFIG, true);
                case "NaN or infinity in data" -> nonFinite(random);
                case "renamed tensor or version" -> renamed(random);
                default -> SafeTensorsMutations.make(category, base, random);
            };
            Path f = dir.resolve("case-" + index + ".safetensors");
            Files.write(f, m.bytes());
            return new FuzzHarness.Case(f, category, m.mayBeValid());
        }, f -> {
            try {
                resumePath(f);
            } finally {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }).assertNoUnexpected();
    }

    /** Counters out of range or inconsistent with each other (the run: 3 steps, 12 examples, 4 per epoch). */
    static final String[][] BAD_COUNTERS = {
            {"step", "99999999999"}, {"step", "2147483648"}, {"step", "-1"}, {"step", "9223372036854775808"},
            {"step", "abc"}, {"step", "1.5"}, {"step", ""}, {"step", "13"}, {"step", "2"},
            {"examplesSeen", "2"}, {"examplesSeen", "13"}, {"examplesSeen", "-12"}, {"examplesSeen", "99999999999999"},
            {"examplesSeen", "12.0"}, {"dropout.step", "-1"}, {"dropout.step", "x"}, {"dropout.seedBase", "0x10"},
            {"dropout.seedBase", "99999999999999999999"}};

    /** Changes a resume cannot tell from the truth, since the file stays self-consistent. */
    static SafeTensorsMutations.Mutant plausibleCounters(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> new SafeTensorsMutations.Mutant(base.withMetadata("step", "4").bytes(), true); // 4 ≤ 12 ≤ 16
            case 1 -> new SafeTensorsMutations.Mutant(base.withMetadata("examplesSeen",
                    Integer.toString(3 + r.nextInt(10))).bytes(), true);                               // 3 ≤ e ≤ 12
            case 2 -> new SafeTensorsMutations.Mutant(base.withMetadata("dropout.seedBase",
                    Long.toString(r.nextLong())).bytes(), true);
            default -> new SafeTensorsMutations.Mutant(base.withMetadata("dropout.step",
                    Integer.toString(r.nextInt(1000))).bytes(), true);
        };
    }

    /** Configurations outside the limits, larger than the file, unreadable, or not matching the tensors. */
    static final String[][] BAD_CONFIG = {
            {"model.numClasses", "1000000"}, {"model.numClasses", "100001"}, {"model.numClasses", "0"},
            {"model.numClasses", "11"}, {"model.widthMultiplier", "4.0"}, {"model.widthMultiplier", "0.5"},
            {"model.widthMultiplier", "NaN"}, {"model.widthMultiplier", "0.0"}, {"model.firstStride", "1000000"},
            {"model.firstStride", "9"}, {"model.firstStride", "0"}, {"model.dropout", "NaN"}, {"model.dropout", "1.0"},
            {"model.auxLogits", "yes"}, {"model.factorizedStem", "false"}, {"train.examplesPerEpoch", "0"},
            {"train.examplesPerEpoch", "-4"}, {"train.examplesPerEpoch", "5"}, {"train.optimizer", "SGD"},
            {"train.learningRate.initial", "NaN"}, {"train.learningRate.initial", "-1.0"},
            {"train.clipNorm", "Infinity"}, {"train.emaDecay", "1.0"}, {"train.learningRate.decay", "exponential"}};

    /** Other values within every limit: the file describes another run, which resumes. */
    static final String[][] PLAUSIBLE_CONFIG = {
            {"train.learningRate.initial", "0.02"}, {"train.weightDecay", "0.0"}, {"model.dropout", "0.3"},
            {"train.labelSmoothing", "0.2"}, {"run.seed", "7"}};

    static SafeTensorsMutations.Mutant pick(Random r, String[][] changes, boolean mayBeValid) {
        String[] c = changes[r.nextInt(changes.length)];
        return new SafeTensorsMutations.Mutant(base.withMetadata(c[0], c[1]).bytes(), mayBeValid);
    }

    /** One value of a parameter, BN statistic, optimizer slot or average made non-finite; checksum recomputed. */
    static SafeTensorsMutations.Mutant nonFinite(Random r) {
        List<SafeTensorsBytes.Entry> entries = base.entries();
        String kind = List.of("parameter", "statistic", "optimizer.", "ema.").get(r.nextInt(4));
        List<SafeTensorsBytes.Entry> ofKind = entries.stream().filter(e -> {
            boolean model = !e.name().startsWith("optimizer.") && !e.name().startsWith("ema.");
            return switch (kind) {
                case "parameter" -> model && !e.name().contains(".running_");
                case "statistic" -> model && e.name().contains(".running_");
                default -> e.name().startsWith(kind);
            };
        }).toList();
        SafeTensorsBytes.Entry e = ofKind.get(r.nextInt(ofKind.size()));
        byte[] d = base.data().clone();
        int at = (int) (e.begin() + 4 * r.nextInt((int) ((e.end() - e.begin()) / 4)));
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, bad[r.nextInt(bad.length)]);
        return SafeTensorsMutations.Mutant.bad(base.withData(d).withChecksum().bytes());
    }

    /** A tensor under another name (one missing, one unexpected), or another format version. */
    static SafeTensorsMutations.Mutant renamed(Random r) {
        if (r.nextBoolean()) {
            String[] versions = {"1", "3", "", "2.0", " 2", "x"};
            return SafeTensorsMutations.Mutant.bad(
                    base.withMetadata(Checkpoint.VERSION_KEY, versions[r.nextInt(versions.length)]).bytes());
        }
        List<SafeTensorsBytes.Entry> entries = base.entries();
        SafeTensorsBytes.Entry e = entries.get(r.nextInt(entries.size()));
        String[] names = {e.name() + "_", "optimizer." + e.name(), e.name().replace('.', '_'), "ema.x", "x" + e.name()};
        String name = names[r.nextInt(names.length)];
        if (name.equals(e.name())) {
            name = e.name() + "_";
        }
        return SafeTensorsMutations.Mutant.bad(base.replace(e, e.withName(name)).bytes());
    }
}
