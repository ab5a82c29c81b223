package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import org.inceptionj.inception.image.Preprocessing;
import org.junit.jupiter.api.Test;

class TrainAugmentationTest {
    /** R grows with x, G with y, B constant: bilinear sampling of it is exact away from the borders. */
    private static BufferedImage gradient(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = Math.round(255f * x / (w - 1)), g = Math.round(255f * y / (h - 1));
                img.setRGB(x, y, (r << 16) | (g << 8) | 77);
            }
        }
        return img;
    }

    @Test
    void sameSeedEpochAndIndexGiveTheSamePixelsAndOtherEpochsOtherCrops() {
        BufferedImage img = gradient(120, 90);
        TrainAugmentation a = TrainAugmentation.tfSlim(24, 42), b = TrainAugmentation.tfSlim(24, 42);
        int differentEpoch = 0, differentSeed = 0;
        TrainAugmentation other = TrainAugmentation.tfSlim(24, 43);
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(a.apply(img, 3, i), b.apply(img, 3, i));
            assertEquals(a.view(120, 90, 3, i), b.view(120, 90, 3, i));
            if (!a.view(120, 90, 3, i).equals(a.view(120, 90, 4, i))) {
                differentEpoch++;
            }
            if (!a.view(120, 90, 3, i).equals(other.view(120, 90, 3, i))) {
                differentSeed++;
            }
        }
        assertTrue(differentEpoch >= 9, "epochs 3 and 4 differ for only " + differentEpoch + " of 10 examples");
        assertTrue(differentSeed >= 9, "seeds 42 and 43 differ for only " + differentSeed + " of 10 examples");
        assertFalse(Arrays.equals(a.apply(img, 3, 0), a.apply(img, 4, 0)));
    }

    @Property(tries = 200)
    void sampledCropsLieInTheImageWithinAreaAndAspectBounds(@ForAll @IntRange(min = 1, max = 2000) int width,
                                                           @ForAll @IntRange(min = 1, max = 2000) int height,
                                                           @ForAll @DoubleRange(min = 0.01, max = 1.0) double minArea,
                                                           @ForAll long seed) {
        TrainAugmentation.Crop c = TrainAugmentation.sampleCrop(width, height, minArea, 1.0,
                TrainAugmentation.MIN_RATIO, TrainAugmentation.MAX_RATIO, new SplittableRandom(seed));
        assertTrue(c.width() >= 1 && c.height() >= 1 && c.x() >= 0 && c.y() >= 0
                && c.x() + c.width() <= width && c.y() + c.height() <= height, c + " in " + width + "x" + height);
        double w = c.width(), h = c.height(), area = (double) width * height;
        if (!c.fallback()) {
            // w = round(√(A·r)), h = round(√(A/r)) ⇒ A ∈ [(w−½)(h−½), (w+½)(h+½)], r ∈ [(w−½)/(h+½), (w+½)/(h−½)].
            assertTrue((w - 0.5) * (h - 0.5) <= area * 1.0 + 1e-9 && (w + 0.5) * (h + 0.5) >= minArea * area - 1e-9,
                    c + ": area outside [" + minArea + ", 1] of " + width + "x" + height);
            assertTrue((w - 0.5) / (h + 0.5) <= TrainAugmentation.MAX_RATIO + 1e-12
                    && (h <= 0.5 || (w + 0.5) / (h - 0.5) >= TrainAugmentation.MIN_RATIO - 1e-12),
                    c + ": aspect outside [3/4, 4/3]");
        } else {
            // Centered, full along one side, aspect clamped to [3/4, 4/3] (up to rounding).
            assertTrue(c.width() == width || c.height() == height, c.toString());
            assertEquals((width - c.width()) / 2, c.x());
            assertEquals((height - c.height()) / 2, c.y());
        }
    }

    @Test
    void aspectRatioIsLogUniformSoWideAndTallAreEquallyLikely() {
        // Area ≤ 0.3 of 1000x1000: w, h ≤ √(0.3e6·4/3) ≈ 632, so no attempt is rejected.
        // Log-uniform on [3/4, 4/3] puts half the mass above 1; uniform would put (4/3−1)/(4/3−3/4) ≈ 0.571.
        SplittableRandom rng = new SplittableRandom(17);
        double wide = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            TrainAugmentation.Crop c = TrainAugmentation.sampleCrop(1000, 1000, 0.05, 0.3, 0.75, 4.0 / 3.0, rng);
            assertFalse(c.fallback());
            wide += c.width() > c.height() ? 1 : c.width() == c.height() ? 0.5 : 0;
        }
        assertEquals(0.5, wide / n, 0.02, "fraction of crops wider than tall"); // sd ≈ 0.0035
    }

    @Test
    void fallbackIsTheCenteredCropWithTheAspectRatioClamped() {
        // 1000x10 with area ≥ 0.5: h = √(A/r) ≥ √(2500/(4/3)) ≈ 43 > 10 on every attempt.
        TrainAugmentation.Crop c = TrainAugmentation.sampleCrop(1000, 10, 0.5, 1.0, 0.75, 4.0 / 3.0, new SplittableRandom(1));
        assertEquals(new TrainAugmentation.Crop(493, 0, 13, 10, true), c); // w = round(10·4/3) = 13, x = ⌊987/2⌋
        // 10x1000: w = 10, h = round(10/(3/4)) = 13, y = ⌊987/2⌋.
        c = TrainAugmentation.sampleCrop(10, 1000, 0.5, 1.0, 0.75, 4.0 / 3.0, new SplittableRandom(1));
        assertEquals(new TrainAugmentation.Crop(0, 493, 10, 13, true), c);
    }

    @Test
    void flipIsAFairCoinAndMirrorsTheRows() {
        // Area 1 and aspect 1 on a square image: the crop is always the whole image, size unchanged.
        BufferedImage img = gradient(8, 8);
        TrainAugmentation aug = new TrainAugmentation(Preprocessing.TF_INCEPTION, 8, 1.0, 1.0, 1.0, 1.0, 5);
        float[] plain = Preprocessing.TF_INCEPTION.toChw(img);
        assertEquals(-1f, plain[0], 1e-6f);         // R at x=0 is 0 → −1
        assertEquals(1f, plain[7], 1e-6f);          // R at x=7 is 255 → +1
        int flips = 0;
        for (int i = 0; i < 200; i++) {
            float[] v = aug.apply(img, 0, i);
            boolean flip = aug.view(8, 8, 0, i).flip();
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        int src = flip ? 7 - x : x;
                        assertEquals(plain[(c * 8 + y) * 8 + src], v[(c * 8 + y) * 8 + x], 0f);
                    }
                }
            }
            flips += flip ? 1 : 0;
        }
        assertTrue(flips >= 70 && flips <= 130, flips + " flips in 200"); // binomial(200, ½): ±4.2 sd
    }

    @Test
    void theViewShowsTheSampledCropOfTheImage() {
        int w = 200, h = 150, s = 16;
        BufferedImage img = gradient(w, h);
        // torchvision's sampler with [−1, 1] output: the geometry alone, no colour distortion.
        TrainAugmentation aug = new TrainAugmentation(Preprocessing.TF_INCEPTION, s, 0.05, 1.0,
                TrainAugmentation.MIN_RATIO, TrainAugmentation.MAX_RATIO, 9);
        for (int i = 0; i < 20; i++) {
            TrainAugmentation.View view = aug.view(w, h, 1, i);
            TrainAugmentation.Crop c = view.crop();
            float[] v = aug.apply(img, 1, i);
            for (int y = 1; y < s - 1; y++) {
                for (int x = 1; x < s - 1; x++) {
                    int ox = view.flip() ? s - 1 - x : x;
                    // The source point under output pixel (ox, y): pixel centres map linearly.
                    double sx = c.x() + (ox + 0.5) * c.width() / s - 0.5;
                    double sy = c.y() + (y + 0.5) * c.height() / s - 0.5;
                    double r = 255.0 * sx / (w - 1), g = 255.0 * sy / (h - 1);
                    double tolX = 255.0 / (w - 1) * (1 + (double) c.width() / s) + 2;  // one source step + rounding
                    double tolY = 255.0 / (h - 1) * (1 + (double) c.height() / s) + 2;
                    assertEquals(r, (v[y * s + x] + 1) * 127.5, tolX, "R at " + x + "," + y + " of " + view);
                    assertEquals(g, (v[(s + y) * s + x] + 1) * 127.5, tolY, "G at " + x + "," + y + " of " + view);
                    assertEquals(77, (v[(2 * s + y) * s + x] + 1) * 127.5, 0.01);
                }
            }
        }
    }

    @Test
    void torchvisionRecipeNormalizesWithImageNetStatistics() {
        BufferedImage img = new BufferedImage(30, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 30; x++) {
                img.setRGB(x, y, 0xFFFFFF);
            }
        }
        float[] v = TrainAugmentation.torchvision(10, 1).apply(img, 0, 0);
        assertEquals((1 - 0.485) / 0.229, v[0], 1e-5);
        assertEquals((1 - 0.456) / 0.224, v[100], 1e-5);
        assertEquals((1 - 0.406) / 0.225, v[299], 1e-5);
    }

    @Property(tries = 200)
    void distortedBoxesRespectAreaAspectAndCoverageOrAreTheWholeImage(
            @ForAll @IntRange(min = 1, max = 2000) int width, @ForAll @IntRange(min = 1, max = 2000) int height,
            @ForAll long seed) {
        TrainAugmentation.Crop c = TrainAugmentation.sampleDistortedBoundingBox(width, height, 0.1f, 0.75f, 1.33f,
                0.05f, 1f, 100, new SplittableRandom(seed));
        if (c.fallback()) {
            assertEquals(new TrainAugmentation.Crop(0, 0, width, height, true), c);
            return;
        }
        long w = c.width(), h = c.height(), area = (long) width * height;
        assertTrue(w >= 1 && h >= 1 && c.x() >= 0 && c.y() >= 0 && c.x() + w <= width && c.y() + h <= height,
                c + " in " + width + "x" + height);
        // TF's offsets are Uniform(W − w), in [0, W − w): a narrower crop never touches the right edge.
        assertTrue(w == width ? c.x() == 0 : c.x() + w < width, c.toString());
        assertTrue(h == height ? c.y() == 0 : c.y() + h < height, c.toString());
        // Coverage of the whole-image object ≥ 0.1 (above the area range's 0.05); at most the image.
        assertTrue(w * h >= 0.1 * area * (1 - 1e-6) && w * h <= area, c + ": area fraction " + (double) w * h / area);
        // w = round(h·r) for some r in [0.75, 1.33].
        assertTrue(w - 0.5 <= 1.33 * h + 1e-3 && w + 0.5 >= 0.75 * h - 1e-3, c + ": aspect " + (double) w / h);
    }

    @Test
    void distortedBoxFallsBackToTheWholeImageWhenNoBoxFits() {
        // 100x1: h = 1 forces w = round(r) = 1, area 1 < 0.1·100; 1000x10: w·h ≤ 13·10 < 0.1·10000.
        for (int[] wh : new int[][] {{100, 1}, {1, 100}, {1000, 10}}) {
            TrainAugmentation.Crop c = TrainAugmentation.sampleDistortedBoundingBox(wh[0], wh[1], 0.1f, 0.75f, 1.33f,
                    0.05f, 1f, 100, new SplittableRandom(4));
            assertEquals(new TrainAugmentation.Crop(0, 0, wh[0], wh[1], true), c);
        }
        TrainAugmentation aug = TrainAugmentation.tfSlim(8, 1);
        assertEquals(new TrainAugmentation.Crop(0, 0, 1000, 10, true), aug.view(1000, 10, 0, 0).crop());
    }

    @Test
    void distortedBoxAspectRatioIsUniformNotLogUniform() {
        // Area ≤ 0.3 of 1000x1000 and no coverage bound: no attempt is rejected, so w/h follows r.
        // Uniform on [0.75, 1.33] puts (1.33−1)/(1.33−0.75) ≈ 0.569 of the mass above 1; log-uniform ≈ 0.498.
        SplittableRandom rng = new SplittableRandom(17);
        double wide = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            TrainAugmentation.Crop c = TrainAugmentation.sampleDistortedBoundingBox(1000, 1000, 0f, 0.75f, 1.33f,
                    0.05f, 0.3f, 1, rng);
            assertFalse(c.fallback());
            wide += c.width() > c.height() ? 1 : c.width() == c.height() ? 0.5 : 0;
        }
        assertEquals(0.33 / 0.58, wide / n, 0.015, "fraction of crops wider than tall"); // sd ≈ 0.0035
    }

    @Test
    void tfSlimCoversAllFourColourOrderingsAndUsesTheBoxSampler() {
        TrainAugmentation aug = TrainAugmentation.tfSlim(16, 7);
        assertTrue(aug.isTfSlim() && aug.fastMode());
        assertFalse(TrainAugmentation.tfSlim(16, 7, false).fastMode());
        int[] counts = new int[4];
        double minFraction = 1;
        for (int i = 0; i < 2000; i++) {
            TrainAugmentation.View v = aug.view(400, 300, 0, i);
            counts[v.color().ordering()]++;
            if (!v.crop().fallback()) {
                minFraction = Math.min(minFraction, (double) v.crop().width() * v.crop().height() / (400 * 300));
            }
        }
        for (int c : counts) {
            assertEquals(500, c, 90, Arrays.toString(counts)); // binomial sd ≈ 19
        }
        // The coverage bound 0.1, not the area range's 0.05, is the smallest crop, and it is reached.
        assertTrue(minFraction >= 0.1 && minFraction < 0.12, "smallest crop fraction " + minFraction);
        TrainAugmentation tv = TrainAugmentation.torchvision(16, 7);
        assertEquals(null, tv.view(400, 300, 0, 0).color());
    }

    @Test
    void tfSlimShiftsAGrayImageByTheBrightnessDeltaAndClipsBeforeScaling() {
        // On a uniform gray, crop, resize and flip change nothing, saturation and hue keep a gray and
        // contrast keeps a constant: the output is (clip(v/255 + δ, 0, 1) − 0.5)·2 in every ordering.
        for (int v : new int[] {128, 250}) {
            BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 30; y++) {
                for (int x = 0; x < 40; x++) {
                    img.setRGB(x, y, (v << 16) | (v << 8) | v);
                }
            }
            for (boolean fast : new boolean[] {true, false}) {
                TrainAugmentation aug = TrainAugmentation.tfSlim(6, 3, fast);
                for (int i = 0; i < 20; i++) {
                    float delta = aug.view(40, 30, 0, i).color().brightnessDelta();
                    double expected = (Math.min(1, Math.max(0, v / 255.0 + delta)) - 0.5) * 2;
                    float[] out = aug.apply(img, 0, i);
                    for (float o : out) {
                        assertEquals(expected, o, 1e-5, "v " + v + " δ " + delta);
                    }
                }
            }
        }
    }
}
