package org.inceptionj.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link Turns}: the order of the calls, what is timed, and the medians, on a clock the calls move. */
class TurnsTest {

    /** A clock that only the calls advance, and a log of who ran. */
    static final class Bench {
        long now;
        final StringBuilder order = new StringBuilder();

        Turns.Call engine(char name, long... nanos) {
            int[] i = {0};
            return () -> {
                order.append(name);
                now += nanos[i[0]++ % nanos.length];
            };
        }
    }

    @Test
    void blocksOfEachEngineAlternateAfterTheWarmUp() throws Exception {
        Bench b = new Bench();
        Turns.medians(2, 8, b.engine('a', 1), b.engine('b', 1), () -> b.now);
        // 2 warm-up calls each, then 4 blocks of (1 untimed + 2 timed) a, then b.
        assertEquals("aabb" + "aaabbb".repeat(4), b.order.toString());
    }

    @Test
    void untimedFirstCallsOfEachBlockDoNotCount() throws Exception {
        Bench b = new Bench();
        // 4 steps: 4 blocks of one untimed and one timed call. a's untimed calls take 1 s, its timed
        // ones 10 ns; b always 30 ns. Timing the first call of a block instead, or as well, moves a's median.
        double[] m = Turns.medians(0, 4, b.engine('a', 1_000_000_000L, 10), b.engine('b', 30), () -> b.now);
        assertArrayEquals(new double[] {10e-9, 30e-9}, m, 1e-15);
    }

    @Test
    void mediansOfOddAndEvenCounts() {
        assertEquals(2.0, Turns.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, Turns.median(List.of(4.0, 1.0, 3.0, 2.0)));
    }

    @Test
    void fewerStepsThanBlocksGiveOneBlockPerStep() throws Exception {
        Bench b = new Bench();
        Turns.medians(0, 2, b.engine('a', 1), b.engine('b', 1), () -> b.now);
        assertEquals("aabb" + "aabb", b.order.toString());
    }

    @Test
    void nonsenseCountsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Turns.medians(0, 0, () -> { }, () -> { }));
        assertTrue(e.getMessage().contains("steps 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Turns.medians(-1, 5, () -> { }, () -> { }));
        assertTrue(e.getMessage().contains("warmup -1"), e.getMessage());
    }
}
