package org.inceptionj.inception.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.inceptionj.inception.io.InvalidFileException;

/**
 * Runs one parser over seeded, generated malformed files and sorts every outcome:
 * <ul>
 *   <li>accepted: the parser returned normally (allowed only for cases the generator marks as
 *       possibly valid);</li>
 *   <li>rejected: an {@link InvalidFileException} whose message names the file;</li>
 *   <li>unexpected: anything else: another exception type, a message without the file name,
 *       an {@link OutOfMemoryError} (caught so the run goes on and is counted), a case slower
 *       than the time bound, or a "must reject" case that was accepted.</li>
 * </ul>
 * The suite passes when there are no unexpected outcomes. The number of cases per parser is
 * {@link #cases()}: 1,000 by default (CI time), more with {@code -Dinceptionj.fuzz.cases=N}; the
 * seed is {@code -Dinceptionj.fuzz.seed} (default fixed), so a failure can be replayed. Each run
 * prints its counts per category, which is what the notes report.
 */
public final class FuzzHarness {

    /** Case count per parser, from {@code inceptionj.fuzz.cases} (default 1,000). */
    public static int cases() {
        return Integer.getInteger("inceptionj.fuzz.cases", 1000);
    }

    /** Base seed, from {@code inceptionj.fuzz.seed} (default 20261205). */
    public static long seed() {
        return Long.getLong("inceptionj.fuzz.seed", 20261205L);
    }

    /** What a generator made: a file, its category (for the counts), and whether it may be valid. */
    public record Case(Path file, String category, boolean mayBeValid) {
    }

    /** Makes the case number {@code index} with {@code random} (seeded per case). */
    @FunctionalInterface
    public interface Generator {
        Case make(int index, Random random) throws Exception;
    }

    private final String parser;
    private final long timeBoundMillis;
    private final Map<String, int[]> counts = new TreeMap<>(); // category -> {accepted, rejected, unexpected}
    private final Map<String, String> unexpected = new LinkedHashMap<>();

    /**
     * @param parser          the parser's name, for the report
     * @param timeBoundMillis the most one case may take
     */
    public FuzzHarness(String parser, long timeBoundMillis) {
        this.parser = parser;
        this.timeBoundMillis = timeBoundMillis;
    }

    /** Generates {@code n} cases and runs {@code parse} on each; returns this for {@link #assertNoUnexpected()}. */
    public FuzzHarness run(int n, Generator generator, Consumer<Path> parse) {
        for (int k = 0; k < n; k++) {
            Random random = new Random(seed() * 1_000_003L + k);
            Case c;
            try {
                c = generator.make(k, random);
            } catch (Exception e) {
                throw new IllegalStateException("fuzz " + parser + ": generator failed on case " + k, e);
            }
            int[] row = counts.computeIfAbsent(c.category(), x -> new int[3]);
            long t0 = System.nanoTime();
            int outcome; // 0 accepted, 1 rejected, 2 unexpected
            String problem = null;
            try {
                parse.accept(c.file());
                outcome = c.mayBeValid() ? 0 : 2;
                if (outcome == 2) {
                    problem = "accepted a file that must be rejected";
                }
            } catch (InvalidFileException e) {
                String m = String.valueOf(e.getMessage());
                outcome = m.contains(c.file().toString()) ? 1 : 2;
                if (outcome == 2) {
                    problem = "message does not name the file: " + m;
                }
            } catch (OutOfMemoryError e) {
                outcome = 2;
                problem = "OutOfMemoryError: " + e.getMessage();
            } catch (Throwable e) {
                outcome = 2;
                problem = "unexpected " + e.getClass().getName() + ": " + e.getMessage();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (outcome != 2 && ms > timeBoundMillis) {
                outcome = 2;
                problem = "took " + ms + " ms (bound " + timeBoundMillis + " ms)";
            }
            row[outcome]++;
            if (problem != null && unexpected.size() < 20) {
                unexpected.put("case " + k + " [" + c.category() + "] " + c.file().getFileName(), problem);
            }
        }
        return this;
    }

    /** The counts as "category: accepted/rejected/unexpected" lines. */
    public String report() {
        StringBuilder sb = new StringBuilder("fuzz " + parser + " (seed " + seed() + "):\n");
        int[] total = new int[3];
        counts.forEach((cat, r) -> {
            sb.append(String.format("  %-32s accepted %5d  rejected %5d  unexpected %d%n", cat, r[0], r[1], r[2]));
            for (int i = 0; i < 3; i++) total[i] += r[i];
        });
        sb.append(String.format("  %-32s accepted %5d  rejected %5d  unexpected %d%n", "total", total[0], total[1], total[2]));
        return sb.toString();
    }

    /** Prints the report and fails listing (up to 20) unexpected outcomes, if any. */
    public void assertNoUnexpected() {
        System.out.print(report());
        if (!unexpected.isEmpty()) {
            StringBuilder sb = new StringBuilder(report()).append("unexpected outcomes:\n");
            unexpected.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
            fail(sb.toString());
        }
    }

    /** Counts for one category: {accepted, rejected, unexpected}; for tests of the harness itself. */
    public int[] counts(String category) {
        return counts.getOrDefault(category, new int[3]).clone();
    }
}
