package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.BackendTest;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.data.SyntheticData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of checkpointing, the hard way: {@code inceptionj train --save-every 1} runs in a child
 * JVM and is killed with SIGKILL ({@link Process#destroyForcibly()} on Linux and macOS) again and again,
 * each child resuming from what the previous one left. The kills are spread over the moments that
 * matter (seeded, so a failure replays):
 * <ul>
 *   <li>inside a save: as soon as the child's temporary file appears, plus 0-20 ms (a save of this
 *       model takes about that long), so some land while the bytes are written, some at the rename;</li>
 *   <li>anywhere in the steps: 0-400 ms after the child's first completed save;</li>
 *   <li>during start-up: 0-1.5 s after launch, before or while the checkpoint is read.</li>
 * </ul>
 * After every kill the checkpoint on disk, once a save has ever completed, must load into a TrainStep
 * ({@link Checkpoint#load} validates every tensor and counter) and its step count must never go back;
 * there is at most one temporary file (the killed child's, or, when it died before its first save, one
 * an earlier child left), and the files of earlier kills are gone as soon as a later child has saved once.
 * The kills are checked too: enough of them must have landed inside a save. With the writer made
 * non-atomic (bytes written straight into the checkpoint) the first kill inside a save fails the test. A last child resumes and finishes normally.
 *
 * <p>The children run the smallest model (width 0.125, 75×75, batch 2) on C1 and the plain (non-vector)
 * kernels: most of a child's life is start-up, which these flags shorten.
 */
@Tag("slow")
class CheckpointKillTest {
    private static final int KILLS = 24;
    private static final long CHILD_TIMEOUT_S = 120;

    @TempDir
    Path dir;

    private Path data, checkpoint, log;

    @Test
    void checkpointsSurviveSigkillAtAnyMomentAndTemporaryFilesDoNotPileUp() throws Exception {
        data = SyntheticData.write(dir.resolve("data"), 2, 8, 20, 40, 11).root(); // 16 images: 8 steps per epoch
        checkpoint = dir.resolve("run.ckpt");
        log = dir.resolve("child.log");
        Random random = new Random(20240601);
        long lastSteps = -1;
        Set<String> staleBefore = Set.of();
        int savesSeen = 0, killedInsideSave = 0;
        long t0 = System.nanoTime();
        try (Backend backend = Backends.load()) {
            for (int kill = 0; kill < KILLS; kill++) {
                String mode = switch (kill % 3) {
                    case 0 -> "inside a save";
                    case 1 -> "between saves";
                    default -> "during start-up";
                };
                Instant started = Instant.now();
                Process child = start(lastSteps >= 0, null);
                String what = "kill " + (kill + 1) + "/" + KILLS + " (" + mode + ", child pid " + child.pid() + ")";
                switch (kill % 3) {
                    case 0 -> {
                        awaitTemporaryFileOf(started, child, what);
                        TimeUnit.MILLISECONDS.sleep(random.nextInt(21));
                    }
                    case 1 -> {
                        awaitSaveSince(started, child, what);
                        TimeUnit.MILLISECONDS.sleep(random.nextInt(401));
                    }
                    default -> TimeUnit.MILLISECONDS.sleep(random.nextInt(1501));
                }
                child.destroyForcibly();
                assertTrue(child.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), what + ": the child did not die");

                boolean savedHere = Files.exists(checkpoint)
                        && Files.getLastModifiedTime(checkpoint).compareTo(FileTime.from(started)) > 0;
                List<String> temporaries = temporaries();
                assertTrue(temporaries.size() <= 1, what + ": temporary files pile up: " + temporaries);
                // The killed child's own, or (when it died before its first save) one left by an earlier kill.
                boolean ownTemporary = false;
                for (String t : temporaries) {
                    boolean own = t.contains("." + child.pid() + ".");
                    ownTemporary |= own;
                    assertTrue(own || !savedHere && staleBefore.contains(t), what + ": " + t
                            + " is neither the killed child's nor left from before");
                }
                if (savedHere) {
                    savesSeen++;
                    for (String t : staleBefore) {
                        assertTrue(!temporaries.contains(t), what + ": the child saved but left the stale " + t);
                    }
                }
                killedInsideSave += ownTemporary ? 1 : 0;
                staleBefore = new HashSet<>(temporaries);
                if (lastSteps >= 0 || savedHere) {
                    long steps = loadable(backend, what);
                    assertTrue(steps >= lastSteps, what + ": the checkpoint went back from step " + lastSteps
                            + " to " + steps);
                    lastSteps = steps;
                }
            }
            assertTrue(lastSteps >= 1, "the run never advanced: " + tail());
            // The test is only as good as its kills: enough of them must have hit a save in progress.
            assertTrue(killedInsideSave >= KILLS / 6, "only " + killedInsideSave + " of " + KILLS
                    + " kills landed inside a save");

            // A child that is left alone resumes, saves, stops at --max-steps, and cleans up.
            long target = lastSteps + 2;
            Process last = start(true, target);
            assertTrue(last.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "the last child did not finish: " + tail());
            assertEquals(0, last.exitValue(), tail());
            assertTrue(Files.readString(log).contains("resumed " + checkpoint + " at step " + lastSteps), tail());
            assertEquals(target, loadable(backend, "after the last child"));
            assertEquals(List.of(), temporaries(), "stale temporary files after a clean run");
        }
        System.out.printf("CheckpointKillTest: %d kills (%d inside a save, %d after a completed save), run at step %d,"
                + " %.1f s%n", KILLS, killedInsideSave, savesSeen, lastSteps + 2, (System.nanoTime() - t0) / 1e9);
    }

    /** {@code inceptionj train} in a child JVM, output to {@link #log}; resumes when asked. */
    private Process start(boolean resume, Long maxSteps) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this test"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                // start-up dominates a child's life: quick JIT, plain loops (no Vector API warm-up), one GC thread
                "-XX:TieredStopAtLevel=1", "-Dinceptionj.cpu.vector=false", "-XX:+UseSerialGC", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "org.inceptionj.cli.Main",
                "train", "--data", data.toString(), "--size", "75", "--width", "0.125", "--batch", "2",
                "--epochs", "1000", "--seed", "5", "--workers", "1", "--ema", "0",
                "--checkpoint", checkpoint.toString(), "--save-every", "1",
                // the log, plot and exported weights in a folder of their own: the temporaries counted are the checkpoint's
                "--out", checkpoint.resolveSibling("run").toString()));
        cmd.addAll(1, BackendTest.childJvmOptions());   // the child trains on the backend these tests run on
        if (resume) {
            cmd.addAll(List.of("--resume", checkpoint.toString()));
        }
        if (maxSteps != null) {
            cmd.addAll(List.of("--max-steps", maxSteps.toString()));
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Waits until {@code child} is inside a save: its temporary file exists, or (a writer that is not
     * atomic, which this test must catch) the checkpoint itself was modified since {@code started}.
     */
    private void awaitTemporaryFileOf(Instant started, Process child, String what) throws Exception {
        String mine = checkpoint.getFileName() + "." + child.pid() + ".";
        FileTime since = FileTime.from(started);
        await(child, what, "save starting", () -> temporaries().stream().anyMatch(t -> t.startsWith(mine))
                || Files.exists(checkpoint) && Files.getLastModifiedTime(checkpoint).compareTo(since) > 0);
    }

    /** Waits until the checkpoint has been replaced after {@code started}. */
    private void awaitSaveSince(Instant started, Process child, String what) throws Exception {
        FileTime since = FileTime.from(started);
        await(child, what, "completed save", () -> Files.exists(checkpoint)
                && Files.getLastModifiedTime(checkpoint).compareTo(since) > 0);
    }

    private interface Check {
        boolean done() throws IOException;
    }

    private void await(Process child, String what, String event, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
        while (!check.done()) {
            if (!child.isAlive()) {
                fail(what + ": the child exited with " + child.exitValue() + " before " + event + ": " + tail());
            }
            if (System.nanoTime() > deadline) {
                child.destroyForcibly();
                fail(what + ": no " + event + " within " + CHILD_TIMEOUT_S + " s: " + tail());
            }
            TimeUnit.MICROSECONDS.sleep(500);
        }
    }

    /** The names of the checkpoint's temporary files in its directory, sorted. */
    private List<String> temporaries() throws IOException {
        String prefix = checkpoint.getFileName() + ".";
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(prefix) && n.endsWith(".tmp")).sorted().toList();
        }
    }

    /** Loads the checkpoint into a TrainStep of its own configuration (validating all of it); its step count. */
    private long loadable(Backend backend, String what) {
        try (InceptionV3 net = new InceptionV3(backend, Checkpoint.modelConfig(checkpoint), 0);
             TrainStep step = new TrainStep(net, Checkpoint.trainConfig(checkpoint))) {
            Checkpoint.load(step, checkpoint);
            return step.steps();
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": the checkpoint does not load: " + e.getMessage(), e);
        }
    }

    private String tail() {
        try {
            String s = Files.readString(log);
            return "\n--- child output (end) ---\n" + s.substring(Math.max(0, s.length() - 3000));
        } catch (IOException e) {
            return "(no child output: " + e + ")";
        }
    }
}
