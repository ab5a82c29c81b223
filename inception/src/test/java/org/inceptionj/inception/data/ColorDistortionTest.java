package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;

import org.junit.jupiter.api.Test;

class ColorDistortionTest {
    private static final float EPS = 1e-6f;

    /** One pixel as a CHW image with plane 1. */
    private static float[] px(float r, float g, float b) {
        return new float[] {r, g, b};
    }

    @Test
    void hueTurnsRedIntoGreenBlueAndYellow() {
        float[] red = px(1, 0, 0);
        ColorDistortion.adjustHue(red, 1, 1f / 3);
        assertArrayEquals(px(0, 1, 0), red, EPS);      // +120°
        red = px(1, 0, 0);
        ColorDistortion.adjustHue(red, 1, -1f / 3);
        assertArrayEquals(px(0, 0, 1), red, EPS);      // −120° wraps to 240°
        red = px(1, 0, 0);
        ColorDistortion.adjustHue(red, 1, 1f / 6);
        assertArrayEquals(px(1, 1, 0), red, EPS);      // +60°
    }

    @Test
    void hueKeepsMaxAndMinAndMovesTheMiddleChannel() {
        // (0.8, 0.4, 0.2): H = 60°·(0.4−0.2)/(0.8−0.2) = 20°, V = 0.8, min 0.2. +180° → 200°, in the
        // blue–cyan sextant (180°–240°): R = min, B = max, G = max − (max−min)·(200−180)/60 = 0.6.
        float[] p = px(0.8f, 0.4f, 0.2f);
        ColorDistortion.adjustHue(p, 1, 0.5f);
        assertArrayEquals(px(0.2f, 0.6f, 0.8f), p, EPS);
        float[] gray = px(0.3f, 0.3f, 0.3f);
        ColorDistortion.adjustHue(gray, 1, 0.17f);
        assertArrayEquals(px(0.3f, 0.3f, 0.3f), gray, 0f);
    }

    @Test
    void saturationScalesTheDistanceFromTheMaxAndClampsSAtOne() {
        // S scale by f with V kept: each channel x → V − (V − x)·f.
        float[] p = px(0.8f, 0.4f, 0.2f);
        ColorDistortion.adjustSaturation(p, 1, 0f);
        assertArrayEquals(px(0.8f, 0.8f, 0.8f), p, EPS);   // gray at V = max
        p = px(0.8f, 0.4f, 0.2f);
        ColorDistortion.adjustSaturation(p, 1, 0.5f);
        assertArrayEquals(px(0.8f, 0.6f, 0.5f), p, EPS);
        // S = 0.75, ·2 = 1.5 clamps to 1: effective f = 4/3, the minimum lands on 0.
        p = px(0.8f, 0.4f, 0.2f);
        ColorDistortion.adjustSaturation(p, 1, 2f);
        assertArrayEquals(px(0.8f, 0.8f - 0.4f * 4 / 3, 0f), p, EPS);
        float[] black = px(0, 0, 0);
        ColorDistortion.adjustSaturation(black, 1, 1.5f);
        assertArrayEquals(px(0, 0, 0), black, 0f);
    }

    @Property(tries = 100)
    void unitSaturationAndZeroHueLeaveAPixelUnchanged(@ForAll @FloatRange(min = 0, max = 1) float r,
                                                      @ForAll @FloatRange(min = 0, max = 1) float g,
                                                      @ForAll @FloatRange(min = 0, max = 1) float b) {
        float[] p = px(r, g, b);
        ColorDistortion.adjustSaturation(p, 1, 1f);
        assertArrayEquals(px(r, g, b), p, 1e-6f);
        p = px(r, g, b);
        ColorDistortion.adjustHue(p, 1, 0f);
        assertArrayEquals(px(r, g, b), p, 1e-6f);
        p = px(r, g, b);
        ColorDistortion.adjustHue(p, 1, 1f);   // a full turn
        assertArrayEquals(px(r, g, b), p, 1e-5f);
    }

    @Test
    void contrastStretchesEachChannelAroundItsOwnMean() {
        // Two pixels: R (0.2, 0.6) mean 0.4; G (0.1, 0.1) mean 0.1; B (0, 1) mean 0.5.
        float[] img = {0.2f, 0.6f, 0.1f, 0.1f, 0f, 1f};
        ColorDistortion.adjustContrast(img, 2, 1.5f);
        assertArrayEquals(new float[] {0.1f, 0.7f, 0.1f, 0.1f, -0.25f, 1.25f}, img, EPS); // no clamp
        img = new float[] {0.2f, 0.6f, 0.1f, 0.1f, 0f, 1f};
        ColorDistortion.adjustContrast(img, 2, 0.5f);
        assertArrayEquals(new float[] {0.3f, 0.5f, 0.1f, 0.1f, 0.25f, 0.75f}, img, EPS);
    }

    @Test
    void brightnessAddsWithoutClampAndDistortColorClipsAtTheEnd() {
        float[] p = px(0.95f, 0.5f, 0.02f);
        ColorDistortion.adjustBrightness(p, 0.1f);
        assertArrayEquals(px(1.05f, 0.6f, 0.12f), p, EPS);
        ColorDistortion.adjustBrightness(p, -0.2f);
        assertArrayEquals(px(0.85f, 0.4f, -0.08f), p, EPS);
        // distort_color with saturation 1: only the shift, then the clip.
        p = px(0.95f, 0.5f, 0.02f);
        ColorDistortion.apply(p, 1, new ColorDistortion.Params(0, 0.1f, 1f, 0f, 1f), true);
        assertArrayEquals(px(1f, 0.6f, 0.12f), p, EPS);
        p = px(0.95f, 0.5f, 0.02f);
        ColorDistortion.apply(p, 1, new ColorDistortion.Params(2, -0.1f, 1f, 0f, 1f), true);
        assertArrayEquals(px(0.85f, 0.4f, 0f), p, EPS);
    }

    @Test
    void fastModeOrderingZeroIsBrightnessFirstAndTheOthersSaturationFirst() {
        // (0.8, 0.4, 0.2), δ = 0.1, f = 2 (S clamps, so the two orders differ):
        // brightness first: (0.9, 0.5, 0.3), S = 2/3·2 → 1, effective f 1.5 → (0.9, 0.3, 0).
        // saturation first: effective f 4/3 → (0.8, 0.8 − 0.4·4/3, 0), then + 0.1.
        float[] brightnessFirst = px(0.9f, 0.3f, 0f);
        float[] saturationFirst = px(0.9f, 0.9f - 0.4f * 4 / 3, 0.1f);
        for (int ordering = 0; ordering < 4; ordering++) {
            float[] p = px(0.8f, 0.4f, 0.2f);
            ColorDistortion.apply(p, 1, new ColorDistortion.Params(ordering, 0.1f, 2f, 0.2f, 1.5f), true);
            assertArrayEquals(ordering == 0 ? brightnessFirst : saturationFirst, p, EPS, "ordering " + ordering);
        }
    }

    @Test
    void fullModeFollowsSlimsFourOrderings() {
        // slim's distort_color(fast_mode=False), typed from its source: B=brightness, S=saturation, H=hue, C=contrast.
        String[] slim = {"BSHC", "SBCH", "CHBS", "HSCB"};
        float[] img = {0.8f, 0.1f, 0.5f, 0.3f, 0.9f, 0.45f, 0.2f, 0.6f, 0.05f, 0.7f, 0.4f, 0.35f}; // plane 4
        ColorDistortion.Params p = new ColorDistortion.Params(0, 0.07f, 1.4f, 0.13f, 0.6f);
        float[][] results = new float[4][];
        for (int ordering = 0; ordering < 4; ordering++) {
            ColorDistortion.Params q = new ColorDistortion.Params(ordering, p.brightnessDelta(), p.saturationFactor(),
                    p.hueDelta(), p.contrastFactor());
            float[] expected = img.clone();
            for (char op : slim[ordering].toCharArray()) {
                switch (op) {
                    case 'B' -> ColorDistortion.adjustBrightness(expected, q.brightnessDelta());
                    case 'S' -> ColorDistortion.adjustSaturation(expected, 4, q.saturationFactor());
                    case 'H' -> ColorDistortion.adjustHue(expected, 4, q.hueDelta());
                    default -> ColorDistortion.adjustContrast(expected, 4, q.contrastFactor());
                }
            }
            ColorDistortion.clip(expected);
            float[] actual = img.clone();
            ColorDistortion.apply(actual, 4, q, false);
            assertArrayEquals(expected, actual, 0f, "ordering " + ordering);
            results[ordering] = actual;
        }
        for (int a = 0; a < 4; a++) {
            for (int b = a + 1; b < 4; b++) {
                assertFalse(Arrays.equals(results[a], results[b]), "orderings " + a + " and " + b + " agree");
            }
        }
    }

    @Test
    void sampledParametersLieInSlimsRanges() {
        SplittableRandom rng = new SplittableRandom(3);
        int[] counts = new int[4];
        for (int i = 0; i < 4000; i++) {
            ColorDistortion.Params p = ColorDistortion.sample(rng);
            counts[p.ordering()]++;
            assertTrue(Math.abs(p.brightnessDelta()) <= 32f / 255f, p.toString());
            assertTrue(p.saturationFactor() >= 0.5f && p.saturationFactor() <= 1.5f, p.toString());
            assertTrue(Math.abs(p.hueDelta()) <= 0.2f, p.toString());
            assertTrue(p.contrastFactor() >= 0.5f && p.contrastFactor() <= 1.5f, p.toString());
        }
        for (int c : counts) {
            assertEquals(1000, c, 120, Arrays.toString(counts)); // binomial sd ≈ 27
        }
    }
}
