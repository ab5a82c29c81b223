package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.data.SyntheticData;
import org.inceptionj.inception.io.ModelCard;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.inceptionj.inception.train.Checkpoint;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped by SIGTERM (kill, a service manager, docker stop; Ctrl-C takes the same shutdown
 * hook) loses nothing: {@code inceptionj train} runs in a child JVM, is sent SIGTERM
 * ({@link Process#destroy()} on Linux and macOS) after a few steps, and must end having saved the
 * checkpoint at the step it stopped after, logged exactly the steps before it, and exported weights
 * that load; the checkpoint then resumes at that step. The second case sends the signal to the jar's
 * {@link Launcher}, which runs the training JVM as a child of its own: the stop must reach that JVM.
 *
 * <p>The children run the smallest model (width 0.125, 75×75, batch 2) on C1 and the plain kernels,
 * as {@code CheckpointKillTest}'s do.
 */
@Tag("slow")
class TrainSignalTest {
    private static final long TIMEOUT_S = 120;

    @TempDir
    Path dir;

    private Path data, out, output;

    @BeforeEach
    void notOnWindows() {
        // Process.destroy() is TerminateProcess there: no signal, no shutdown hooks.
        Assumptions.assumeFalse(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows"));
        data = SyntheticData.write(dir.resolve("data"), 2, 8, 20, 40, 11).root(); // 16 images: 8 steps per epoch
        out = dir.resolve("run");
        output = dir.resolve("child.out");
    }

    @Test
    void sigtermSavesLogsAndExportsAndTheRunResumes() throws Exception {
        Process child = start("org.inceptionj.cli.Main", true);
        try {
            awaitSteps(child, 3);
            child.destroy();
            assertTrue(child.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "the child did not stop" + tail());
        } finally {
            child.destroyForcibly();
        }
        assertEquals(143, child.exitValue(), "ended by SIGTERM (128 + 15)" + tail());
        long saved = checkStoppedRun();
        assertTrue(Files.readString(output).contains("stopped after step " + saved), tail());

        // The checkpoint resumes where the stop left it, and the log goes on without a gap or a repeat.
        List<String> resume = new ArrayList<>(trainArgs());
        resume.addAll(List.of("--resume", out.resolve("checkpoint.safetensors").toString(), "--max-steps",
                Long.toString(saved + 2)));
        CliRun r = CliRun.of(resume.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("resumed " + out.resolve("checkpoint.safetensors") + " at step " + saved), r.err());
        assertEquals(range(saved + 2), loggedSteps());
    }

    @Test
    void aSigtermToTheLauncherReachesTheTrainingJvm() throws Exception {
        // Without the Vector API module the launcher runs the command in a child JVM that has it.
        Process launcher = start("org.inceptionj.cli.Launcher", false);
        List<ProcessHandle> children = new ArrayList<>();
        try {
            awaitSteps(launcher, 3);
            children.addAll(launcher.children().toList());
            assertFalse(children.isEmpty(), "the launcher runs no child JVM" + tail());
            launcher.destroy();
            assertTrue(launcher.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "the launcher did not stop" + tail());
            for (ProcessHandle c : children) {
                c.onExit().get(TIMEOUT_S, TimeUnit.SECONDS);
            }
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
        long saved = checkStoppedRun();
        assertTrue(Files.readString(output).contains("stopped after step " + saved), tail());
    }

    /**
     * The stopped run's files: a checkpoint that loads (its step count returned), a log of exactly the
     * steps before it, and exported weights that load into the model their card describes.
     */
    private long checkStoppedRun() throws IOException {
        Path ckpt = out.resolve("checkpoint.safetensors"), weights = out.resolve("weights.safetensors");
        assertTrue(Files.isRegularFile(ckpt) && Files.isRegularFile(weights), "checkpoint and weights" + tail());
        long saved;
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, Checkpoint.modelConfig(ckpt), 0);
             var step = new org.inceptionj.inception.train.TrainStep(net, Checkpoint.trainConfig(ckpt))) {
            Checkpoint.load(step, ckpt);
            saved = step.steps();
        }
        assertTrue(saved >= 3, "saved after step " + saved);
        assertEquals(range(saved), loggedSteps(), "every step before the stop logged once, none after it");
        SafeTensors st = SafeTensors.read(weights);
        ModelCard card = ModelCard.read(st, weights);
        try (Backend backend = Backends.load(); InceptionV3 m = new InceptionV3(backend, card.config(), 0)) {
            WeightsLoader.Report report = WeightsLoader.load(m, st, true);
            assertTrue(report.complete(), report.toString());
        }
        return saved;
    }

    private List<String> trainArgs() {
        return List.of("train", "--data", data.toString(), "--size", "75", "--width", "0.125", "--batch", "2",
                "--epochs", "1000", "--seed", "5", "--workers", "1", "--save-every", "4", "--out", out.toString());
    }

    /** {@code inceptionj train} through {@code mainClass} in a child JVM, output to {@link #output}. */
    private Process start(String mainClass, boolean vectorModule) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this test"));
        List<String> cmd = new ArrayList<>(List.of(java));
        if (vectorModule) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        }
        cmd.addAll(BackendTest.childJvmOptions());   // the child trains on the backend these tests run on
        cmd.addAll(List.of("-Djava.awt.headless=true", "-XX:TieredStopAtLevel=1", "-Dinceptionj.cpu.vector=false",
                "-XX:+UseSerialGC", "-Xmx512m", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(trainArgs());
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private void awaitSteps(Process child, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!Files.exists(out.resolve("log.csv")) || loggedSteps().size() < n) {
            if (!child.isAlive()) {
                fail("the child exited with " + child.exitValue() + " before step " + n + tail());
            }
            if (System.nanoTime() > deadline) {
                fail("no step " + n + " within " + TIMEOUT_S + " s" + tail());
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /** The step numbers of the log's step lines, in order. */
    private List<Long> loggedSteps() throws IOException {
        return Files.readAllLines(out.resolve("log.csv")).stream().filter(l -> l.endsWith(",,"))
                .map(l -> Long.parseLong(l.substring(0, l.indexOf(',')))).toList();
    }

    private static List<Long> range(long n) {
        List<Long> r = new ArrayList<>();
        for (long s = 0; s < n; s++) {
            r.add(s);
        }
        return r;
    }

    private String tail() {
        try {
            String s = Files.readString(output);
            return "\n--- child output (end) ---\n" + s.substring(Math.max(0, s.length() - 3000));
        } catch (IOException e) {
            return " (no child output: " + e + ")";
        }
    }
}
