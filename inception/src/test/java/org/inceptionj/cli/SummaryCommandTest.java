package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code inceptionj summary}: the spec's figures (shared/spec/inception-v3.md §7, §8) as printed. */
class SummaryCommandTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** The line of the table that starts with {@code name} (after indentation). */
    private static String line(String out, String name) {
        for (String l : out.split("\n")) {
            if (l.strip().startsWith(name + " ")) {
                return l;
            }
        }
        throw new AssertionError(name + " missing in:\n" + out);
    }

    @Test
    void defaultIsEvaluationAt299WithTheSpecTotals() {
        CliRun r = run("summary");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("27,161,264"), r.out());
        assertTrue(r.out().contains("5,713,216,096"), r.out());
        String b = line(r.out(), "Mixed_5b");
        assertTrue(b.contains("256x35x35") && b.contains("255,904") && b.contains("312,345,600"), b);
        String conv = line(r.out(), "Mixed_5b.branch5x5_2");
        assertTrue(conv.startsWith("  ") && conv.contains("conv 5x5 /1 pad (2,2)") && conv.contains("94,080,000"), conv);
        assertTrue(line(r.out(), "Conv2d_4a_3x3").contains("12.20%"), "§7.1 share of Conv2d_4a_3x3");
        // Numbers are right-aligned: every row's line has the same length up to the end of the MACs column.
        String total = line(r.out(), "total");
        int end = total.indexOf("5,713,216,096") + "5,713,216,096".length();
        assertEquals(end, b.indexOf("312,345,600") + "312,345,600".length(), "MACs column aligned");
        assertEquals(total.indexOf("27,161,264") + 10, b.indexOf("255,904") + 7, "parameters column aligned");
    }

    @Test
    void widthMultiplierScalesTheTableAndRejectsNonsense() {
        CliRun r = run("summary", "--width", "0.5", "--no-aux");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("width multiplier 0.5"), r.out());
        assertTrue(line(r.out(), "Mixed_5b").contains("128x35x35"), r.out());
        assertTrue(line(r.out(), "fc").contains("linear 1024->1000"), r.out());
        long total = org.inceptionj.inception.Summary.of(org.inceptionj.inception.Presets.named("inception-v3")
                .withAuxLogits(false).withWidthMultiplier(0.5), 299, 299,
                org.inceptionj.inception.InceptionV3.Mode.EVAL).parameters();
        assertTrue(line(r.out(), "total").contains(String.format(java.util.Locale.ROOT, "%,d", total)), r.out());
        r = run("summary", "--width", "0");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("widthMultiplier must be in (0, 4.0], got 0.0"), r.err());
    }

    @Test
    void trainAddsTheAuxHeadAndNoAuxDropsIt() {
        CliRun r = run("summary", "--train");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("5,718,899,296"), "5,713,216,096 + 5,683,200:\n" + r.out());
        assertTrue(line(r.out(), "AuxLogits.conv1").contains("768x1x1"), r.out());
        r = run("summary", "--no-aux");
        assertEquals(0, r.code(), r.err());
        assertTrue(line(r.out(), "total").contains("23,834,568"), r.out());
        assertFalse(r.out().contains("AuxLogits"), r.out());
        r = run("summary", "--train", "--no-aux", "--size", "75");
        assertEquals(0, r.code(), r.err());
        assertTrue(line(r.out(), "Mixed_7c").contains("2048x1x1"), r.out());
        assertTrue(line(r.out(), "dropout").contains("2048x1x1"), r.out());
    }

    @Test
    void otherSizes() {
        CliRun r = run("summary", "--size", "342");
        assertEquals(0, r.code(), r.err());
        assertTrue(line(r.out(), "Mixed_7c").contains("2048x9x9"), r.out());
        assertTrue(r.out().contains("input 3x342x342"), r.out());
    }

    @Test
    void badOptionsAreOneLineErrorsNamingTheValue() {
        CliRun r = run("summary", "--size", "74");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--size 74") && r.err().contains("75"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = run("summary", "--train", "--size", "298");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--size 298") && r.err().contains("299") && r.err().contains("--no-aux"), r.err());
        r = run("summary", "--classes", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--classes must be >= 1, got 0"), r.err());
        r = run("summary", "--size", "big");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("big"), r.err());
    }

    @Test
    void helpListsSummary() {
        CliRun r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("summary"), r.out());
    }

    @Test
    void presetsPrintTheirOwnCostAtTheirNativeSize() {
        CliRun r = run("summary", "--preset", "inception-v3-79");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("input 3x79x79"), r.out());
        assertTrue(r.out().contains("5,361,703,520"), r.out());   // spec §12, V3a
        r = run("summary", "--preset", "inception-v3-151");
        assertTrue(r.out().contains("5,713,216,096"), r.out());   // the 299 network's cost, spec §12
        r = run("summary", "--preset", "inception-v3-paper", "--train");
        assertTrue(r.out().contains("AuxLogits.fc_bn"), r.out());
        r = run("summary", "--preset", "resnet-50");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("resnet-50"), r.err());
    }
}
