package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.data.SyntheticData;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inceptionj train} end to end on a tiny synthetic image folder (width 0.25, 75×75). */
class TrainCommandTest {
    @TempDir
    static Path shared;
    static Path data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void writeData() {
        data = SyntheticData.write(shared.resolve("syn"), 3, 4, 60, 110, 7).root(); // 12 images: 3 batches of 4
    }

    private static String[] args(Path checkpoint, int epochs, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--data", data.toString(), "--size", "75",
                "--width", "0.25", "--batch", "4", "--epochs", Integer.toString(epochs), "--recipe", "paper", "--lr", "0.01", "--clip", "none",
                "--ema", "0.9", "--seed", "3", "--workers", "2", "--checkpoint", checkpoint.toString(),
                "--out", checkpoint.resolveSibling(checkpoint.getFileName() + ".run").toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsLogsEvaluatesAndExportsLoadableWeights() throws IOException {
        Path ckpt = tmp.resolve("run.ckpt"), log = tmp.resolve("log.csv"), weights = tmp.resolve("w.safetensors");
        CliRun r = CliRun.of(args(ckpt, 2, "--val", data.toString(), "--log", log.toString(), "--export", weights.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("training inception-v3 (3 classes, 75x75, width 0.25)"), r.err());
        assertTrue(r.err().contains("auxiliary head needs inputs of at least 299"), r.err());
        assertTrue(r.err().contains("epoch 1: test top-1") && r.err().contains("epoch 2: test top-1"), r.err());
        String[] outLines = r.out().strip().split("\\R");
        assertTrue(outLines[outLines.length - 1].matches("test top-1 \\d+\\.\\d\\d% top-5 \\d+\\.\\d\\d% on 12 images"), r.out());
        assertTrue(r.out().contains("without the parameter average: top-1"), r.out());
        List<String> lines = Files.readAllLines(log);
        List<String> steps = lines.stream().filter(l -> l.endsWith(",,")).toList();
        assertEquals(6, steps.size(), "one line per step (2 epochs x 3 batches): " + lines);
        assertEquals(1 + 6 + 2, lines.size(), "header, steps and two evaluations: " + lines);
        assertTrue(lines.get(0).startsWith("step,epoch,lr,loss"), lines.get(0));
        assertTrue(steps.get(5).startsWith("5,1.666667,"), steps.get(5));
        assertTrue(Files.size(ckpt.resolveSibling("run.ckpt.run").resolve("curves.png")) > 1000, "the plot is written");
        assertTrue(Files.isRegularFile(ckpt));
        InceptionV3.Config config = new InceptionV3.Config(3, false, true, 0.5f).withWidthMultiplier(0.25);
        try (Backend backend = Backends.load(); InceptionV3 m = new InceptionV3(backend, config, 1)) {
            WeightsLoader.Report report = WeightsLoader.load(m, weights, true);
            assertTrue(report.complete(), report.toString());
        }
        // The exported weights serve predict, also as a (trivial) ensemble of two members.
        Path image;
        try (var files = Files.list(data.resolve("class_1"))) {
            image = files.sorted().findFirst().orElseThrow();
        }
        CliRun p = CliRun.of("predict", "--width", "0.25", "--size", "75", "--top", "3", "--preprocess", "tf",
                "--weights", weights.toString(), "--weights", weights.toString(), image.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.err().contains("ensemble of 2 models"), p.err());
        assertEquals(3, p.out().lines().filter(l -> l.matches("\\s+\\d+\\.\\d+%\\s+\\d+\\s+class_\\d")).count(), p.out());
        // evaluate, an independent path, scores the exported (averaged) weights as the last validation did.
        java.util.regex.Matcher val = java.util.regex.Pattern.compile("test top-1 (\\d+\\.\\d+)%").matcher(r.out());
        assertTrue(val.find(), r.out());
        CliRun e = CliRun.of("evaluate", "--data", data.toString(), "--weights", weights.toString(), "--width", "0.25",
                "--size", "75", "--preprocess", "tf");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("1 model, 1 crop, 12 image(s), 3 class(es)"), e.out());
        assertTrue(e.out().contains("(accuracy " + val.group(1) + "%), top-5 error 0.00%"), e.out() + " vs " + val.group());
        CliRun e10 = CliRun.of("evaluate", "--data", data.toString(), "--weights", weights.toString(), "--weights",
                weights.toString(), "--width", "0.25", "--size", "75", "--preprocess", "tf", "--ten-crop");
        assertEquals(0, e10.code(), e10.err());
        assertTrue(e10.out().contains("ensemble of 2 models, 10 crops, 12 image(s)"), e10.out());
        // The weights carry their architecture: predict needs no flags, and a contradicting one fails naming the tensors.
        CliRun plain = CliRun.of("predict", "--weights", weights.toString(), image.toString());
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().contains("class_"), plain.out());
        CliRun wrongWidth = CliRun.of("predict", "--width", "0.5", "--weights", weights.toString(), image.toString());
        assertEquals(2, wrongWidth.code());
        assertTrue(wrongWidth.err().contains("mismatched"), wrongWidth.err());
    }

    /** Two epochs straight and one epoch, stop, resume for the second end in the same bits. */
    @Test
    void aResumedRunEndsBitIdenticalToAnUninterruptedOne() {
        Path straight = tmp.resolve("a.ckpt"), resumed = tmp.resolve("b.ckpt");
        assertEquals(0, CliRun.of(args(straight, 2)).code());
        CliRun first = CliRun.of(args(resumed, 1, "--save-every", "2"));
        assertEquals(0, first.code(), first.err());
        CliRun second = CliRun.of(args(resumed, 2, "--resume", resumed.toString()));
        assertEquals(0, second.code(), second.err());
        assertTrue(second.err().contains("resumed") && second.err().contains("at step 3"), second.err());
        SafeTensors a = SafeTensors.read(straight), b = SafeTensors.read(resumed);
        assertEquals(a.entries().keySet(), b.entries().keySet());
        for (String name : a.entries().keySet()) {
            assertArrayEquals(a.entries().get(name).floats(), b.entries().get(name).floats(), name);
        }
        assertEquals(a.metadata().get("step"), b.metadata().get("step"));
    }

    /** A run in slices (--max-steps, the path Ctrl-C takes too) ends in the same bits as one straight run. */
    @Test
    void aRunStoppedMidEpochAndResumedTwiceEndsBitIdentical() {
        Path straight = tmp.resolve("s.ckpt"), sliced = tmp.resolve("m.ckpt");
        assertEquals(0, CliRun.of(args(straight, 2)).code());
        CliRun a = CliRun.of(args(sliced, 2, "--max-steps", "2"));
        assertEquals(0, a.code(), a.err());
        assertTrue(a.err().contains("stopped after step 2") && a.err().contains("--resume"), a.err());
        assertEquals("2", SafeTensors.read(sliced).metadata().get("step"));
        CliRun b = CliRun.of(args(sliced, 2, "--resume", sliced.toString(), "--max-steps", "4"));
        assertEquals(0, b.code(), b.err());
        assertTrue(b.err().contains("stopped after step 4"), b.err());
        CliRun c = CliRun.of(args(sliced, 2, "--resume", sliced.toString()));
        assertEquals(0, c.code(), c.err());
        SafeTensors x = SafeTensors.read(straight), y = SafeTensors.read(sliced);
        assertEquals("6", y.metadata().get("step"));
        for (String name : x.entries().keySet()) {
            assertArrayEquals(x.entries().get(name).floats(), y.entries().get(name).floats(), name);
        }
    }

    @Test
    void aResumeThatCannotBeExactIsRefusedNamingWhy() {
        Path ckpt = tmp.resolve("c.ckpt");
        assertEquals(0, CliRun.of(args(ckpt, 1)).code());
        CliRun r = CliRun.of("train", "--data", data.toString(), "--size", "75", "--batch", "6", "--epochs", "2",
                "--seed", "3", "--lr", "0.1", "--resume", ckpt.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("learningRate is LearningRate[") && r.err().contains("initial=0.1,")
                && r.err().contains("initial=0.01,"), r.err());
        assertTrue(r.err().contains("batch is 6 now, 4 in the checkpoint"), r.err());
    }

    /** A corrupt image stops the run naming the file, after saving what was trained; --skip-corrupt goes on. */
    @Test
    void aCorruptImageIsNamedAndTheStateKeptOrItIsSkipped() throws IOException {
        Path root = SyntheticData.write(tmp.resolve("bad"), 3, 4, 60, 110, 7).root();
        Path bad = root.resolve("class_2").resolve("zz_corrupt.png");
        Files.writeString(bad, "not a png");
        Path ckpt = tmp.resolve("bad.ckpt");
        CliRun r = CliRun.of("train", "--data", root.toString(), "--size", "75", "--width", "0.25", "--batch", "4",
                "--epochs", "3", "--lr", "0.01", "--clip", "none", "--seed", "3", "--checkpoint", ckpt.toString(),
                "--out", tmp.resolve("bad.run").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("zz_corrupt.png"), r.err());
        assertTrue(r.err().contains("saved the state after step"), r.err());
        assertTrue(Files.isRegularFile(ckpt));
        CliRun skip = CliRun.of("train", "--data", root.toString(), "--size", "75", "--width", "0.25", "--batch", "4",
                "--epochs", "1", "--lr", "0.01", "--clip", "none", "--seed", "3", "--skip-corrupt", "--out", tmp.resolve("skip.run").toString());
        assertEquals(0, skip.code(), skip.err());
        assertTrue(skip.err().contains("skipped") && skip.err().contains("zz_corrupt.png"), skip.err());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        CliRun r = CliRun.of("train", "--data", tmp.resolve("nowhere").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nowhere"), r.err());
        r = CliRun.of("train", "--data", data.toString(), "--clip", "sometimes");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--clip sometimes is not one of"), r.err());
        r = CliRun.of("train", "--data", data.toString(), "--size", "60");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--size 60 is too small") && r.err().contains("75"), r.err());
        r = CliRun.of("train", "--data", data.toString(), "--size", "100000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--size 100000 is too large: at most 2048"), r.err());
        r = CliRun.of("train", "--data", data.toString(), "--size", "75", "--batch", "13");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("12 training examples, fewer than one batch of 13"), r.err());
    }

    /** Writes an IDX pair (gzipped images, plain labels) of n 28×28 images, two classes told apart by brightness. */
    static void writeIdx(Path dir, String prefix, int n, int imagesMagic) throws IOException {
        Files.createDirectories(dir);
        java.io.ByteArrayOutputStream img = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(img);
        d.writeInt(imagesMagic);
        d.writeInt(n);
        d.writeInt(28);
        d.writeInt(28);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < 28 * 28; p++) {
                d.writeByte(i % 2 == 0 ? 30 + p % 7 : 220 - p % 7);
            }
        }
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte.gz")))) {
            out.write(img.toByteArray());
        }
        java.io.ByteArrayOutputStream lab = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream l = new java.io.DataOutputStream(lab);
        l.writeInt(0x801);
        l.writeInt(n);
        for (int i = 0; i < n; i++) {
            l.writeByte(i % 2);
        }
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.toByteArray());
    }

    @Test
    void trainsOnIdxFilesIntoARunFolderAndTheWeightsCarryTheClassNames() throws IOException {
        Path dir = tmp.resolve("idx");
        writeIdx(dir, "train", 16, 0x803);
        writeIdx(dir, "t10k", 6, 0x803);
        Files.writeString(dir.resolve("classes.txt"), "dark\nbright\n");
        Path out = tmp.resolve("idx-run");
        CliRun r = CliRun.of("train", "--data", "idx:" + dir, "--batch", "8", "--epochs", "2", "--width", "0.125",
                "--out", out.toString(), "--eval-subset", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("run folder " + out), r.err());
        assertTrue(r.err().contains("on 16 images of idx:"), r.err());
        assertTrue(r.err().contains("epoch 1: test top-1") && r.err().contains("(the first of the test set)"), r.err());
        assertTrue(r.out().strip().lines().reduce((a, b) -> b).orElseThrow()
                .matches("test top-1 \\d+\\.\\d\\d% top-5 100\\.00% on 6 images"), r.out());
        for (String f : List.of("checkpoint.safetensors", "log.csv", "curves.png", "weights.safetensors")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        // evaluate and predict need nothing but the weights: architecture, size and names travel with them.
        CliRun e = CliRun.of("evaluate", "--data", "idx:" + dir, "--weights", out.resolve("weights.safetensors").toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("on 6 images"), e.out());
        java.awt.image.BufferedImage bright = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path png = tmp.resolve("bright.png");
        javax.imageio.ImageIO.write(bright, "png", png.toFile());
        CliRun p = CliRun.of("predict", "--top", "2", "--weights", out.resolve("weights.safetensors").toString(), png.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("dark") && p.out().contains("bright"), p.out());
    }

    @Test
    void badDataAndContradictoryOptionsFailBeforeAnythingIsWritten() throws IOException {
        Path dir = tmp.resolve("badidx");
        writeIdx(dir, "train", 8, 0x802);
        writeIdx(dir, "test", 4, 0x803);
        Path out = tmp.resolve("never");
        CliRun r = CliRun.of("train", "--data", "idx:" + dir, "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("train-images-idx3-ubyte.gz") && r.err().contains("magic"), r.err());
        r = CliRun.of("train", "--data", "cifar:" + dir, "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown source type 'cifar'"), r.err());
        r = CliRun.of("train", "--lr-decay", "0.9", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--lr-decay belongs to the exponential schedule, the schedule is cosine"), r.err());
        r = CliRun.of("train", "--optimizer", "sgd", "--rms-epsilon", "1", "--clip", "none", "--clip-norm", "3",
                "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--rms-epsilon needs --optimizer rmsprop")
                && r.err().contains("--clip-norm 3.0 has no effect without clipping"), r.err());
        r = CliRun.of("train", "--augment", "none", "--flip", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--flip goes with --augment light"), r.err());
        r = CliRun.of("train", "--data", data.toString(), "--augment", "light", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--augment light is for small in-memory images"), r.err());
        r = CliRun.of("train", "--data", "folder:" + data, "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no training folder"), r.err());
        r = CliRun.of("train", "--data", data.toString(), "--val", data.toString(), "--batch", "4", "--export",
                tmp.resolve("nowhere").resolve("w.safetensors").toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--export") && r.err().contains("does not exist"), r.err());
        assertTrue(!Files.exists(out), "nothing written for a run that never started");
    }

    @Test
    void aResumeWithAnotherDataSourceIsRefused() throws IOException {
        Path dir = tmp.resolve("idx2");
        writeIdx(dir, "train", 12, 0x803);
        writeIdx(dir, "test", 4, 0x803);
        Path ckpt = tmp.resolve("r.ckpt");
        assertEquals(0, CliRun.of(args(ckpt, 1)).code());
        CliRun r = CliRun.of("train", "--data", "idx:" + dir, "--size", "75", "--width", "0.25", "--batch", "4",
                "--epochs", "1", "--recipe", "paper", "--lr", "0.01", "--clip", "none", "--ema", "0.9", "--seed", "3",
                "--resume", ckpt.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("data is idx:" + dir + " now"), r.err());
    }

    /** A short run on the synthetic folder (3 steps per epoch, tested after each epoch) into {@code out}. */
    private static String[] small(Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--data", data.toString(), "--val", data.toString(),
                "--size", "75", "--width", "0.25", "--batch", "4", "--epochs", "2", "--seed", "3", "--workers", "1",
                "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** The exported weights load strictly into the model their card describes. */
    private static void assertLoadableWeights(Path file) {
        SafeTensors st = SafeTensors.read(file);
        org.inceptionj.inception.io.ModelCard card = org.inceptionj.inception.io.ModelCard.read(st, file);
        try (Backend backend = Backends.load(); InceptionV3 m = new InceptionV3(backend, card.config(), 0)) {
            WeightsLoader.Report report = WeightsLoader.load(m, st, true);
            assertTrue(report.complete(), file + ": " + report);
        }
    }

    /**
     * Every output is checked before the data is read (here the data folder does not even exist, so a
     * check made later would report the data instead); each error names the option and the path, and
     * nothing is created.
     */
    @Test
    void everyOutputIsCheckedBeforeTheDataIsReadNamingTheOption() throws IOException {
        String noData = tmp.resolve("no-data").toString();
        Path out = tmp.resolve("out"), nowhere = tmp.resolve("no-such-folder");
        for (String option : List.of("--checkpoint", "--log", "--plot", "--export")) {
            Path file = nowhere.resolve("f");
            CliRun r = CliRun.of("train", "--data", noData, "--out", out.toString(), option, file.toString());
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(option + " " + file + ": the folder " + nowhere + " does not exist"), r.err());
            r = CliRun.of("train", "--data", noData, "--out", out.toString(), option, tmp.toString());
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(option + " " + tmp + " is a folder, not a file"), r.err());
        }
        Path aFile = Files.writeString(tmp.resolve("a-file"), "x");
        CliRun r = CliRun.of("train", "--data", noData, "--out", aFile.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--out " + aFile) && r.err().contains("is a file, not a folder"), r.err());
        r = CliRun.of("train", "--data", noData, "--out", aFile.resolve("run").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--out " + aFile.resolve("run") + ": cannot create the folder"), r.err());
        // Two outputs in one file: the export would overwrite the checkpoint.
        Path ckpt = out.resolve("checkpoint.safetensors");
        r = CliRun.of("train", "--data", noData, "--out", out.toString(), "--export", ckpt.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--export " + ckpt + " is the file of --checkpoint too"), r.err());
        assertTrue(!Files.exists(out), "nothing written");
    }

    /**
     * A new run (no --resume) does not replace an earlier run's checkpoint or exported weights, and
     * no output may overwrite the checkpoint being resumed; --max-steps exports loadable weights.
     */
    @Test
    void aNewRunDoesNotReplaceAnEarlierRunsStateOrWeights() throws IOException {
        Path out = tmp.resolve("first"), ckpt = out.resolve("checkpoint.safetensors"), weights = out.resolve("weights.safetensors");
        CliRun a = CliRun.of(small(out, "--max-steps", "1"));
        assertEquals(0, a.code(), a.err());
        assertLoadableWeights(weights); // a run stopped by --max-steps exports too
        byte[] state = Files.readAllBytes(ckpt), exported = Files.readAllBytes(weights);

        CliRun again = CliRun.of(small(out));
        assertEquals(2, again.code(), again.err());
        assertTrue(again.err().contains("--checkpoint " + ckpt + " already exists") && again.err().contains("--resume " + ckpt),
                again.err());
        CliRun other = CliRun.of(small(tmp.resolve("second"), "--export", weights.toString()));
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("--export " + weights + " already exists"), other.err());
        CliRun onto = CliRun.of(small(out, "--resume", ckpt.toString(), "--export", ckpt.toString()));
        assertEquals(2, onto.code(), onto.err());
        assertTrue(onto.err().contains("--export " + ckpt + " is the file of --resume too"), onto.err());
        assertArrayEquals(state, Files.readAllBytes(ckpt));
        assertArrayEquals(exported, Files.readAllBytes(weights));
        assertTrue(!Files.exists(tmp.resolve("second")));
    }

    /** A pid no process has (pids on Linux stay below 2^22): what a killed writer's temporary file carries. */
    static long deadPid() {
        for (long p = 4_000_000_000L; ; p++) {
            if (ProcessHandle.of(p).isEmpty()) {
                return p;
            }
        }
    }

    /**
     * The temporary files interrupted writes of the checkpoint, log, plot and weights left
     * ({@code <name>.<pid>.<nanos>.tmp}, pid gone) are removed when the next run starts; files that are
     * not ours by that pattern, and those of live processes, stay.
     */
    @Test
    void staleTemporaryFilesAreRemovedAndOthersLeftAlone() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("stale"));
        long dead = deadPid(), live = ProcessHandle.current().pid();
        List<String> ours = List.of("checkpoint.safetensors", "log.csv", "curves.png", "weights.safetensors").stream()
                .map(n -> n + "." + dead + ".123456789.tmp").toList();
        List<String> foreign = List.of("curves.png." + live + ".1.tmp", "log.csv.bak.tmp", "weights.safetensors.tmp",
                "notes." + dead + ".1.tmp", "checkpoint.safetensors." + dead + ".x.tmp", "log.csv." + dead + ".1.tmp.keep");
        for (String n : ours) {
            Files.writeString(out.resolve(n), "half a file");
        }
        for (String n : foreign) {
            Files.writeString(out.resolve(n), "not ours");
        }
        CliRun r = CliRun.of(small(out, "--max-steps", "1"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("removed 4 temporary file(s)"), r.err());
        for (String n : ours) {
            assertTrue(!Files.exists(out.resolve(n)), n + " is left");
        }
        for (String n : foreign) {
            assertTrue(Files.exists(out.resolve(n)), n + " was removed");
        }
    }

    /**
     * A run resumed from a checkpoint older than its log (killed after step 4, last saved at step 2)
     * redoes steps 2-4; the log keeps every step and evaluation exactly once, under one header.
     */
    @Test
    void aResumedRunLogsEveryStepExactlyOnce() throws IOException {
        Path out = tmp.resolve("once"), ckpt = out.resolve("checkpoint.safetensors"), log = out.resolve("log.csv");
        assertEquals(0, CliRun.of(small(out, "--max-steps", "2")).code());
        Path savedAt2 = Files.copy(ckpt, tmp.resolve("at-step-2.ckpt"));
        CliRun b = CliRun.of(small(out, "--resume", ckpt.toString(), "--max-steps", "5"));
        assertEquals(0, b.code(), b.err());
        // What a kill after step 4 leaves when the last save was at step 2: the log runs ahead of the state.
        Files.copy(savedAt2, ckpt, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CliRun c = CliRun.of(small(out, "--resume", ckpt.toString()));
        assertEquals(0, c.code(), c.err());
        assertTrue(c.err().contains("at step 2"), c.err());
        List<String> lines = Files.readAllLines(log);
        assertEquals(1, lines.stream().filter(l -> l.startsWith("step,")).count(), "one header: " + lines);
        List<Long> steps = lines.stream().filter(l -> l.endsWith(",,")).map(l -> Long.parseLong(l.split(",")[0])).toList();
        List<Long> evaluations = lines.stream().filter(l -> l.contains(",,,,,,,,,"))
                .map(l -> Long.parseLong(l.split(",")[0])).toList();
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), steps, String.join("\n", lines));
        assertEquals(List.of(3L, 6L), evaluations, String.join("\n", lines));
        assertTrue(Files.size(out.resolve("curves.png")) > 1000);
        assertLoadableWeights(out.resolve("weights.safetensors"));
    }
}
