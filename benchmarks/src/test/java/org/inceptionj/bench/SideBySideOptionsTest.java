package org.inceptionj.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The side-by-side runner's options: defaults, and every value that makes no sense refused by name. */
class SideBySideOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsAndValues() {
        SideBySideOptions d = SideBySideOptions.parse();
        assertArrayEquals(new int[] {1, 8}, d.batches());
        assertEquals(8, d.trainBatch());
        assertEquals(299, d.size());
        assertEquals(60, d.warmup(), "enough calls for the JIT to compile InceptionJ's kernels");
        assertTrue(d.threads() >= 1 && d.train());
        SideBySideOptions o = SideBySideOptions.parse("--threads", "2", "--batches", "1, 4,16", "--steps", "5", "--warmup", "0",
                "--size", "75", "--no-train");
        assertEquals(2, o.threads());
        assertArrayEquals(new int[] {1, 4, 16}, o.batches());
        assertEquals(0, o.warmup());
        assertEquals(75, o.size());
        assertEquals(false, o.train());
        assertNull(SideBySideOptions.parse("--help"));
    }

    @Test
    void valuesThatMakeNoSenseAreNamed() throws IOException {
        expect("--threads 0 is outside [1, 1024]", "--threads", "0");
        expect("--threads -2 is outside [1, 1024]", "--threads", "-2");
        expect("--threads 1025 is outside [1, 1024]", "--threads", "1025");
        expect("--threads 'two' is not a whole number", "--threads", "two");
        expect("--batches 0 is outside [1, 1024]", "--batches", "1,0");
        expect("--batches '' is not a whole number", "--batches", "1,,8");
        expect("--batches 8,8 names a batch size twice", "--batches", "8,8");
        expect("--train-batch 0 is outside", "--train-batch", "0");
        expect("--steps 0 is outside [1, 100000]", "--steps", "0");
        expect("--warmup -1 is outside [0, 100000]", "--warmup", "-1");
        expect("--size 74 is outside [75, 2048]", "--size", "74");
        expect("--size 4096 is outside [75, 2048]", "--size", "4096");
        expect("--weights " + tmp.resolve("none") + ": no such file", "--weights", tmp.resolve("none").toString());
        expect("--threads needs a value", "--threads");
        expect("unknown option --thread", "--thread", "2");
        expect("unexpected argument 'fast'", "fast");
        Path file = Files.writeString(tmp.resolve("f"), "x");
        expect("--work " + file + " is a file, not a folder", "--work", file.toString());
        expect("is a training step, but --no-train was given", "--torchscript", file.toString(), "--no-train");
    }

    private static void expect(String message, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SideBySideOptions.parse(args));
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
