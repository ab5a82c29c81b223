package org.inceptionj.inception.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.inceptionj.inception.io.InvalidFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness itself must be able to fail: each kind of unexpected outcome is counted and fails the run. */
class FuzzHarnessTest {
    @TempDir
    Path dir;

    @Test
    void sortsOutcomes() {
        Path f = dir.resolve("x.bin");
        FuzzHarness h = new FuzzHarness("test", 10_000);
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "ok", true), p -> { });
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "rejected", false),
                p -> { throw new InvalidFileException("test", p, "bad"); });
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "must reject", false), p -> { });
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "wrong type", false),
                p -> { throw new ArrayIndexOutOfBoundsException(3); });
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "no file name", false),
                p -> { throw new InvalidFileException("test", Path.of("other"), "bad"); });
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "oom", false), p -> { throw new OutOfMemoryError("heap"); });
        assertArrayEquals(new int[] {1, 0, 0}, h.counts("ok"));
        assertArrayEquals(new int[] {0, 1, 0}, h.counts("rejected"));
        assertArrayEquals(new int[] {0, 0, 1}, h.counts("must reject"));
        assertArrayEquals(new int[] {0, 0, 1}, h.counts("wrong type"));
        assertArrayEquals(new int[] {0, 0, 1}, h.counts("no file name"));
        assertArrayEquals(new int[] {0, 0, 1}, h.counts("oom"));
        assertThrows(AssertionError.class, h::assertNoUnexpected);
    }

    @Test
    void slowCaseIsUnexpected() {
        Path f = dir.resolve("slow.bin");
        FuzzHarness h = new FuzzHarness("test", 1);
        h.run(1, (k, r) -> new FuzzHarness.Case(f, "slow", true), p -> {
            long end = System.nanoTime() + 20_000_000L;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        });
        assertArrayEquals(new int[] {0, 0, 1}, h.counts("slow"));
    }
}
