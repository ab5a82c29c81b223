package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.inceptionj.inception.image.Preprocessing;
import org.junit.jupiter.api.Test;

class SmallImageAugmentationTest {
    /** Packed RGB of CHW planes, as tfResizeUnit takes them (gray replicated). */
    static int[] packed(byte[] px, int channels, int h, int w) {
        int plane = h * w;
        int[] rgb = new int[plane];
        for (int p = 0; p < plane; p++) {
            int r = px[p] & 0xFF;
            int g = channels == 1 ? r : px[plane + p] & 0xFF;
            int b = channels == 1 ? r : px[2 * plane + p] & 0xFF;
            rgb[p] = (r << 16) | (g << 8) | b;
        }
        return rgb;
    }

    /** The reference: Preprocessing.tfResizeUnit (TF1's resize of v/255). */
    static float[] reference(byte[] px, int channels, int h, int w, int size) {
        return Preprocessing.tfResizeUnit(packed(px, channels, h, w), w, h, size);
    }

    @Property(tries = 60)
    void noneIsExactlyTheTfResize(@ForAll @IntRange(min = 1, max = 40) int h, @ForAll @IntRange(min = 1, max = 40) int w,
                                  @ForAll @IntRange(min = 1, max = 80) int size, @ForAll boolean gray, @ForAll long seed) {
        int c = gray ? 1 : 3;
        byte[] px = IdxDatasetTest.randomBytes(c * h * w, seed, 256);
        float[] got = SmallImageAugmentation.none(size).apply(px, c, h, w, 3, 7);
        assertArrayEquals(reference(px, c, h, w, size), got);
    }

    @Test
    void fashionAndCifarSizesMatchTheReferenceAndStayInRange() {
        for (int[] hwc : new int[][] {{28, 28, 1}, {32, 32, 3}}) {
            byte[] px = IdxDatasetTest.randomBytes(hwc[2] * hwc[0] * hwc[1], hwc[0], 256);
            px[0] = 0;
            px[1] = (byte) 255;
            float[] got = SmallImageAugmentation.none(75).apply(px, hwc[2], hwc[0], hwc[1], 0, 0);
            assertArrayEquals(reference(px, hwc[2], hwc[0], hwc[1], 75), got);
            assertEquals(0f, got[0]);                // output (0,0) reads source (0,0): 0 → 0
            float max = Float.NEGATIVE_INFINITY;
            for (float v : got) {
                assertTrue(v >= 0f && v <= 1f, "value " + v);
                max = Math.max(max, v);
            }
            assertTrue(max > 0.9f, "max " + max);
        }
    }

    @Test
    void bufferedImagePathEqualsRasterPath() {
        byte[] gray = IdxDatasetTest.randomBytes(6 * 5, 11, 256);
        // A gray raster through its RGB image (what ImageFolder-style callers pass) and directly.
        RasterDataset ds = raster(gray, 1, 6, 5);
        SmallImageAugmentation aug = SmallImageAugmentation.light(17, 5, true);
        for (int index = 0; index < 20; index++) {
            assertArrayEquals(aug.apply(ds.pixels(0), 1, 6, 5, 2, index), aug.apply(ds.image(0), 2, index), "index " + index);
        }
        byte[] rgb = IdxDatasetTest.randomBytes(3 * 4 * 7, 12, 256);
        RasterDataset color = raster(rgb, 3, 4, 7);
        assertArrayEquals(aug.apply(rgb, 3, 4, 7, 1, 1), aug.apply(color.image(0), 1, 1));
    }

    @Test
    void identityViewIsNoneAndFlipMirrorsIt() {
        byte[] px = IdxDatasetTest.randomBytes(3 * 28 * 28, 4, 256);
        float[] none = SmallImageAugmentation.none(75).apply(px, 3, 28, 28, 0, 0);
        assertArrayEquals(none, SmallImageAugmentation.render(px, 3, 28, 28, 75, SmallImageAugmentation.View.IDENTITY));
        float[] flipped = SmallImageAugmentation.render(px, 3, 28, 28, 75, new SmallImageAugmentation.View(0, 0, 1, true));
        TrainAugmentation.flipRows(none, 3 * 75, 75);
        assertArrayEquals(none, flipped);
    }

    @Test
    void wholePixelShiftMovesTheContentWithEdgePadding() {
        int n = 10;
        byte[] px = IdxDatasetTest.randomBytes(n * n, 9, 256);
        // At size = side the map is u = x − t·n: a shift of 2/10 moves the image 2 px right and 3 px up.
        float[] moved = SmallImageAugmentation.render(px, 1, n, n, n, new SmallImageAugmentation.View(0.2, -0.3, 1, false));
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int sx = Math.max(0, x - 2), sy = Math.min(n - 1, y + 3);
                float expected = (px[sy * n + sx] & 0xFF) * (1f / 255f);
                assertEquals(expected, moved[y * n + x], "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void zoomKeepsTheCenterAndMagnifies() {
        int n = 9;
        byte[] px = new byte[n * n];
        px[4 * n + 4] = (byte) 255; // one bright pixel at the center
        float[] zoomed = SmallImageAugmentation.render(px, 1, n, n, n, new SmallImageAugmentation.View(0, 0, 2, false));
        assertEquals(1f, zoomed[4 * n + 4]);          // the center stays put
        assertEquals(0.5f, zoomed[4 * n + 5], 1e-6f); // half way to the next source pixel
        assertEquals(0f, zoomed[4 * n + 6]);          // one source pixel away: background
    }

    @Test
    void lightIsAFunctionOfSeedEpochAndIndexWithinItsBounds() {
        byte[] px = IdxDatasetTest.randomBytes(28 * 28, 1, 256);
        SmallImageAugmentation a = SmallImageAugmentation.light(75, 42, true);
        SmallImageAugmentation b = SmallImageAugmentation.light(75, 42, true);
        assertArrayEquals(a.apply(px, 1, 28, 28, 3, 5), b.apply(px, 1, 28, 28, 3, 5));
        assertFalse(Arrays.equals(a.apply(px, 1, 28, 28, 3, 5), a.apply(px, 1, 28, 28, 4, 5)));
        assertNotEquals(a.view(0, 0), SmallImageAugmentation.light(75, 43, true).view(0, 0));
        int flips = 0;
        SmallImageAugmentation noFlip = SmallImageAugmentation.light(75, 42, false);
        for (int i = 0; i < 2000; i++) {
            SmallImageAugmentation.View v = a.view(1, i);
            assertTrue(Math.abs(v.shiftX()) <= 1.0 / 14 && Math.abs(v.shiftY()) <= 1.0 / 14, v.toString());
            assertTrue(v.scale() >= 0.9 && v.scale() <= 1.1, v.toString());
            flips += v.flip() ? 1 : 0;
            assertFalse(noFlip.view(1, i).flip());
            // Same draws apart from the flip: flipping is the only thing the parameter changes.
            assertEquals(v.shiftX(), noFlip.view(1, i).shiftX());
        }
        assertTrue(flips > 900 && flips < 1100, "flips " + flips);
        assertEquals(SmallImageAugmentation.View.IDENTITY, SmallImageAugmentation.none(75).view(7, 7));
    }

    @Test
    void badArgumentsAreNamed() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> SmallImageAugmentation.none(75).apply(new byte[10], 2, 2, 2, 0, 0)).getMessage();
        assertTrue(m.contains("2 channel(s) of 2x2 (10 bytes)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> SmallImageAugmentation.light(75, 0, true, 0.6, 1, 1)).getMessage();
        assertTrue(m.contains("max shift 0.6"), m);
        m = assertThrows(IllegalArgumentException.class, () -> SmallImageAugmentation.light(75, 0, true, 0.1, 1.2, 1.1)).getMessage();
        assertTrue(m.contains("[1.2, 1.1]"), m);
    }

    @Test
    void dataLoaderTakesTheRasterPathWithTheSameBatches() {
        byte[] px = IdxDatasetTest.randomBytes(12 * 28 * 28, 3, 256);
        RasterDataset ds = raster(px, 1, 28, 28, 12);
        // The same dataset whose image() fails: only the raster path can load it.
        RasterDataset noImages = new Wrapped(ds) {
            @Override
            public BufferedImage image(int i) {
                throw new AssertionError("image(" + i + ") called on the raster path");
            }
        };
        SmallImageAugmentation aug = SmallImageAugmentation.light(19, 8, true);
        Transform viaImages = aug::apply; // a plain Transform: the BufferedImage path
        try (DataLoader raster = DataLoader.builder(noImages, aug, 19).batchSize(4).seed(1).workers(2).build();
             DataLoader images = DataLoader.builder(ds, viaImages, 19).batchSize(4).seed(1).workers(1).build()) {
            try (DataLoader.Epoch e1 = raster.epoch(0); DataLoader.Epoch e2 = images.epoch(0)) {
                int batches = 0;
                while (e1.hasNext()) {
                    DataLoader.Batch b1 = e1.next(), b2 = e2.next();
                    assertArrayEquals(b2.indices(), b1.indices());
                    assertArrayEquals(b2.labels(), b1.labels());
                    assertArrayEquals(b2.images(), b1.images());
                    batches++;
                }
                assertEquals(3, batches);
            }
        }
    }

    static RasterDataset raster(byte[] px, int channels, int h, int w) {
        return raster(px, channels, h, w, 1);
    }

    static RasterDataset raster(byte[] px, int channels, int h, int w, int n) {
        return new RasterDataset() {
            public int channels() {
                return channels;
            }

            public int height() {
                return h;
            }

            public int width() {
                return w;
            }

            public void pixels(int i, byte[] dst) {
                int k = channels * h * w;
                System.arraycopy(px, i * k, dst, 0, k);
            }

            public String source() {
                return "memory";
            }

            public int size() {
                return n;
            }

            public List<String> classes() {
                return List.of("a", "b", "c");
            }

            public int label(int i) {
                return i % 3;
            }

            public String describe(int i) {
                return "memory " + i;
            }
        };
    }

    /** Delegates everything to another raster dataset. */
    private static class Wrapped implements RasterDataset {
        private final RasterDataset d;

        Wrapped(RasterDataset d) {
            this.d = d;
        }

        public int channels() {
            return d.channels();
        }

        public int height() {
            return d.height();
        }

        public int width() {
            return d.width();
        }

        public void pixels(int i, byte[] dst) {
            d.pixels(i, dst);
        }

        public String source() {
            return d.source();
        }

        public int size() {
            return d.size();
        }

        public List<String> classes() {
            return d.classes();
        }

        public int label(int i) {
            return d.label(i);
        }

        public String describe(int i) {
            return d.describe(i);
        }
    }
}
