package org.inceptionj.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.openjdk.jmh.annotations.Param;
import org.junit.jupiter.api.Test;

/** The per-shape benchmark covers exactly the network's convolutions, and bad shapes and options are named. */
class ConvShapeTest {
    @Test
    void theBenchmarksShapesAreTheNetworksDistinctConvolutions() throws Exception {
        Map<ConvShape, Integer> network = ConvShape.of("inception-v3", 299);
        assertEquals(94, network.values().stream().mapToInt(Integer::intValue).sum(), "94 convolutions in evaluation");
        assertEquals(43, network.size());
        String[] declared = ConvShapesBenchmark.class.getField("shape").getAnnotation(Param.class).value();
        assertEquals(network.keySet().stream().map(ConvShape::key).toList(), List.of(declared));
        long macs = 0;
        for (var e : network.entrySet()) {
            macs += e.getKey().macs() * e.getValue();
            assertEquals(e.getKey(), ConvShape.parse(e.getKey().key()), "the key round-trips");
        }
        // spec §3: the convolutions' share of the 5,713,216,096 multiply-adds (fc's 2,048,000 is the rest)
        assertEquals(5_713_216_096L - 2_048_000L, macs);
    }

    @Test
    void badShapesAreNamed() {
        for (String bad : new String[] {"", "192x35x35", "0x35x35>64:1x1/1:0,0,0,0", "3x5x5>8:7x7/1:0,0,0,0",
                "3x5x5>8:3x3/0:0,0,0,0", "99999999999x1x1>1:1x1/1:0,0,0,0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvShape.parse(bad));
            assertTrue(e.getMessage().contains("conv shape '" + bad + "'") || e.getMessage().contains("ConvShape:"), e.getMessage());
        }
    }

    @Test
    void reportOptionsAreChecked() {
        assertEquals("all", ConvPeakReport.Options.parse().threads());
        for (String[] bad : new String[][] {{"--threads", "0"}, {"--threads", "1025"}, {"--batch", "0"},
                {"--passes", "forward,sideways"}, {"--iterations", "0"}, {"--shapes", "1x1"}, {"--batch"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvPeakReport.Options.parse(bad));
            assertTrue(e.getMessage().contains(bad[0]) || e.getMessage().contains("conv shape"), e.getMessage());
        }
    }
}
