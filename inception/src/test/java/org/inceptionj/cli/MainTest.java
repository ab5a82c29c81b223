package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MainTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void helpListsTheCommands() {
        CliRun r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("demo") && r.out().contains("backends"), r.out());
    }

    @Test
    void demoRunsARealForwardPassAndReportsEveryModule() {
        CliRun r = run("demo", "--size", "75", "--repeat", "1", "--batch", "2");
        assertEquals(0, r.code(), r.err());
        for (String module : new String[] {"Conv2d_1a_3x3", "maxpool2", "Mixed_5b", "Mixed_6e", "Mixed_7c", "avgpool"}) {
            assertTrue(r.out().contains(module), module + " missing in:\n" + r.out());
        }
        assertTrue(r.out().contains("[2,2048,1,1]"), r.out());
        assertTrue(r.out().contains("logits [2,1000]"), r.out());
        assertTrue(r.out().contains("memory    0 bytes"), r.out());
    }

    @Test
    void badOptionsAreOneLineErrorsNamingTheValue() {
        CliRun r = run("demo", "--size", "60");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--size 60") && r.err().contains("75"), r.err());
        assertTrue(!r.err().contains("at org."), "no stack trace: " + r.err());
        r = run("demo", "--batch", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batch must be >= 1, got 0"), r.err());
        r = run("demo", "--size", "abc");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("abc"), r.err());
    }

    @Test
    void backendsListsCpuAsReady() {
        CliRun r = run("backends");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("cpu: ready"), r.out());
        assertTrue(r.out().contains("cuda: unavailable"), r.out());
    }

    @Test
    void predictPrintsTopKForEachImageAndRejectsBadFilesFirst(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(100, 80,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.nio.file.Path png = tmp.resolve("cat.png");
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        CliRun r = run("predict", "--size", "75", "--top", "3", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cat.png"), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.matches("\\s+\\d+\\.\\d+%.*")).count(), r.out());
        assertTrue(r.err().contains("random weights"), r.err());

        java.nio.file.Path bad = java.nio.file.Files.writeString(tmp.resolve("bad.jpg"), "garbage");
        r = run("predict", "--size", "75", png.toString(), bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jpg"), r.err());
        r = run("predict", "--preprocess", "caffe", png.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("caffe"), r.err());
    }
}
