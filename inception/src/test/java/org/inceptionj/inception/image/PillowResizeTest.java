package org.inceptionj.inception.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Golden files made by Pillow 9.4.0 itself (resources {@code pillow/}): a 120×90 noisy RGB image,
 * {@code Image.resize((w, h), Image.BILINEAR)} of it at five sizes (shrinking, growing and mixed), and
 * torchvision's eval recipe scaled down, Resize(64) then CenterCrop(56) — a resize to 85×64 and the
 * crop box at left round(14.5) = 14 (Python rounds half to even), top 4. Our resampling must give
 * every pixel exactly.
 */
class PillowResizeTest {

    private static BufferedImage png(String name) throws IOException {
        try (InputStream in = PillowResizeTest.class.getResourceAsStream("pillow/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource pillow/" + name + " is missing");
            }
            return Images.toRgb(ImageIO.read(in));
        }
    }

    private static int mismatches(BufferedImage expected, BufferedImage actual) {
        assertEquals(expected.getWidth(), actual.getWidth());
        assertEquals(expected.getHeight(), actual.getHeight());
        int bad = 0;
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                if ((expected.getRGB(x, y) & 0xFFFFFF) != (actual.getRGB(x, y) & 0xFFFFFF)) {
                    bad++;
                }
            }
        }
        return bad;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"37x29", "64x48", "250x181", "120x45", "53x90"})
    void bilinearResizeMatchesPillowPixelForPixel(String size) throws IOException {
        String[] wh = size.split("x");
        BufferedImage expected = png("bilinear_" + size + ".png");
        BufferedImage ours = Images.resizeLikePillow(png("input.png"), Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        assertEquals(0, mismatches(expected, ours), "pixels that differ from Pillow at " + size);
    }

    @Test
    void torchvisionResizeAndCenterCropMatchPillow() throws IOException {
        BufferedImage input = png("input.png");
        BufferedImage ours = Preprocessing.centerCrop(Preprocessing.resizeShorterSide(input, 64), 56, 56);
        assertEquals(0, mismatches(png("resize64_centercrop56.png"), ours));
        // Java2D's bilinear filter (what the TF recipe still uses) does not: the test can tell them apart.
        BufferedImage java2d = Images.resize(input, 37, 29);
        assertTrue(mismatches(png("bilinear_37x29.png"), java2d) > 100, "Java2D differs from Pillow when shrinking");
    }

    /** A window of the resize is that part of the whole resize, pixel for pixel, for shrinking, growing and mixed targets. */
    @Test
    void aWindowOfTheResizeIsTheResizeCropped() throws IOException {
        BufferedImage input = png("input.png");
        int[][] cases = {{37, 29, 0, 0, 37, 29}, {37, 29, 5, 3, 20, 11}, {250, 181, 101, 40, 99, 99}, {53, 90, 52, 89, 1, 1},
                {120, 45, 7, 0, 100, 45}, {342, 256, 21, 0, 299, 256}, {120, 90, 3, 4, 50, 50}, {120, 200, 0, 60, 120, 80}};
        for (int[] c : cases) {
            BufferedImage full = Images.resizeLikePillow(input, c[0], c[1]);
            BufferedImage window = Images.resizeLikePillow(input, c[0], c[1], c[2], c[3], c[4], c[5]);
            assertEquals(0, mismatches(Preprocessing.crop(full, c[2], c[3], c[4], c[5]), window),
                    "window " + java.util.Arrays.toString(c));
        }
        // torchvision's ten crops, as they were computed: the whole resize, cropped, and its mirror, cropped.
        for (BufferedImage img : new BufferedImage[] {input, input.getSubimage(3, 5, 91, 64), Preprocessing.crop(input, 0, 0, 120, 61)}) {
            int size = 56;
            BufferedImage r = Preprocessing.resizeShorterSide(img, (int) Math.floor(size / Preprocessing.CROP_FRACTION));
            List<float[]> expected = new java.util.ArrayList<>();
            for (BufferedImage im : new BufferedImage[] {r, Preprocessing.flipHorizontal(r)}) {
                int w = im.getWidth(), h = im.getHeight();
                expected.add(Preprocessing.TORCHVISION.toChw(Preprocessing.crop(im, 0, 0, size, size)));
                expected.add(Preprocessing.TORCHVISION.toChw(Preprocessing.crop(im, w - size, 0, size, size)));
                expected.add(Preprocessing.TORCHVISION.toChw(Preprocessing.crop(im, 0, h - size, size, size)));
                expected.add(Preprocessing.TORCHVISION.toChw(Preprocessing.crop(im, w - size, h - size, size, size)));
                expected.add(Preprocessing.TORCHVISION.toChw(Preprocessing.centerCrop(im, size, size)));
            }
            List<float[]> views = Preprocessing.TORCHVISION.tenCrop(img, size);
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(expected.get(i), views.get(i), "view " + i + " of " + img.getWidth() + "x" + img.getHeight());
            }
            assertArrayEquals(expected.get(4), Preprocessing.TORCHVISION.apply(img, size));
        }
    }

    /**
     * torchvision's Resize(342) of a 1×100,000 image would be 342×34,200,000 pixels: the old code
     * overflowed {@code int} there. Only the 299×299 crop is computed now, so even an image beyond the
     * file limits, given in memory, takes milliseconds; images at the aspect limit likewise.
     */
    @Test
    @Timeout(20)
    void everyShapePreprocessesWithoutOverflow() {
        for (int[] wh : List.of(new int[] {1, 100_000}, new int[] {100_000, 1}, new int[] {1, 100}, new int[] {100, 1},
                new int[] {40, 4000}, new int[] {4000, 40}, new int[] {1, 1})) {
            int w = wh[0], h = wh[1];
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            int along = Math.max(w, h);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = (int) ((long) (w >= h ? x : y) * 255 / Math.max(along - 1, 1)); // a ramp along the long side
                    img.setRGB(x, y, v << 16 | 0x00AA00);
                }
            }
            float[] chw = Preprocessing.TORCHVISION.apply(img, 299);
            assertEquals(3 * 299 * 299, chw.length);
            // The center of a ramp: red near 127.5 in the middle, green 0xAA everywhere.
            float red = chw[149 * 299 + 149] * 0.229f + 0.485f, green = chw[299 * 299] * 0.224f + 0.456f;
            assertEquals(170 / 255f, green, 1e-5f, w + "x" + h);
            if (along > 1) {
                assertEquals(127.5f / 255, red, 2f / 255, w + "x" + h + " red at the center");
            }
            assertEquals(10, Preprocessing.TORCHVISION.tenCrop(img, 75).size());
        }
    }

    /** The resize that materializes the whole image refuses a target no array holds, naming the sizes. */
    @Test
    void resizeTargetsBeyondAnArrayAreRefused() {
        BufferedImage thin = new BufferedImage(1, 100_000, BufferedImage.TYPE_INT_RGB);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.resizeShorterSide(thin, 342));
        assertTrue(e.getMessage().contains("342x34200000"), e.getMessage());
    }
}
